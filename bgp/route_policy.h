#pragma once
// The attributes fbf announces a service's prefixes with, from the rules of
// CONFIG.md ("Announced routes") given as plain values, so bgp/ does not
// depend on agent/:
//   ORIGIN IGP;
//   AS_PATH local_as repeated 1 + as_path_prepend times to eBGP, empty to
//     iBGP (RFC 4271 §5.1.2);
//   NEXT_HOP / MP_REACH_NLRI next hop per `next_hop`: "self" is our address
//     on the session (IPv6: plus our link-local when the peer shares the
//     link, RFC 2545 §3), else the configured address;
//   MULTI_EXIT_DISC only when set;
//   LOCAL_PREF only to iBGP (RFC 4271 §5.1.5: always there, default 100);
//   COMMUNITIES (RFC 1997) and LARGE_COMMUNITY (RFC 8092) as configured.
// Our routes are explicit configuration, the policy RFC 8212 asks eBGP
// speakers to have before they announce anything.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/adj_rib_out.h"
#include "platform/ip.h"

namespace fbf::bgp {

// One service's announcement settings ([[service]] or its `degraded` table).
struct ServiceAttributes {
  std::optional<std::uint32_t> med;
  std::uint32_t as_path_prepend = 0;
  std::optional<std::uint32_t> local_pref;  // iBGP only; 100 when unset
  std::vector<std::uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
};

// One neighbor session, as far as attributes depend on it.
struct NeighborContext {
  std::uint32_t local_as = 0;
  bool ibgp = false;
  // [[neighbor]] next_hop: an explicit address, or nullopt for "self".
  std::optional<platform::IpAddress> next_hop;
  // Our address on the session (SessionInfo::addresses.local).
  std::optional<platform::IpAddress> local_address;
  // Our addresses of the other family, for routes of the family the session
  // does not run over (IPv6 routes over an IPv4 session and vice versa).
  // Without one, those routes have no next hop and are not sent (IPv4 NLRI
  // with an IPv6 next hop, RFC 8950, is not supported).
  std::optional<platform::IpAddress> local_ipv4;
  std::optional<platform::IpAddress> local_ipv6;
  // Our link-local IPv6 address on the link shared with a directly
  // connected peer; sent after the global next hop for "self".
  std::optional<platform::IpAddress> link_local_ipv6;
};

inline constexpr std::uint32_t kDefaultLocalPref = 100;

RouteAttributes make_route_attributes(const ServiceAttributes& service,
                                      const NeighborContext& neighbor);

// RFC 8326 graceful shutdown while draining: add GRACEFUL_SHUTDOWN
// (65535:0, §5); with `lower_preference`, for peers that ignore it, also MED
// 4294967295 and three more prepends to eBGP, LOCAL_PREF 0 to iBGP
// (CONFIG.md [maintenance] lower_preference).
void apply_graceful_shutdown(RouteAttributes& attributes, const NeighborContext& neighbor,
                             bool lower_preference);

// The same attributes for each prefix.
std::vector<Route> make_routes(std::span<const platform::Prefix> prefixes,
                               const RouteAttributes& attributes);

}  // namespace fbf::bgp
