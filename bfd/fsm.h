#pragma once
// The RFC 5880 §6.2 state machine as one pure function over (bfd.SessionState,
// received State), exactly the ladder at the end of §6.8.6. Timer expiry
// (§6.8.4) and administrative control (§6.8.16) are applied by Session.

#include <optional>

#include "bfd/packet.h"

namespace fbf::bfd {

struct Transition {
  State to;
  std::optional<Diag> diag;        // new bfd.LocalDiag, when the RFC sets one
  bool remote_admin_down = false;  // Down because the peer said AdminDown (RFC 5882 §3.2)
  friend bool operator==(const Transition&, const Transition&) = default;
};

// nullopt: the packet does not change bfd.SessionState. Never called in
// AdminDown (§6.8.6 discards the packet first).
std::optional<Transition> on_received_state(State local, State received);

}  // namespace fbf::bfd
