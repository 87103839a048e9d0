#include "bgp/route_policy.h"

#include <algorithm>

namespace fbf::bgp {

namespace {

std::optional<platform::IpAddress> pick(platform::Family family,
                                        const std::optional<platform::IpAddress>& preferred,
                                        const std::optional<platform::IpAddress>& fallback) {
  if (preferred && preferred->family() == family) return preferred;
  if (fallback && fallback->family() == family) return fallback;
  return std::nullopt;
}

}  // namespace

RouteAttributes make_route_attributes(const ServiceAttributes& service,
                                      const NeighborContext& neighbor) {
  RouteAttributes a;
  a.origin = Origin::igp;
  if (!neighbor.ibgp) {
    a.as_path = as_sequence(
        std::vector<std::uint32_t>(std::size_t{1} + service.as_path_prepend, neighbor.local_as));
  }
  if (neighbor.next_hop) {
    // An explicit next hop serves the routes of its own family only.
    a.next_hop = pick(platform::Family::v4, neighbor.next_hop, std::nullopt);
    a.next_hop_v6 = pick(platform::Family::v6, neighbor.next_hop, std::nullopt);
  } else {
    a.next_hop = pick(platform::Family::v4, neighbor.local_address, neighbor.local_ipv4);
    // A link-local session address is no global next hop (RFC 2545 §3).
    std::optional<platform::IpAddress> session_v6 = neighbor.local_address;
    if (session_v6 && session_v6->is_link_local()) session_v6.reset();
    a.next_hop_v6 = pick(platform::Family::v6, session_v6, neighbor.local_ipv6);
    if (a.next_hop_v6 && neighbor.link_local_ipv6 && neighbor.link_local_ipv6->is_v6()) {
      a.link_local_next_hop = neighbor.link_local_ipv6;
    }
  }
  a.med = service.med;
  if (neighbor.ibgp) a.local_pref = service.local_pref.value_or(kDefaultLocalPref);
  a.communities = service.communities;
  a.large_communities = service.large_communities;
  return a;
}

void apply_graceful_shutdown(RouteAttributes& a, const NeighborContext& neighbor,
                             bool lower_preference) {
  if (std::find(a.communities.begin(), a.communities.end(), community::graceful_shutdown) ==
      a.communities.end()) {
    a.communities.push_back(community::graceful_shutdown);
  }
  if (!lower_preference) return;
  a.med = 0xffffffffu;
  if (neighbor.ibgp) {
    a.local_pref = 0;
  } else if (!a.as_path.empty()) {
    auto& asns = a.as_path.front().asns;
    asns.insert(asns.end(), 3, neighbor.local_as);
  }
}

std::vector<Route> make_routes(std::span<const platform::Prefix> prefixes,
                               const RouteAttributes& attributes) {
  std::vector<Route> routes;
  routes.reserve(prefixes.size());
  for (const platform::Prefix& p : prefixes) routes.push_back(Route{p, attributes});
  return routes;
}

}  // namespace fbf::bgp
