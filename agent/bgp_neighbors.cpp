#include "agent/bgp_neighbors.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "bgp/route_policy.h"

namespace fbf::agent {

namespace {

using bgp::Direction;

bgp::SessionConfig session_config(const NeighborConfig& n, const Config& c, std::uint32_t id) {
  bgp::SessionConfig s;
  s.local_as = c.agent.local_as;
  s.remote_as = n.remote_as;
  s.bgp_identifier = id;
  s.hold_time = static_cast<std::uint16_t>(
      std::chrono::duration_cast<std::chrono::seconds>(n.hold_time).count());
  s.passive = n.passive;
  s.families.clear();
  if (n.offers(AddressFamily::ipv4_unicast)) s.families.push_back(bgp::kIpv4Unicast);
  if (n.offers(AddressFamily::ipv6_unicast)) s.families.push_back(bgp::kIpv6Unicast);
  s.connect_retry.initial = std::chrono::duration_cast<bgp::Duration>(n.connect_retry);
  return s;
}

bgp::io::Transport transport(const NeighborConfig& n, const Config& c) {
  return {n.address, n.local_address, n.password, n.multihop, n.ttl_security,
          n.is_ibgp(c.agent.local_as), bgp::io::kBgpPort};
}

// Everything that, when changed, needs a new session (the rest — services,
// BFD — is applied to the running one).
bool same_session(const NeighborConfig& a, const NeighborConfig& b) {
  return a.address == b.address && a.remote_as == b.remote_as &&
         a.local_address == b.local_address && a.password == b.password &&
         a.multihop == b.multihop && a.ttl_security == b.ttl_security &&
         a.hold_time == b.hold_time && a.connect_retry == b.connect_retry &&
         a.passive == b.passive && a.families == b.families && a.next_hop == b.next_hop &&
         a.next_hop_other == b.next_hop_other;
}

std::string family_name(bgp::AfiSafi f) {
  return f == bgp::kIpv4Unicast ? "ipv4-unicast" : f == bgp::kIpv6Unicast ? "ipv6-unicast" : "other";
}

bool targets(const ServiceConfig& s, const std::string& neighbor) {
  return s.neighbors.empty() ||
         std::find(s.neighbors.begin(), s.neighbors.end(), neighbor) != s.neighbors.end();
}

std::string join_communities(const std::vector<std::uint32_t>& cs) {
  std::string out;
  for (auto c : cs) out += (out.empty() ? "" : " ") + format_community(c);
  return out;
}

}  // namespace

std::optional<platform::IpAddress> choose_router_id(const Config& config) {
  if (config.agent.router_id) return config.agent.router_id;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<platform::IpAddress> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    auto a = platform::IpAddress::from_bytes(
        std::span(reinterpret_cast<const std::uint8_t*>(&sin->sin_addr), 4));
    if (a && !a->is_loopback() && !a->is_link_local() && !a->is_unspecified()) found = a;
  }
  freeifaddrs(list);
  return found;
}

BgpNeighbors::BgpNeighbors(event_base* base, Metrics& metrics)
    : base_(base),
      metrics_(metrics),
      reaper_(base, [this] { reap_retired(); }) {
  register_metrics();
}

// Polled only while a closed neighbor is still flushing: an idle daemon has
// no periodic wake-up of its own here (it used to tick every 200 ms for
// nothing, 5 of fbfd's ~68 wake-ups a second with one BFD session).
void BgpNeighbors::reap_retired() {
  std::erase_if(retiring_, [](const auto& e) { return !e->neighbor->has_connections(); });
  if (!retiring_.empty()) reaper_.arm(kReapPoll);
}

BgpNeighbors::~BgpNeighbors() = default;

std::vector<std::string> BgpNeighbors::apply(const Config& config) {
  std::vector<std::string> errors;
  const bool identity_changed = config.agent.local_as != agent_.local_as ||
                                config.agent.router_id != agent_.router_id;
  agent_ = config.agent;
  services_ = config.services;
  maintenance_ = config.maintenance;
  // Removed or changed neighbors: closed (their NOTIFICATION still flushes).
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto wanted = std::find_if(config.neighbors.begin(), config.neighbors.end(),
                               [&](const NeighborConfig& n) { return n.name == it->first; });
    const bool gone = wanted == config.neighbors.end();
    if (gone || identity_changed || !same_session(it->second->config, *wanted)) {
      spdlog::info("bgp {} {}: {}", it->first, it->second->config.address.to_string(),
                   gone ? "removed from the configuration" : "settings changed; restarting");
      it->second->neighbor->stop(
          gone ? bgp::CeaseSubcode::peer_deconfigured : bgp::CeaseSubcode::other_configuration_change,
          {});
      it->second->bfd_grace.reset();  // leaving the table: nothing left to close
      retiring_.push_back(std::move(it->second));
      if (!reaper_.pending()) reaper_.arm(kReapPoll);
      it = entries_.erase(it);
    } else {
      it->second->config = *wanted;
      refresh_routes(*it->second);
      ++it;
    }
  }
  if (!config.neighbors.empty() && !choose_router_id(config)) {
    errors.push_back("no router_id configured and no global IPv4 address to use as BGP identifier");
    spdlog::error("bgp: {}", errors.back());
    return errors;
  }
  for (const auto& n : config.neighbors) {
    if (!entries_.contains(n.name)) start_neighbor(n, config);
  }
  open_listeners(config);
  return errors;
}

void BgpNeighbors::start_neighbor(const NeighborConfig& n, const Config& config) {
  auto e = std::make_unique<Entry>();
  e->config = n;
  Entry* raw = e.get();
  const auto id = choose_router_id(config)->v4_host_order();
  e->neighbor = std::make_unique<bgp::io::Neighbor>(
      base_, session_config(n, config, id), transport(n, config), bgp_random_,
      [this, raw](const bgp::Action& a) { on_action(*raw, a); });
  entries_[n.name] = std::move(e);
  spdlog::info("bgp {} {}: AS {} {}{}", n.name, n.address.to_string(), n.remote_as,
               n.is_ibgp(config.agent.local_as) ? "iBGP" : "eBGP", n.passive ? ", passive" : "");
  if (closed_.contains(n.name)) {
    raw->held_for_maintenance = true;
    spdlog::info("bgp {} {}: maintenance holds the session closed", n.name, n.address.to_string());
    return;
  }
  if (n.bfd_strict && !(bfd_query_ && bfd_query_(n) == bfd::State::Up)) {
    // draft-ietf-idr-bgp-bfd-strict-mode: no BGP session before BFD is Up.
    raw->held_for_bfd = true;
    spdlog::info("bgp {} {}: bfd_strict: waiting for BFD Up before connecting", n.name,
                 n.address.to_string());
    return;
  }
  raw->neighbor->start();
}

void BgpNeighbors::on_peer_heard(const std::string& neighbor) {
  auto it = entries_.find(neighbor);
  if (it == entries_.end()) return;
  it->second->neighbor->peer_alive("the router's BFD packets arrive");
}

void BgpNeighbors::on_bfd(const bfd::SessionSpec& spec, const bfd::StateChanged& change) {
  for (auto& [name, e] : entries_) {
    const auto& n = e->config;
    if (!n.bfd || n.name != spec.name || n.address != spec.key.peer ||
        n.bfd_multihop() != spec.key.multihop)
      continue;
    const auto peer = n.address.to_string();
    const BfdCouplingState state{e->held_for_bfd, e->held_for_maintenance,
                                 e->bfd_grace_pending()};
    switch (bfd_coupling_step(change, state)) {
      case BfdCouplingStep::nothing:
        if (change.to == bfd::State::Up) e->held_for_bfd = false;  // maintenance keeps it closed
        break;
      case BfdCouplingStep::start_session:
        e->held_for_bfd = false;
        spdlog::info("bgp {} {}: BFD Up: starting the session (bfd_strict)", name, peer);
        e->neighbor->start();
        break;
      case BfdCouplingStep::back_up:
        e->bfd_grace->cancel();
        spdlog::info("bgp {} {}: BFD Up again within {} s of the peer's Down: session kept "
                     "(RFC 5882 §3.1)", name, peer, kPeerSignalledDownGrace.count());
        break;
      case BfdCouplingStep::wait_for_up: {
        Entry* raw = e.get();
        if (!e->bfd_grace) {
          e->bfd_grace = std::make_unique<platform::Timer>(base_, [this, raw] {
            if (bfd_grace_expired({raw->held_for_bfd, raw->held_for_maintenance}) ==
                BfdCouplingStep::close_now)
              close_for_bfd(*raw, "the peer's BFD Down was not followed by Up within the grace");
          });
        }
        e->bfd_grace->arm(kPeerSignalledDownGrace);
        spdlog::warn("bgp {} {}: BFD Down signalled by the peer: closing unless BFD is Up again "
                     "within {} s (RFC 5882 §3.1)", name, peer, kPeerSignalledDownGrace.count());
        break;
      }
      case BfdCouplingStep::close_now:
        if (e->bfd_grace) e->bfd_grace->cancel();
        close_for_bfd(*e, bfd::to_string(change.diag));
        break;
    }
  }
}

void BgpNeighbors::close_for_bfd(Entry& e, std::string_view why) {
  spdlog::warn("bgp {} {}: BFD Down ({}): closing with Cease/BFD Down", e.config.name,
               e.config.address.to_string(), why);
  if (e.config.bfd_strict) {
    e.neighbor->stop(bgp::CeaseSubcode::bfd_down, {});
    e.held_for_bfd = true;
  } else {
    e.neighbor->reset(bgp::CeaseSubcode::bfd_down, {});
  }
}

std::vector<bgp::Route> BgpNeighbors::routes_for(const Entry& e) const {
  std::vector<bgp::Route> routes;
  if (!e.info) return routes;
  const bool ibgp = e.config.is_ibgp(agent_.local_as);
  bgp::NeighborContext ctx;
  ctx.local_as = agent_.local_as;
  ctx.ibgp = ibgp;
  ctx.next_hop = e.config.next_hop;
  ctx.local_address = e.info->addresses.local;
  if (e.config.address.is_v4()) ctx.local_ipv6 = e.config.next_hop_other;
  else ctx.local_ipv4 = e.config.next_hop_other;
  for (const auto& s : services_) {
    if (!targets(s, e.config.name)) continue;
    const ServiceDecision d = route_view_ ? route_view_(s) : ServiceDecision{};
    if (!d.announced()) continue;
    bgp::ServiceAttributes attrs;
    // CONFIG.md: `degraded` replaces med and as_path_prepend while failing.
    const auto& chosen = d.announcement == Announcement::degraded ? s.degraded : s.attributes;
    attrs.med = chosen.med;
    attrs.as_path_prepend = chosen.as_path_prepend;
    attrs.local_pref = s.local_pref;
    attrs.communities = s.communities;
    for (const auto& lc : s.large_communities)
      attrs.large_communities.push_back({lc.global_admin, lc.local1, lc.local2});
    auto route_attrs = bgp::make_route_attributes(attrs, ctx);
    if (d.announcement == Announcement::graceful_shutdown)
      bgp::apply_graceful_shutdown(route_attrs, ctx, maintenance_.lower_preference);
    auto r = bgp::make_routes(s.prefixes, route_attrs);
    routes.insert(routes.end(), r.begin(), r.end());
  }
  return routes;
}

void BgpNeighbors::refresh_routes(Entry& e) {
  if (!e.info) return;
  e.rib.set_routes(routes_for(e));
  e.neighbor->send_updates(e.rib.flush());
}

void BgpNeighbors::refresh_all() {
  for (auto& [name, e] : entries_) refresh_routes(*e);
}

bool BgpNeighbors::announced(const ServiceConfig& service) const {
  for (const auto& [name, e] : entries_) {
    if (!e->info || !targets(service, name)) continue;
    for (const auto& p : service.prefixes)
      if (e->rib.sent(p) != nullptr) return true;
  }
  return false;
}

bool BgpNeighbors::sent_to_all_up(const ServiceConfig& service) const {
  bool any_target = false, any_sent = false;
  for (const auto& [name, e] : entries_) {
    if (!targets(service, name)) continue;
    any_target = true;
    if (!e->info) continue;
    // Only the prefixes this session carries (its families, a next hop for
    // the other family) are expected at it.
    for (const auto& route : routes_for(*e)) {
      if (std::find(service.prefixes.begin(), service.prefixes.end(), route.prefix) ==
          service.prefixes.end())
        continue;
      if (e->rib.sent(route.prefix) == nullptr) return false;
      any_sent = true;
    }
  }
  return any_sent || !any_target;
}

void BgpNeighbors::set_closed(const std::set<std::string>& names, const std::string& message) {
  closed_ = names;
  for (auto& [name, e] : entries_) {
    const bool close = names.contains(name);
    if (close == e->held_for_maintenance) continue;
    e->held_for_maintenance = close;
    const auto peer = e->config.address.to_string();
    if (close) {
      // RFC 8326 §5 step 4 / RFC 9003: the routes are already withdrawn.
      spdlog::info("bgp {} {}: maintenance: closing with Cease/Administrative Shutdown \"{}\"",
                   name, peer, message);
      e->neighbor->stop(bgp::CeaseSubcode::administrative_shutdown, message);
    } else if (!e->held_for_bfd) {
      spdlog::info("bgp {} {}: maintenance over: starting the session", name, peer);
      e->neighbor->start();
    }
  }
}

void BgpNeighbors::on_action(Entry& e, const bgp::Action& action) {
  const auto& name = e.config.name;
  const auto peer = e.config.address.to_string();
  if (const auto* sc = std::get_if<bgp::StateChanged>(&action)) {
    e.since = std::chrono::steady_clock::now();
    const bool bad = sc->from == bgp::State::Established || sc->reason.notification_received;
    spdlog::log(bad ? spdlog::level::warn : spdlog::level::info, "bgp {} {}: {} -> {}: {}", name,
                peer, bgp::to_string(sc->from), bgp::to_string(sc->to), sc->reason.text);
    if (sc->reason.notification_sent || sc->reason.notification_received)
      e.last_error = sc->reason.text;
    if (sc->to == bgp::State::OpenSent && progress_) progress_(name, BgpProgress::opened);
  } else if (const auto* up = std::get_if<bgp::SessionEstablished>(&action)) {
    e.info = up->info;
    e.rib.set_routes(routes_for(e));
    e.rib.session_up(up->info.negotiated);
    auto updates = e.rib.flush();
    spdlog::info("bgp {} {}: announcing {} prefix(es) in {} UPDATE(s)", name, peer,
                 e.rib.sent_count(), updates.size());
    e.neighbor->send_updates(updates);
    if (progress_) progress_(name, BgpProgress::established);
    if (routes_sent_) routes_sent_();
  } else if (const auto* down = std::get_if<bgp::SessionDown>(&action)) {
    e.info.reset();
    e.rib.session_down();
    e.last_error = down->reason.text;
    // The grace keeps an Established session from a BFD Down that is soon
    // undone; with the session gone it has nothing left to keep, and running
    // out later it would reset the next connection.
    if (e.bfd_grace) e.bfd_grace->cancel();
    if (progress_) progress_(name, BgpProgress::down);
  } else if (const auto* rr = std::get_if<bgp::RouteRefreshRequested>(&action)) {
    spdlog::info("bgp {} {}: ROUTE-REFRESH for {}: re-sending", name, peer, family_name(rr->family));
    e.neighbor->send_updates(e.rib.refresh(rr->family));
  } else if (const auto* fd = std::get_if<bgp::FamilyDisabled>(&action)) {
    spdlog::warn("bgp {} {}: {} disabled for this session (RFC 7606): {}", name, peer,
                 family_name(fd->family), fd->text);
  } else if (const auto* cr = std::get_if<bgp::CollisionResolved>(&action)) {
    spdlog::info("bgp {} {}: connection collision, closed the {} connection", name, peer,
                 bgp::to_string(cr->closed));
  }
}

void BgpNeighbors::open_listeners(const Config& config) {
  // Every neighbor's connection is accepted, as RFC 4271 §8 has it: a
  // router that comes back connects at once instead of waiting for our
  // backed-off ConnectRetryTimer, and a collision is resolved by §6.8.
  // `passive` neighbors are only accepted, never connected to.
  struct Where {
    platform::Family family;
    std::optional<platform::IpAddress> address;
    bool passive = false;  // a passive neighbor has no other way in
  };
  std::map<std::string, Where> wanted;
  for (const auto& n : config.neighbors) {
    const auto key = n.local_address ? n.local_address->to_string()
                                     : std::string(n.address.is_v4() ? "0.0.0.0" : "::");
    Where& w = wanted.try_emplace(key, Where{n.address.family(), n.local_address}).first->second;
    w.passive = w.passive || n.passive;
  }
  std::erase_if(listeners_, [&](const auto& kv) { return !wanted.contains(kv.first); });
  for (const auto& [key, where] : wanted) {
    if (!listeners_.contains(key)) {
      auto fd = platform::listen_tcp({.family = where.family,
                                      .bind_address = where.address,
                                      .bind_port = bgp::io::kBgpPort,
                                      .ttl = 255});
      if (!fd) {
        // Port 179 may belong to another BGP daemon on this host: the
        // active neighbors still work, we connect to them.
        if (where.passive) {
          spdlog::error("bgp: cannot listen on {} port 179: {}; passive neighbors there cannot "
                        "connect", key, fd.error().what);
        } else {
          spdlog::warn("bgp: cannot listen on {} port 179: {}; fbfd connects to its neighbors "
                       "there but does not accept their connections", key, fd.error().what);
        }
        continue;
      }
      Listener& l = listeners_[key];
      l.fd = std::move(*fd);
      l.watch = std::make_unique<platform::FdWatch>(base_, l.fd.get(), EV_READ,
                                                    [this, &l](short) { on_accept(l); });
      spdlog::info("bgp: listening on {} port 179 for the neighbors' connections", key);
    }
    Listener& l = listeners_.at(key);
    l.md5_failed.clear();
    for (const auto& n : config.neighbors) {
      if (n.address.family() != where.family || n.password.empty()) continue;
      if (auto ok = platform::set_md5_key(l.fd.get(), n.address, n.password); !ok) {
        // Fail closed (RFC 2385 §4 gives no fallback): without the key on the
        // listener the kernel would accept this neighbor unsigned, so its
        // connections are refused at accept() instead.
        spdlog::error("bgp {} {}: {}; its incoming connections are refused", n.name,
                      n.address.to_string(), ok.error().what);
        l.md5_failed.insert(n.address);
      }
    }
  }
}

void BgpNeighbors::on_accept(Listener& l) {
  for (;;) {
    auto got = platform::accept_tcp(l.fd.get());
    if (!got || !*got) return;
    auto [fd, remote] = std::move(**got);
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& kv) {
      return kv.second->config.address == remote.address;
    });
    if (it == entries_.end()) {
      spdlog::warn("bgp: refused a connection from {}: not a configured neighbor",
                   remote.address.to_string());
      continue;  // fd closes
    }
    if (l.md5_failed.contains(remote.address)) {
      spdlog::warn("bgp {} {}: refused a connection: its TCP-MD5 key could not be set on the "
                   "listener", it->first, remote.address.to_string());
      continue;  // fd closes
    }
    it->second->neighbor->adopt(std::move(fd));
  }
}

void BgpNeighbors::shutdown(const std::string& message) {
  for (auto& [name, e] : entries_) {
    if (e->info) {
      // Withdraw explicitly first: the router drops the routes even if it
      // is slow to act on the NOTIFICATION.
      e->rib.set_routes({});
      e->neighbor->send_updates(e->rib.flush());
    }
    e->neighbor->stop(bgp::CeaseSubcode::administrative_shutdown, message);
  }
}

bool BgpNeighbors::draining() const {
  for (const auto& [name, e] : entries_)
    if (e->neighbor->has_connections()) return true;
  for (const auto& e : retiring_)
    if (e->neighbor->has_connections()) return true;
  return false;
}

void BgpNeighbors::register_metrics() {
  // Every family iterates the configured neighbors at scrape time, by name
  // (retiring sessions, still flushing a NOTIFICATION, are not shown).
  using L = SampleWriter::Label;
  auto family = [this](const char* metric, const char* help, MetricType type, auto write) {
    metric_families_.push_back(metrics_.collect(metric, help, type, [this, write](SampleWriter& w) {
      for (const auto& [name, e] : entries_) {
        const std::string peer = e->config.address.to_string();
        write(w, *e, L{"neighbor", name}, L{"peer", peer});
      }
    }));
  };
  family("fbf_bgp_session_state",
         "BGP state (0 Idle, 1 Connect, 2 Active, 3 OpenSent, 4 OpenConfirm, 5 Established)",
         MetricType::gauge, [](SampleWriter& w, const Entry& e, L neighbor, L peer) {
           w.sample({neighbor, peer}, static_cast<double>(e.neighbor->session().state()));
         });
  using C = bgp::SessionCounters;
  auto counter = [&](const char* metric, const char* help, std::uint64_t (*read)(const C&)) {
    family(metric, help, MetricType::counter,
           [read](SampleWriter& w, const Entry& e, L neighbor, L peer) {
             w.sample({neighbor, peer}, read(e.neighbor->session().counters()));
           });
  };
  counter("fbf_bgp_established_transitions_total", "BGP transitions into Established",
          [](const C& c) -> std::uint64_t { return c.established_transitions; });
  counter("fbf_bgp_updates_received_total", "BGP UPDATE messages received",
          [](const C& c) -> std::uint64_t { return c.messages_in[2]; });
  counter("fbf_bgp_updates_sent_total", "BGP UPDATE messages sent",
          [](const C& c) -> std::uint64_t { return c.messages_out[2]; });
  counter("fbf_bgp_notifications_sent_total", "BGP NOTIFICATIONs sent",
          [](const C& c) -> std::uint64_t { return c.notifications_sent; });
  counter("fbf_bgp_notifications_received_total", "BGP NOTIFICATIONs received",
          [](const C& c) -> std::uint64_t { return c.notifications_received; });
  counter("fbf_bgp_idle_holds_total",
          "Times peer oscillation damping held the BGP session Idle",
          [](const C& c) -> std::uint64_t { return c.idle_holds; });
  counter("fbf_bgp_administrative_resets_total",
          "Sessions the router's operator reset (Cease 6/4, 6/6): not counted for damping",
          [](const C& c) -> std::uint64_t { return c.administrative_resets; });
  family("fbf_bgp_prefixes_received_total", "Prefixes received (counted, not stored)",
         MetricType::counter, [](SampleWriter& w, const Entry& e, L neighbor, L peer) {
           const auto& c = e.neighbor->session().counters();
           w.sample({neighbor, peer, {"family", "ipv4"}}, std::uint64_t{c.ipv4.announced});
           w.sample({neighbor, peer, {"family", "ipv6"}}, std::uint64_t{c.ipv6.announced});
         });
  family("fbf_bgp_prefixes_announced", "Prefixes we currently announce", MetricType::gauge,
         [](SampleWriter& w, const Entry& e, L neighbor, L peer) {
           w.sample({neighbor, peer}, static_cast<double>(e.rib.sent_count()));
         });
}

json BgpNeighbors::show_bgp() const {
  json out = json::array();
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [name, e] : entries_) {
    const auto& s = e->neighbor->session();
    const auto& c = s.counters();
    json j = {{"name", name},
              {"peer", e->config.address.to_string()},
              {"remote_as", e->config.remote_as},
              {"type", e->config.is_ibgp(agent_.local_as) ? "iBGP" : "eBGP"},
              {"state", bgp::to_string(s.state())},
              {"state_seconds", std::chrono::duration<double>(now - e->since).count()},
              {"prefixes_sent", e->rib.sent_count()},
              {"prefixes_received_ipv4", c.ipv4.announced},
              {"prefixes_received_ipv6", c.ipv6.announced},
              {"withdrawals_received", c.ipv4.withdrawn + c.ipv6.withdrawn},
              {"updates_received", c.messages_in[2]},
              {"updates_sent", c.messages_out[2]},
              {"established_transitions", c.established_transitions},
              // Peer oscillation damping (docs/operations.md): drops counted
              // within its window, holds so far, drops it left out.
              {"damping_drops", s.damping().recent_drops(now)},
              {"idle_holds", c.idle_holds},
              {"administrative_resets", c.administrative_resets},
              {"last_error", e->last_error.empty() ? e->neighbor->last_socket_error() : e->last_error},
              {"bfd_strict", e->config.bfd_strict},
              {"held_for_bfd", e->held_for_bfd}};
    if (e->config.bfd && bfd_query_) {
      auto st = bfd_query_(e->config);
      j["bfd"] = st ? std::string(bfd::to_string(*st)) : "none";
    }
    if (e->info) {
      j["hold_time"] = e->info->hold_time;
      j["local_address"] = e->info->addresses.local ? e->info->addresses.local->to_string() : "";
      j["peer_router_id"] = platform::IpAddress::v4(
          {static_cast<std::uint8_t>(e->info->peer_bgp_identifier >> 24),
           static_cast<std::uint8_t>(e->info->peer_bgp_identifier >> 16),
           static_cast<std::uint8_t>(e->info->peer_bgp_identifier >> 8),
           static_cast<std::uint8_t>(e->info->peer_bgp_identifier)}).to_string();
    }
    out.push_back(std::move(j));
  }
  json doc = json::object();
  doc["neighbors"] = std::move(out);
  return doc;
}

json BgpNeighbors::show_routes() const {
  json out = json::array();
  for (const auto& [name, e] : entries_) {
    for (const auto& route : routes_for(*e)) {
      const auto* sent = e->rib.sent(route.prefix);
      if (sent == nullptr) continue;
      std::vector<std::uint32_t> path;
      for (const auto& seg : sent->as_path) path.insert(path.end(), seg.asns.begin(), seg.asns.end());
      json j = {{"prefix", route.prefix.to_string()}, {"neighbor", name},
                {"as_path", path}, {"communities", join_communities(sent->communities)}};
      const auto& nh = route.prefix.family() == platform::Family::v4 ? sent->next_hop : sent->next_hop_v6;
      j["next_hop"] = nh ? nh->to_string() : "";
      if (sent->med) j["med"] = *sent->med;
      if (sent->local_pref) j["local_pref"] = *sent->local_pref;
      json large = json::array();
      for (const auto& lc : sent->large_communities)
        large.push_back(fmt::format("{}:{}:{}", lc.global_admin, lc.local1, lc.local2));
      j["large_communities"] = large;
      out.push_back(std::move(j));
    }
  }
  json doc = json::object();
  doc["routes"] = std::move(out);  // moved, not copied: one entry per prefix and neighbor
  return doc;
}

void BgpNeighbors::register_commands(CommandTable& commands) {
  commands.add("show bgp", [this](const json&) -> CommandResult { return show_bgp(); });
  commands.add("show routes", [this](const json&) -> CommandResult { return show_routes(); });
}

}  // namespace fbf::agent
