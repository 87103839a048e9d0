#include "bgp/adj_rib_out.h"

#include <algorithm>
#include <utility>

#include "bgp/adj_rib_out_pack.h"
#include "bgp/message.h"
#include "bgp/update.h"

namespace fbf::bgp {

namespace {

// Only the next hops of the route's own family matter: dropping the others
// lets an IPv4 and an IPv6 route built from one policy share nothing they
// should not, and equal IPv4 routes share a group whatever their IPv6 hop.
RouteAttributes normalized(const platform::Prefix& prefix, RouteAttributes a) {
  if (prefix.family() == platform::Family::v4) {
    a.next_hop_v6.reset();
    a.link_local_next_hop.reset();
  } else {
    a.next_hop.reset();
  }
  return a;
}

}  // namespace

// ---- desired routes ----

AdjRibOut::Attrs AdjRibOut::intern(RouteAttributes attributes) {
  for (const Attrs& a : pool_) {
    if (*a == attributes) return a;
  }
  pool_.push_back(std::make_shared<const RouteAttributes>(std::move(attributes)));
  return pool_.back();
}

void AdjRibOut::prune_pool() {
  std::erase_if(pool_, [](const Attrs& a) { return a.use_count() == 1; });
}

void AdjRibOut::set_routes(std::vector<Route> routes) {
  desired_.clear();
  for (Route& r : routes) {
    desired_.insert_or_assign(r.prefix, intern(normalized(r.prefix, std::move(r.attributes))));
  }
  prune_pool();
}

void AdjRibOut::announce(Route route) {
  desired_.insert_or_assign(route.prefix,
                            intern(normalized(route.prefix, std::move(route.attributes))));
  prune_pool();
}

void AdjRibOut::withdraw(const platform::Prefix& prefix) {
  desired_.erase(prefix);
  prune_pool();
}

// ---- session ----

void AdjRibOut::session_up(const Negotiated& negotiated) {
  session_ = negotiated;
  sent_.clear();
  initial_done_ = false;
}

void AdjRibOut::session_down() {
  // RFC 4271 §8.2.2: the routes went with the connection; the next session
  // starts from the desired set, not from a replay.
  session_.reset();
  sent_.clear();
  initial_done_ = false;
  prune_pool();
}

bool AdjRibOut::family_negotiated(platform::Family family) const {
  return session_ && (family == platform::Family::v4 ? session_->ipv4_unicast
                                                     : session_->ipv6_unicast);
}

bool AdjRibOut::sendable(const platform::Prefix& prefix, const RouteAttributes& a) const {
  if (!family_negotiated(prefix.family())) return false;
  if (prefix.family() == platform::Family::v4) {
    // IPv4 NLRI with an IPv6 next hop (RFC 8950) is not supported.
    return a.next_hop && a.next_hop->is_v4();
  }
  return a.next_hop_v6 && a.next_hop_v6->is_v6() &&
         (!a.link_local_next_hop || a.link_local_next_hop->is_v6());
}

const RouteAttributes* AdjRibOut::sent(const platform::Prefix& prefix) const {
  auto it = sent_.find(prefix);
  return it == sent_.end() ? nullptr : it->second.get();
}

// ---- output ----

void AdjRibOut::sync(bool v4, bool v6, bool resend, UpdateMessages& out) {
  auto selected = [&](const platform::Prefix& p) {
    return p.family() == platform::Family::v4 ? v4 : v6;
  };
  PackOptions options{.max_length = session_->max_message_length(),
                      .four_octet_as = session_->four_octet_as};

  // Withdrawals: sent routes no longer desired, or no longer sendable.
  std::vector<platform::Prefix> withdrawn[2];
  for (auto it = sent_.begin(); it != sent_.end();) {
    auto d = desired_.find(it->first);
    if (selected(it->first) && (d == desired_.end() || !sendable(d->first, *d->second))) {
      withdrawn[it->first.family() == platform::Family::v4 ? 0 : 1].push_back(it->first);
      it = sent_.erase(it);
    } else {
      ++it;
    }
  }
  // Announcements: new or changed routes (all of them on a refresh),
  // grouped by attribute set (interned: equal sets are one pointer).
  struct Group {
    Attrs attributes;
    std::vector<platform::Prefix> prefixes;
  };
  std::vector<Group> groups[2];
  for (const auto& [prefix, attrs] : desired_) {
    if (!selected(prefix)) continue;
    if (!sendable(prefix, *attrs)) {
      ++unsendable_;
      continue;
    }
    auto s = sent_.find(prefix);
    if (!resend && s != sent_.end() && (s->second == attrs || *s->second == *attrs)) continue;
    auto& family_groups = groups[prefix.family() == platform::Family::v4 ? 0 : 1];
    auto g = std::find_if(family_groups.begin(), family_groups.end(),
                          [&](const Group& x) { return x.attributes == attrs; });
    if (g == family_groups.end()) {
      family_groups.push_back(Group{attrs, {}});
      g = family_groups.end() - 1;
    }
    g->prefixes.push_back(prefix);
  }

  for (int f = 0; f < 2; ++f) {
    auto family = f == 0 ? platform::Family::v4 : platform::Family::v6;
    // Withdrawals carry no attributes and always fit (every prefix fits a
    // 4096-octet message): ignoring the result is safe.
    (void)pack_withdrawals(withdrawn[f], family, options, out);
  }
  for (int f = 0; f < 2; ++f) {
    auto family = f == 0 ? platform::Family::v4 : platform::Family::v6;
    for (Group& g : groups[f]) {
      std::size_t before = out.size();
      if (!pack_announcements(*g.attributes, g.prefixes, family, options, out)) {
        // Attributes too large for one message: none of these can be sent.
        out.resize(before);
        unsendable_ += g.prefixes.size();
        for (const auto& p : g.prefixes) {
          if (sent_.erase(p) != 0) (void)pack_withdrawals({&p, 1}, family, options, out);
        }
        continue;
      }
      for (const auto& p : g.prefixes) sent_.insert_or_assign(p, g.attributes);
    }
  }
}

UpdateMessages AdjRibOut::flush() {
  UpdateMessages out;
  if (!session_) return out;
  unsendable_ = 0;
  sync(true, true, false, out);
  if (!initial_done_) {
    // RFC 4724 §2: End-of-RIB after the initial update, per family; sent
    // whether or not graceful restart was negotiated ("useful for routing
    // convergence in general").
    if (session_->ipv4_unicast) out.push_back(encode_end_of_rib(kIpv4Unicast));
    if (session_->ipv6_unicast) out.push_back(encode_end_of_rib(kIpv6Unicast));
    initial_done_ = true;
  }
  return out;
}

UpdateMessages AdjRibOut::refresh(AfiSafi family) {
  UpdateMessages out;
  bool v4 = family == kIpv4Unicast && family_negotiated(platform::Family::v4);
  bool v6 = family == kIpv6Unicast && family_negotiated(platform::Family::v6);
  if (!v4 && !v6) return out;  // RFC 2918 §4: not a family of this session
  if (!initial_done_) return flush();
  // RFC 2918 §4: re-advertise the Adj-RIB-Out of the family; RFC 7313 §4:
  // framed by BoRR and EoRR when the peer sent Enhanced Route Refresh.
  bool enhanced = session_->enhanced_route_refresh;
  if (enhanced) {
    out.push_back(encode_route_refresh(
        RouteRefresh{family, static_cast<std::uint8_t>(RouteRefreshSubtype::borr)}));
  }
  unsendable_ = 0;
  sync(v4, v6, true, out);
  if (enhanced) {
    out.push_back(encode_route_refresh(
        RouteRefresh{family, static_cast<std::uint8_t>(RouteRefreshSubtype::eorr)}));
  }
  return out;
}

bool AdjRibOut::pending() const {
  if (!session_) return false;
  if (!initial_done_) return true;
  for (const auto& [prefix, attrs] : sent_) {
    auto d = desired_.find(prefix);
    if (d == desired_.end() || !sendable(prefix, *d->second)) return true;
  }
  for (const auto& [prefix, attrs] : desired_) {
    if (!sendable(prefix, *attrs)) continue;
    auto s = sent_.find(prefix);
    if (s == sent_.end() || !(s->second == attrs || *s->second == *attrs)) return true;
  }
  return false;
}

}  // namespace fbf::bgp
