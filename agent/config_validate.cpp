// Checks that need more than one table: uniqueness, references between
// sections, and whether every announced prefix can actually be sent.
#include <map>
#include <set>

#include "agent/config_sections.h"

namespace fbf::agent::config_detail {

namespace {

std::string line_ref(Pos p) { return "line " + std::to_string(p.line); }
std::string_view family_word(platform::Family f) {
  return f == platform::Family::v4 ? "IPv4" : "IPv6";
}
AddressFamily afi_safi(platform::Family f) {
  return f == platform::Family::v4 ? AddressFamily::ipv4_unicast : AddressFamily::ipv6_unicast;
}

void unique_neighbors(const Config& c, const Sites& s, Diagnostics& diag) {
  std::map<std::string, std::size_t> names;
  std::map<IpAddress, std::size_t> addresses;
  for (std::size_t i = 0; i < c.neighbors.size(); ++i) {
    const auto& n = c.neighbors[i];
    const auto& site = s.neighbors[i];
    if (site.name.known()) {
      auto [it, fresh] = names.emplace(n.name, i);
      if (!fresh)
        diag.error(site.name, "neighbor name '" + n.name + "' is already used on " +
                                  line_ref(s.neighbors[it->second].name));
    }
    if (site.address.known()) {
      auto [it, fresh] = addresses.emplace(n.address, i);
      if (!fresh)
        diag.error(site.address, "neighbor address " + n.address.to_string() +
                                     " is already used by neighbor '" +
                                     c.neighbors[it->second].name + "' on " +
                                     line_ref(s.neighbors[it->second].address));
    }
  }
}

void unique_bfd_peers(const Config& c, const Sites& s, Diagnostics& diag) {
  std::map<IpAddress, std::size_t> seen;
  for (std::size_t i = 0; i < c.bfd_peers.size(); ++i) {
    const auto& p = c.bfd_peers[i];
    const auto at = s.bfd_peers[i].address;
    if (!at.known()) continue;
    auto [it, fresh] = seen.emplace(p.address, i);
    if (!fresh) {
      diag.error(at, "bfd_peer " + p.address.to_string() + " is already listed on " +
                         line_ref(s.bfd_peers[it->second].address));
      continue;
    }
    // Two sessions to one system would share its discriminator space and
    // confuse the peer (RFC 5880 §6.3); the neighbor's session already watches it.
    for (std::size_t j = 0; j < c.neighbors.size(); ++j) {
      const auto& n = c.neighbors[j];
      if (s.neighbors[j].address.known() && n.bfd && n.address == p.address &&
          n.bfd_multihop() == p.multihop)
        diag.error(at, "bfd_peer " + p.address.to_string() +
                           " duplicates the BFD session of neighbor '" + n.name + "'");
    }
  }
}

void unique_services(const Config& c, const Sites& s, Diagnostics& diag) {
  std::map<std::string, std::size_t> names;
  std::map<Prefix, std::size_t> prefixes;
  for (std::size_t i = 0; i < c.services.size(); ++i) {
    const auto& svc = c.services[i];
    const auto& site = s.services[i];
    if (site.name.known()) {
      auto [it, fresh] = names.emplace(svc.name, i);
      if (!fresh)
        diag.error(site.name, "service name '" + svc.name + "' is already used on " +
                                  line_ref(s.services[it->second].name));
    }
    for (std::size_t k = 0; k < svc.prefixes.size(); ++k) {
      auto [it, fresh] = prefixes.emplace(svc.prefixes[k], i);
      if (!fresh && it->second != i)
        diag.error(site.prefixes[k], "prefix " + svc.prefixes[k].to_string() +
                                         " is already announced by service '" +
                                         c.services[it->second].name + "'");
    }
  }
}

// The neighbors a service announces to; nullopt when a name does not resolve
// (reported here, once) so later checks do not guess.
std::optional<std::vector<std::size_t>> targets(const Config& c, const Sites& s, std::size_t i,
                                                bool names_ok, Diagnostics& diag) {
  const auto& svc = c.services[i];
  std::vector<std::size_t> out;
  if (svc.neighbors.empty()) {
    for (std::size_t j = 0; j < c.neighbors.size(); ++j) out.push_back(j);
    return out;
  }
  bool ok = true;
  std::vector<std::string_view> known;
  for (const auto& n : c.neighbors) known.push_back(n.name);
  for (std::size_t k = 0; k < svc.neighbors.size(); ++k) {
    const auto& name = svc.neighbors[k];
    std::size_t j = 0;
    while (j < c.neighbors.size() && c.neighbors[j].name != name) ++j;
    if (j < c.neighbors.size()) {
      out.push_back(j);
    } else {
      ok = false;
      // A neighbor whose own name was invalid is reported already.
      if (names_ok)
        diag.error(s.services[i].neighbors[k], "service '" + svc.name +
                                                   "': no neighbor is named '" + name + "'" +
                                                   suggestion(name, known));
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::string_view family_key(platform::Family f) {
  return f == platform::Family::v4 ? "ipv4-unicast" : "ipv6-unicast";
}

using Reported = std::set<std::pair<std::size_t, platform::Family>>;

// A prefix of the other family than its session has no "self" next hop: the
// session has no local address of that family. Reported once per neighbor
// and family, where the fix goes (its next_hop, else its table).
void cross_family_next_hop(const Config& c, const Sites& s, std::size_t service, std::size_t j,
                           const Prefix& p, Reported& reported, Diagnostics& diag) {
  const auto& n = c.neighbors[j];
  if (p.family() == n.address.family() || n.next_hop_other) return;
  if (s.neighbors[j].next_hop_invalid) return;  // its own error says enough
  if (!reported.emplace(j, p.family()).second) return;
  const std::string fam(family_word(p.family()));
  const std::string example = p.family() == platform::Family::v4 ? "192.0.2.1" : "2001:db8::1";
  const auto& site = s.neighbors[j];
  diag.error(site.next_hop.known() ? site.next_hop : site.table,
             "neighbor '" + n.name + "': " + fam + " prefix " + p.to_string() + " (service '" +
                 c.services[service].name + "') over an " +
                 std::string(family_word(n.address.family())) + " session needs an explicit " +
                 fam + " next_hop, e.g. next_hop = [\"self\", \"" + example + "\"]; or remove \"" +
                 std::string(family_key(p.family())) + "\" from its families");
}

// Every prefix must reach a neighbor that offers its family, with a usable
// next hop. A file without neighbors announces nothing, which is fine (the
// shipped example is such a file).
void check_reachability(const Config& c, const Sites& s, std::size_t i,
                        const std::vector<std::size_t>& to, Reported& reported, Diagnostics& diag) {
  if (c.neighbors.empty() || to.empty()) return;
  const auto& svc = c.services[i];
  for (std::size_t k = 0; k < svc.prefixes.size(); ++k) {
    const auto& p = svc.prefixes[k];
    bool reaches = false;
    std::string names;
    for (auto j : to) {
      const auto& n = c.neighbors[j];
      names += (names.empty() ? "'" : ", '") + n.name + "'";
      // A neighbor with an invalid address is reported already; do not guess.
      if (!s.neighbors[j].address.known()) {
        reaches = true;
        continue;
      }
      if (!n.offers(afi_safi(p.family()))) continue;
      reaches = true;
      cross_family_next_hop(c, s, i, j, p, reported, diag);
    }
    if (!reaches)
      diag.error(s.services[i].prefixes[k], "prefix " + p.to_string() +
                                                " reaches no neighbor: none of " + names +
                                                " offers " + std::string(family_key(p.family())));
  }
}

}  // namespace

void cross_check(const Config& c, const Sites& s, Diagnostics& diag) {
  unique_neighbors(c, s, diag);
  unique_bfd_peers(c, s, diag);
  unique_services(c, s, diag);
  bool names_ok = true;
  for (const auto& site : s.neighbors) names_ok = names_ok && site.name.known();
  Reported next_hop_reported;
  for (std::size_t i = 0; i < c.services.size(); ++i) {
    auto to = targets(c, s, i, names_ok, diag);
    if (to) check_reachability(c, s, i, *to, next_hop_reported, diag);
  }
}

}  // namespace fbf::agent::config_detail
