#pragma once
// Adj-RIB-Out of one neighbor (RFC 4271 §3.2, §9.2): the routes we want the
// peer to have, the routes it has from us, and the fewest UPDATE messages
// that take it from one to the other.
//
//   set_routes()/announce()/withdraw()  the desired set (any time)
//   session_up(negotiated)              on SessionEstablished: nothing sent yet
//   flush()                             UPDATEs for the difference; the first
//                                       flush of a session ends with one
//                                       End-of-RIB per family (RFC 4724 §2)
//   refresh(family)                     on RouteRefreshRequested (RFC 2918 §4,
//                                       BoRR/EoRR per RFC 7313 §4)
//   session_down()                      on SessionDown: forget what was sent
//
// Packing: NLRI sharing identical attributes go in one UPDATE until the
// negotiated maximum message size; withdrawals are batched. Each UPDATE
// carries only one of withdrawn routes, NLRI, MP_REACH_NLRI or
// MP_UNREACH_NLRI (RFC 7606 §5.1). IPv4 unicast uses the RFC 4271 fields
// with NEXT_HOP; IPv6 unicast MP_REACH_NLRI/MP_UNREACH_NLRI (RFC 4760).

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "bgp/attributes.h"
#include "bgp/capabilities.h"
#include "platform/ip.h"

namespace fbf::bgp {

// The attributes we send with a route (route_policy.h builds them from the
// configuration rules).
struct RouteAttributes {
  Origin origin = Origin::igp;
  AsPath as_path;  // empty on iBGP
  std::optional<platform::IpAddress> next_hop;             // IPv4 routes: NEXT_HOP (IPv4)
  std::optional<platform::IpAddress> next_hop_v6;          // IPv6 routes: global next hop
  std::optional<platform::IpAddress> link_local_next_hop;  // IPv6: + link-local (RFC 2545 §3)
  std::optional<std::uint32_t> med;
  std::optional<std::uint32_t> local_pref;  // iBGP only
  std::vector<std::uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
  friend bool operator==(const RouteAttributes&, const RouteAttributes&) = default;
};

struct Route {
  platform::Prefix prefix;
  RouteAttributes attributes;
};

using UpdateMessages = std::vector<std::vector<std::uint8_t>>;

class AdjRibOut {
 public:
  // ---- desired routes ----
  // Replaces the desired set; for a prefix listed twice the last one wins.
  void set_routes(std::vector<Route> routes);
  void announce(Route route);
  void withdraw(const platform::Prefix& prefix);

  // ---- session ----
  void session_up(const Negotiated& negotiated);
  void session_down();
  bool session_active() const { return session_.has_value(); }

  // ---- output (empty while no session) ----
  UpdateMessages flush();
  UpdateMessages refresh(AfiSafi family);
  // Whether flush() would produce something.
  bool pending() const;

  // ---- queries ----
  std::size_t desired_count() const { return desired_.size(); }
  std::size_t sent_count() const { return sent_.size(); }
  // What the peer has from us for `prefix` (nullptr: nothing).
  const RouteAttributes* sent(const platform::Prefix& prefix) const;
  // Desired routes the session cannot carry: family not negotiated, no next
  // hop of the route's family, or too large for one message. Counted at
  // each flush().
  std::size_t unsendable() const { return unsendable_; }

 private:
  using Attrs = std::shared_ptr<const RouteAttributes>;
  using Table = std::map<platform::Prefix, Attrs>;

  Attrs intern(RouteAttributes attributes);
  void prune_pool();
  bool sendable(const platform::Prefix& prefix, const RouteAttributes& attributes) const;
  bool family_negotiated(platform::Family family) const;
  // The UPDATEs that make sent_ equal to the sendable part of desired_ for
  // the families selected; `resend` re-announces routes already sent.
  void sync(bool v4, bool v6, bool resend, UpdateMessages& out);

  Table desired_;
  Table sent_;
  std::vector<Attrs> pool_;  // interned attribute sets (identical sets share one)
  std::optional<Negotiated> session_;
  bool initial_done_ = false;  // the End-of-RIB markers went out
  std::size_t unsendable_ = 0;
};

}  // namespace fbf::bgp
