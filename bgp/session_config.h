#pragma once
// Per-neighbor settings of a BGP session, as plain values (the agent maps
// agent::Config onto them; bgp/ does not depend on agent/).

#include <cstdint>
#include <vector>

#include "bgp/backoff.h"
#include "bgp/capabilities.h"
#include "bgp/fsm_types.h"

namespace fbf::bgp {

struct SessionConfig {
  std::uint32_t local_as = 0;        // 4-octet (RFC 6793)
  std::uint32_t remote_as = 0;       // equal to local_as: iBGP
  std::uint32_t bgp_identifier = 0;  // ours (router_id), host byte order, nonzero
  std::uint16_t hold_time = 90;      // proposed seconds: 0, or >= 3 (1 and 2 are sent as 3)
  bool passive = false;              // never Connect; wait for the peer
  std::vector<AfiSafi> families{kIpv4Unicast, kIpv6Unicast};  // Multiprotocol capabilities
  bool extended_message = false;     // offer RFC 8654 (messages up to 65535 octets)
  BackoffConfig connect_retry;
  DampingConfig damping;
  // RFC 4271 §8.2.2 / §10: the HoldTimer's "large value" while in OpenSent.
  Duration open_hold_time{240'000};
  // A session Established this long is stable: its drop restarts the
  // ConnectRetry backoff from connect_retry.initial.
  Duration stable_after{60'000};

  bool ibgp() const { return local_as == remote_as; }
  // RFC 4271 §6.2: zero or at least three seconds.
  std::uint16_t proposed_hold_time() const {
    return hold_time == 1 || hold_time == 2 ? std::uint16_t{3} : hold_time;
  }
  // What our OPEN offers: the families, Route Refresh (RFC 2918), Enhanced
  // Route Refresh (RFC 7313), optionally Extended Message (RFC 8654), and
  // the 4-octet AS capability (RFC 6793 §4.1: always, carrying local_as).
  Capabilities capabilities() const {
    Capabilities c;
    c.multiprotocol = families;
    c.route_refresh = true;
    c.enhanced_route_refresh = true;
    c.extended_message = extended_message;
    c.four_octet_as = local_as;
    return c;
  }
};

}  // namespace fbf::bgp
