// [[neighbor]]: one BGP session each, with its optional BFD.
#include <algorithm>

#include "agent/config_sections.h"
#include "agent/config_values.h"

namespace fbf::agent::config_detail {

namespace {

// Linux TCP_MD5SIG_MAXKEYLEN; OpenBSD's limit is the same.
constexpr std::size_t kMaxMd5Key = 80;

void read_name(TableReader& r, std::string& name, Pos& site) {
  auto v = r.string("name", Need::required);
  if (!v) return;
  if (!valid_name(*v)) {
    r.error(r.at("name"), "'name' \"" + *v +
                              "\" must be 1..64 of A-Z a-z 0-9 . _ -, starting with a letter "
                              "or digit");
    return;
  }
  name = *v;
  site = r.at("name");
}

void read_families(TableReader& r, NeighborConfig& n) {
  auto list = r.strings("families");
  if (!list) return;
  static constexpr std::string_view kNames[] = {"ipv4-unicast", "ipv6-unicast"};
  if (r.take("families")->as_array()->empty()) {
    r.error(r.at("families"), "'families' must name at least one of ipv4-unicast, ipv6-unicast");
    return;
  }
  std::vector<AddressFamily> out;
  for (const auto& [text, at] : *list) {
    AddressFamily f;
    if (text == kNames[0]) {
      f = AddressFamily::ipv4_unicast;
    } else if (text == kNames[1]) {
      f = AddressFamily::ipv6_unicast;
    } else {
      r.error(at, "'families': unknown family \"" + text + "\"; use ipv4-unicast or ipv6-unicast");
      continue;
    }
    if (std::find(out.begin(), out.end(), f) != out.end()) {
      r.error(at, "'families': \"" + text + "\" is listed twice");
      continue;
    }
    out.push_back(f);
  }
  if (!out.empty()) n.families = std::move(out);
}

// next_hop = "self" | "ADDR" | ["self" | ADDR, ADDR]: at most one address per
// family; "self" stands for the session's own family.
void read_next_hop(TableReader& r, NeighborConfig& n, bool address_ok, NeighborSite& site) {
  const auto* node = r.take("next_hop");
  if (!node) return;
  std::vector<Located<std::string>> items;
  if (const auto* s = node->as_string()) {
    items.push_back({s->get(), pos_of(*node)});
  } else if (node->is_array()) {
    auto list = r.strings("next_hop");
    if (!list || list->size() != node->as_array()->size()) {  // a non-string, reported
      site.next_hop_invalid = true;
      return;
    }
    if (list->empty() || list->size() > 2) {
      r.error(pos_of(*node), "'next_hop' list must hold one or two entries (one per family)");
      site.next_hop_invalid = true;
      return;
    }
    items = std::move(*list);
  } else {
    r.type_error("next_hop", *node, "\"self\", an address or a list of addresses");
    site.next_hop_invalid = true;
    return;
  }
  auto family_name = [](platform::Family f) { return f == platform::Family::v4 ? "IPv4" : "IPv6"; };
  bool self = false, ok = true;
  for (const auto& [text, at] : items) {
    std::optional<IpAddress> a;
    if (text != "self") {
      a = IpAddress::parse(text);
      if (!a || a->is_unspecified() || a->is_multicast()) {
        r.error(at, "'next_hop' \"" + text + "\" is not \"self\" or a unicast address");
        ok = false;
        continue;
      }
    }
    // Without a valid session address "own family" is unknown; that error is reported.
    if (!address_ok) continue;
    const auto family = a ? a->family() : n.address.family();
    const bool own = family == n.address.family();
    auto& slot = own ? n.next_hop : n.next_hop_other;
    if (slot || (own && self)) {
      r.error(at, std::string("'next_hop' gives two next hops for ") + family_name(family));
      ok = false;
      continue;
    }
    if (a)
      slot = *a;
    else
      self = true;
  }
  site.next_hop = pos_of(*node);
  site.next_hop_invalid = !ok;
}

void read_bfd(TableReader& r, const Config& config, NeighborConfig& n) {
  const auto* node = r.take("bfd");
  if (node) {
    if (const auto* b = node->as_boolean()) {
      if (b->get()) {
        BfdSettings s;
        s.timers = config.bfd;
        if (n.bfd_multihop()) s.timers.echo_rx = s.timers.echo_tx = Duration{0};  // RFC 5883 §3
        n.bfd = s;
      }
    } else if (const auto* t = node->as_table()) {
      TableReader sub(*t, "[neighbor.bfd]", r.diag());
      BfdSettings s;
      read_bfd_session(sub, config.bfd, n.bfd_multihop(), s);
      static constexpr std::string_view kKeys[] = {"min_tx",   "min_rx",    "multiplier",
                                                   "echo_rx",  "auth_type", "auth_key_id",
                                                   "auth_key", "min_ttl",     "echo_tx"};
      sub.finish(kKeys);
      n.bfd = s;
    } else {
      r.type_error("bfd", *node, "a boolean or a table ([neighbor.bfd])");
    }
  }
  if (auto v = r.boolean("bfd_strict")) {
    if (*v && !n.bfd && (!node || node->is_boolean()))
      r.error(r.at("bfd_strict"),
              "'bfd_strict' needs BFD to the neighbor (bfd = true or [neighbor.bfd])");
    n.bfd_strict = *v;
  }
}

void read_neighbor(TableReader& r, Config& config, Sites& sites) {
  NeighborConfig n;
  NeighborSite site{
      .table = r.pos(), .name = {}, .address = {}, .next_hop = {}, .next_hop_invalid = false};
  read_name(r, n.name, site.name);
  if (auto v = r.address("address", Need::required)) {
    if (v->value.is_unspecified() || v->value.is_multicast())
      r.error(v->pos, "'address' must be a unicast address, got " + v->value.to_string());
    else if (v->value.is_v6() && v->value.is_link_local())
      r.error(v->pos, "'address' " + v->value.to_string() +
                          " is IPv6 link-local; neighbors need a global or ULA address");
    else {
      n.address = v->value;
      site.address = v->pos;
    }
  }
  if (auto v = read_as_number(r, "remote_as")) n.remote_as = *v;
  if (auto v = r.address("local_address")) {
    if (site.address.known() && v->value.family() != n.address.family())
      r.error(v->pos, "'local_address' " + v->value.to_string() +
                          " is not of the same family as 'address' " + n.address.to_string());
    else if (v->value.is_multicast())
      r.error(v->pos, "'local_address' must be a unicast address");
    else
      n.local_address = v->value;
  }
  if (auto v = r.string("password")) {
    if (v->size() > kMaxMd5Key)
      r.error(r.at("password"),
              "'password' must be at most 80 octets (TCP-MD5 key, RFC 2385), "
              "got " +
                  std::to_string(v->size()));
    else
      n.password = *v;
  }
  if (auto v = r.integer("multihop", 1, 255)) n.multihop = static_cast<std::uint8_t>(*v);
  if (auto v = r.boolean("ttl_security")) n.ttl_security = *v;
  if (auto v = r.duration("hold_time", Duration{0}, std::chrono::seconds{65535}, "RFC 4271 §4.2")) {
    if (v->count() % 1000 != 0)
      r.error(r.at("hold_time"),
              "'hold_time' must be whole seconds (RFC 4271 §4.2), got " + format_duration(*v));
    else if (v->count() != 0 && *v < std::chrono::seconds{3})
      r.error(r.at("hold_time"),
              "'hold_time' must be 0s or 3s..65535s (RFC 4271 §4.2), got " + format_duration(*v));
    else
      n.hold_time = *v;
  }
  // The back-off is capped at 60 s, so a longer first retry would never be used.
  if (auto v = r.duration("connect_retry", Duration{1}, std::chrono::seconds{60}))
    n.connect_retry = *v;
  if (auto v = r.boolean("passive")) n.passive = *v;
  read_families(r, n);
  read_next_hop(r, n, site.address.known(), site);
  read_bfd(r, config, n);

  static constexpr std::string_view kKeys[] = {
      "name",     "address",      "remote_as", "local_address", "password",
      "multihop", "ttl_security", "hold_time", "connect_retry", "passive",
      "families", "next_hop",     "bfd",       "bfd_strict"};
  r.finish(kKeys);
  config.neighbors.push_back(std::move(n));
  sites.neighbors.push_back(site);
}

}  // namespace

void read_neighbors(TableReader& root, Config& config, Sites& sites) {
  for (const auto* table : array_of_tables(root, "neighbor")) {
    TableReader r(*table, "[[neighbor]]", root.diag());
    read_neighbor(r, config, sites);
  }
}

}  // namespace fbf::agent::config_detail
