#pragma once
// What a neighbor's BFD state change does to its BGP session: the policy of
// BgpNeighbors::on_bfd as a pure function, so it is tested without a loop.
//
// RFC 5882 §4.2 / RFC 9384: a BFD failure closes BGP with Cease/BFD Down;
// bfd_strict (draft-ietf-idr-bgp-bfd-strict-mode) holds BGP until BFD is Up.
// RFC 5882 §3.1 lets a client ignore an Up -> Down -> Up "within a reasonable
// period": fbfd does so only when the peer said Down. Its packets still
// arrive, so the path works; what went Down is the peer's session, and it is
// usually the peer re-creating it — FRR's bgpd re-registers its BFD session
// when its BGP session reaches Established, and the fresh session signals
// Down to a session that came Up first. A failure we detect ourselves (no
// packets: Detection Time, Echo) still closes BGP at once, as does a peer
// Down that is not followed by Up within the grace.
#include <chrono>

#include "bfd/actions.h"

namespace fbf::agent {

// How long BGP waits for BFD to come back Up after the peer signalled Down.
// Covers a peer session re-created on its slow (1 s) timer and our Detection
// Time letting go of the old discriminator.
inline constexpr std::chrono::seconds kPeerSignalledDownGrace{3};

struct BfdCouplingState {
  bool held_for_bfd = false;          // bfd_strict: BGP not started until BFD is Up
  bool held_for_maintenance = false;  // close_sessions: the session stays closed
  bool grace_pending = false;         // waiting for Up after a peer-signalled Down
};

enum class BfdCouplingStep {
  nothing,
  start_session,   // bfd_strict: BFD is Up, start BGP
  back_up,         // Up again within the grace: cancel it, BGP untouched
  close_now,       // close with Cease/BFD Down (and hold it, with bfd_strict)
  wait_for_up,     // the peer said Down: arm the grace, close if it expires
};

BfdCouplingStep bfd_coupling_step(const bfd::StateChanged& change, const BfdCouplingState& state);
// The grace ran out with BFD still not Up (an Up cancels it): close_now,
// unless maintenance holds the session closed meanwhile — then closing it
// again would also mark a bfd_strict session as waiting for BFD, and it
// would not come back when maintenance ends.
BfdCouplingStep bfd_grace_expired(const BfdCouplingState& state);

}  // namespace fbf::agent
