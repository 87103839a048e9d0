#include "agent/bfd_sessions.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <tuple>

#include "bfd/digest.h"

namespace fbf::agent {

namespace {

using bfd::SessionId;
using bfd::SessionSpec;

std::uint32_t micros(Duration d) {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

bfd::AuthType auth_type(BfdAuthType t) {
  switch (t) {
    case BfdAuthType::none: return bfd::AuthType::None;
    case BfdAuthType::simple: return bfd::AuthType::SimplePassword;
    case BfdAuthType::keyed_md5: return bfd::AuthType::KeyedMd5;
    case BfdAuthType::meticulous_keyed_md5: return bfd::AuthType::MeticulousKeyedMd5;
    case BfdAuthType::keyed_sha1: return bfd::AuthType::KeyedSha1;
    case BfdAuthType::meticulous_keyed_sha1: return bfd::AuthType::MeticulousKeyedSha1;
  }
  return bfd::AuthType::None;
}

// Fills the parts common to neighbor and bfd_peer sessions; false + reason
// when the key cannot be used (auth fails closed: never run unauthenticated).
bool fill(SessionSpec& spec, const BfdSettings& s, std::string& why) {
  spec.timers = {micros(s.timers.min_tx), micros(s.timers.min_rx), s.timers.multiplier,
                 micros(s.timers.echo_rx), micros(s.timers.echo_tx)};
  if (s.auth.type != BfdAuthType::none) {
    const auto& key = s.auth.key;
    auto auth = bfd::make_auth_config(
        auth_type(s.auth.type), s.auth.key_id,
        std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()));
    if (!auth) {
      why = std::string(bfd::to_string(auth.error()));
      if (auth.error() == bfd::AuthConfigError::digests_unavailable)
        why += ": " + bfd::digests_available().error();
      return false;
    }
    spec.auth = *auth;
  }
  // RFC 5881 §5: single hop demands TTL 255 unless the session is
  // authenticated; RFC 5883 §5: multihop takes the configured minimum.
  if (spec.key.multihop) spec.min_rx_ttl = s.min_ttl;
  else spec.min_rx_ttl = spec.auth.type == bfd::AuthType::None ? 255 : 0;
  return true;
}

bool same_auth(const bfd::AuthConfig& a, const bfd::AuthConfig& b) {
  return a.type == b.type && a.key.id == b.key.id && a.key.length == b.key.length &&
         std::equal(a.key.bytes().begin(), a.key.bytes().end(), b.key.bytes().begin());
}

// Single hop without a configured interface: the agent binds it to the
// interface of the connected prefix holding the peer (RFC 5881 §3).
bool auto_bound(const SessionSpec& s) { return !s.key.multihop && s.interface.empty(); }

// The key as the configuration has it: an auto-bound session's ifindex is
// the agent's doing, not the configuration's.
bfd::PeerKey config_key(const SessionSpec& s) {
  bfd::PeerKey k = s.key;
  if (auto_bound(s)) k.ifindex = 0;
  return k;
}

// Everything but the intervals, which change in place (Poll Sequence), and
// the role: a neighbor's session starts Passive only to wait for BGP
// (BfdSessions::add), which bfd_strict changes nothing about once it runs.
bool same_identity(const SessionSpec& a, const SessionSpec& b) {
  return a.name == b.name && config_key(a) == config_key(b) && a.interface == b.interface &&
         a.min_rx_ttl == b.min_rx_ttl && same_auth(a.auth, b.auth);
}

bool same_timers(const bfd::TimerSettings& a, const bfd::TimerSettings& b) {
  return a == b;  // intervals, multiplier and the echo settings
}

double seconds(std::uint64_t us) { return static_cast<double>(us) / 1e6; }
double millis(std::uint64_t us) { return static_cast<double>(us) / 1e3; }

// One session as its metrics show it.
struct MetricRow {
  const bfd::Session* session;
  const SessionSpec* spec;
  std::string peer;
};

// The live sessions, sorted by name, then peer as text, each (session, peer)
// label pair once: a scrape shows exactly what runs, in a stable order.
std::vector<MetricRow> metric_rows(const bfd::Engine& engine) {
  std::vector<MetricRow> rows;
  for (SessionId id : engine.ids()) {
    const auto* spec = engine.spec(id);
    const auto* session = engine.find(id);
    if (spec != nullptr && session != nullptr)
      rows.push_back({session, spec, spec->key.peer.to_string()});
  }
  auto key = [](const MetricRow& r) { return std::tie(r.spec->name, r.peer); };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const MetricRow& a, const MetricRow& b) { return key(a) < key(b); });
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [&](const MetricRow& a, const MetricRow& b) { return key(a) == key(b); }),
             rows.end());
  return rows;
}

// RxDrop indexes sorted by their label value.
const std::array<std::size_t, bfd::kRxDropCount>& drops_by_name() {
  static const auto order = [] {
    std::array<std::size_t, bfd::kRxDropCount> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = i;
    std::sort(a.begin(), a.end(), [](std::size_t x, std::size_t y) {
      return bfd::to_string(static_cast<bfd::RxDrop>(x)) <
             bfd::to_string(static_cast<bfd::RxDrop>(y));
    });
    return a;
  }();
  return order;
}

double micros_to_seconds(std::optional<bfd::Microseconds> us) {
  return us ? static_cast<double>(us->count()) / 1e6 : std::numeric_limits<double>::quiet_NaN();
}

struct SessionCounterFamily {
  const char* name;
  const char* help;
  std::uint64_t (*read)(const bfd::SessionCounters&);
};
constexpr SessionCounterFamily kSessionCounters[] = {
    {"fbf_bfd_session_flaps_total", "BFD transitions out of Up",
     [](const bfd::SessionCounters& c) { return c.flaps; }},
    {"fbf_bfd_packets_received_total", "BFD Control packets accepted",
     [](const bfd::SessionCounters& c) { return c.packets_in; }},
    {"fbf_bfd_packets_sent_total", "BFD Control packets sent",
     [](const bfd::SessionCounters& c) { return c.packets_out; }},
    {"fbf_bfd_detection_expiries_total", "BFD Detection Time expiries (failures detected)",
     [](const bfd::SessionCounters& c) { return c.detection_expiries; }},
    {"fbf_bfd_echo_sent_total", "BFD Echo packets sent",
     [](const bfd::SessionCounters& c) { return c.echo_out; }},
    {"fbf_bfd_echo_received_total", "BFD Echo packets of ours accepted back",
     [](const bfd::SessionCounters& c) { return c.echo_in; }},
    {"fbf_bfd_echo_failures_total", "BFD Echo function failures (Down, diag 2)",
     [](const bfd::SessionCounters& c) { return c.echo_failures; }},
};

struct SessionGaugeFamily {
  const char* name;
  const char* help;
  double (*read)(const bfd::Session&);  // NaN: no value yet
};
constexpr SessionGaugeFamily kSessionGauges[] = {
    {"fbf_bfd_session_state", "BFD session state (0 AdminDown, 1 Down, 2 Init, 3 Up)",
     [](const bfd::Session& s) { return static_cast<double>(s.variables().SessionState); }},
    {"fbf_bfd_detection_time_seconds", "Negotiated BFD Detection Time",
     [](const bfd::Session& s) { return seconds(s.detection_time_us()); }},
    {"fbf_bfd_transmit_interval_seconds", "Negotiated BFD transmit interval",
     [](const bfd::Session& s) { return seconds(s.transmit_interval_us()); }},
    {"fbf_bfd_last_detection_latency_seconds",
     "Time from the last packet to the last failure detection",
     [](const bfd::Session& s) { return micros_to_seconds(s.counters().last_detection_latency); }},
    {"fbf_bfd_max_transmit_gap_seconds", "Largest gap between two of our transmissions",
     [](const bfd::Session& s) {
       return static_cast<double>(s.counters().max_tx_gap.count()) / 1e6;
     }},
    {"fbf_bfd_echo_rtt_seconds", "Round trip of the last BFD Echo packet",
     [](const bfd::Session& s) { return micros_to_seconds(s.counters().last_echo_rtt); }},
};

}  // namespace

void BfdSessions::on_late_wakeup(std::chrono::microseconds lateness) {
  const auto line = late_warnings_.note(std::chrono::steady_clock::now(), lateness);
  if (!line) return;
  spdlog::warn(
      "bfd: timers ran {:.1f} ms late ({} such wake-up(s) since the last warning, worst {:.1f} ms): "
      "fbfd was not scheduled or its loop was busy; packets due then left late, possibly outside "
      "the RFC 5880 §6.8.7 window (see fbf_bfd_wakeups_late_total)",
      static_cast<double>(lateness.count()) / 1000.0, line->occurrences,
      static_cast<double>(line->worst.count()) / 1000.0);
}

std::expected<std::vector<SessionSpec>, std::vector<std::string>> bfd_specs(const Config& config) {
  std::vector<SessionSpec> out;
  std::vector<std::string> errors;
  for (const auto& n : config.neighbors) {
    if (!n.bfd) continue;
    SessionSpec spec;
    spec.name = n.name;
    spec.key.peer = n.address;
    spec.key.local = n.local_address;
    spec.key.multihop = n.bfd_multihop();
    // Waits for BGP before it sends (BfdSessions::add); bfd_strict's BGP
    // waits for BFD instead.
    spec.role = n.bfd_strict ? bfd::Role::Active : bfd::Role::Passive;
    std::string why;
    if (fill(spec, *n.bfd, why)) out.push_back(std::move(spec));
    else errors.push_back("neighbor " + n.name + ": BFD authentication: " + why);
  }
  for (const auto& p : config.bfd_peers) {
    SessionSpec spec;
    spec.name = p.address.to_string();
    spec.key.peer = p.address;
    spec.key.local = p.local_address;
    spec.key.multihop = p.multihop;
    spec.interface = p.interface;
    if (!p.interface.empty() && !p.multihop)
      spec.key.ifindex = platform::interface_index(p.interface);
    std::string why;
    if (fill(spec, p.settings, why)) out.push_back(std::move(spec));
    else errors.push_back("bfd_peer " + spec.name + ": BFD authentication: " + why);
  }
  if (!errors.empty()) return std::unexpected(errors);
  return out;
}

BfdSessions::BfdSessions(event_base* base, Metrics& metrics, InterfaceSnapshot interfaces)
    : base_(base),
      metrics_(metrics),
      service_(std::make_unique<bfd::io::Service>(
          base, random_, [this](const bfd::io::StateEvent& e) { on_state_changed(e); })),
      interfaces_(interfaces ? std::move(interfaces)
                             : InterfaceSnapshot(platform::interface_prefixes)),
      heard_timer_(base, [this] { poll_heard(); }),
      resolve_timer_(base, [this] { resolve_interfaces(); }) {
  service_->on_late_wakeup([this](std::chrono::microseconds late) { on_late_wakeup(late); });
  const char* help = "BFD datagrams dropped before reaching a session, by reason";
  const auto& c = service_->engine().counters();
  for (std::size_t i = 0; i < bfd::kDecodeErrorCount; ++i) {
    const auto reason = bfd::to_string(static_cast<bfd::DecodeError>(i));
    metrics_.counter_fn("fbf_bfd_rx_invalid_total", help, {{"reason", std::string(reason)}},
                        [&c, i] { return c.decode_errors[i]; });
  }
  metrics_.counter_fn("fbf_bfd_rx_invalid_total", help, {{"reason", "no_session"}},
                      [&c] { return c.no_session; });
  metrics_.counter_fn("fbf_bfd_rx_invalid_total", help, {{"reason", "address_mismatch"}},
                      [&c] { return c.address_mismatch; });
  const auto& io = service_->io_counters();
  metrics_.counter_fn("fbf_bfd_send_errors_total", "BFD packets the kernel refused to send", {},
                      [&io] { return io.send_errors; });
  metrics_.counter_fn("fbf_bfd_send_calls_total",
                      "System calls that sent BFD Control packets (one per batch when batched)",
                      {}, [&io] { return io.send_calls; });
  metrics_.counter_fn("fbf_bfd_batched_send_calls_total",
                      "Of those, sendmmsg calls on the raw sockets (a wake-up with one packet "
                      "sends it from its session's socket)",
                      {}, [&io] { return io.batched_send_calls; });
  if (service_->transmit_path() == bfd::io::TransmitPath::batched)
    spdlog::info("bfd: Control packets leave in batches (raw sockets, sendmmsg; a wake-up's "
                 "lone packet from its session's socket)");
  else
    spdlog::info("bfd: Control packets leave one system call each from their session's socket "
                 "(no batching: {})",
                 service_->per_session_reason());
  metrics_.counter_fn("fbf_bfd_wakeups_total",
                      "Wake-ups of the BFD timer wheel (one serves every session due)", {},
                      [&io] { return io.wakeups; });
  metrics_.counter_fn("fbf_bfd_early_transmissions_total",
                      "Periodic BFD packets sent early inside their RFC 5880 §6.8.7 window, in a "
                      "wake-up the loop had anyway (each one a wake-up saved)",
                      {}, [&io] { return io.early_transmissions; });
  for (std::size_t i = 0; i < bfd::io::kLateWakeupThresholds.size(); ++i) {
    metrics_.counter_fn(
        "fbf_bfd_wakeups_late_total",
        "Wake-ups of the BFD timer wheel that ran at least `by` after they were due "
        "(the process was held up; packets then leave late)",
        {{"by", fmt::format("{}ms", bfd::io::kLateWakeupThresholds[i].count() / 1000)}},
        [&io, i] { return io.late_wakeups[i]; });
  }
  metrics_.gauge_fn("fbf_bfd_wakeup_lateness_max_seconds",
                    "The latest any wake-up of the BFD timer wheel ran after it was due", {},
                    [&io] { return static_cast<double>(io.worst_lateness.count()) / 1e6; });
  metrics_.counter_fn("fbf_bfd_kept_up_transmissions_total",
                      "Periodic BFD packets sent from inside a long task of the loop (show bfd, "
                      "a metrics scrape over many sessions) because they fell due meanwhile",
                      {}, [&io] { return io.kept_up_transmissions; });
  metrics_.counter_fn("fbf_bfd_receive_calls_total",
                      "Batched reads of the BFD listeners (one system call each)", {},
                      [&io] { return io.receive_calls; });
  metrics_.gauge_fn("fbf_bfd_receive_polled",
                    "1 while the BFD listeners are read on the 2 ms tick (heavy receive load)",
                    {}, [&io] { return io.polled ? 1.0 : 0.0; });
  const auto& echo = service_->echo_counters();
  metrics_.counter_fn("fbf_bfd_echo_reflected_total",
                      "Peer BFD Echo packets fbfd looped back itself (not the kernel)", {},
                      [&echo] { return echo.reflected; });
  metrics_.counter_fn("fbf_bfd_echo_send_errors_total",
                      "BFD Echo packets not sent, by reason", {{"reason", "socket"}},
                      [&echo] { return echo.send_errors; });
  metrics_.counter_fn("fbf_bfd_echo_send_errors_total",
                      "BFD Echo packets not sent, by reason", {{"reason", "unresolved"}},
                      [&echo] { return echo.unresolved; });
  metrics_.counter_fn("fbf_bfd_echo_disabled_total",
                      "Sessions whose Echo transmission was turned off: no link-layer socket "
                      "(CAP_NET_RAW missing, or not Linux)",
                      {}, [&echo] { return echo.no_socket; });
  register_metrics();
}

BfdSessions::~BfdSessions() = default;

std::vector<std::string> BfdSessions::apply(const Config& config) {
  errors_.clear();
  auto specs = bfd_specs(config);
  if (!specs) {
    errors_ = specs.error();
    for (const auto& e : errors_) spdlog::error("bfd: {}", e);
    return errors_;
  }
  const auto& engine = service_->engine();
  std::vector<bool> running(specs->size(), false);
  // Sessions no longer wanted, or changed beyond their intervals: removed.
  for (SessionId id : engine.ids()) {
    const SessionSpec current = *engine.spec(id);
    auto wanted = std::find_if(specs->begin(), specs->end(), [&](const SessionSpec& s) {
      return config_key(s) == config_key(current);
    });
    if (wanted == specs->end() || !same_identity(*wanted, current)) {
      remove(id);
      continue;
    }
    running[static_cast<std::size_t>(wanted - specs->begin())] = true;
    if (wanted->role == bfd::Role::Passive) {
      follows_bgp_.insert(id);
    } else if (follows_bgp_.erase(id) != 0 && waiting_for_bgp(id)) {
      release(id);  // now bfd_strict: BGP waits for BFD, not the other way round
    }
    if (!same_timers(wanted->timers, current.timers)) {
      spdlog::info("bfd {} {}: new intervals tx {} us rx {} us x{} echo rx {} us tx {} us "
                   "(Poll Sequence)",
                   current.name, current.key.peer.to_string(),
                   wanted->timers.desired_min_tx_interval, wanted->timers.required_min_rx_interval,
                   wanted->timers.detect_mult, wanted->timers.required_min_echo_rx_interval,
                   wanted->timers.desired_min_echo_tx_interval);
      service_->set_timers(id, wanted->timers);
    }
  }
  for (std::size_t i = 0; i < specs->size(); ++i) {
    if (!running[i]) add((*specs)[i]);
  }
  // New sessions get their interface before the loop reads a packet for
  // them; a reload is also a good moment to look at the others again.
  resolve_interfaces();
  return errors_;
}

void BfdSessions::add(const SessionSpec& spec) {
  auto id = service_->add(spec);
  if (!id) {
    errors_.push_back("bfd " + spec.name + " " + spec.key.peer.to_string() + ": " + id.error());
    spdlog::error("bfd {} {}: {}", spec.name, spec.key.peer.to_string(), id.error());
    return;
  }
  spdlog::info("bfd {} {}: session created ({}, local discriminator {:#010x}, source port {})",
               spec.name, spec.key.peer.to_string(), spec.key.multihop ? "multihop" : "single hop",
               *id, service_->source_port(*id));
  if (auto_bound(spec)) bindings_[*id] = {};
  if (admin_down_.contains(spec.name)) apply_admin(*id);  // maintenance
  if (spec.role == bfd::Role::Passive) {
    follows_bgp_.insert(*id);
    hold(*id);
    spdlog::info("bfd {} {}: AdminDown until BGP is Established", spec.name,
                 spec.key.peer.to_string());
  }
}

platform::Timer& BfdSessions::waiter(SessionId id) {
  auto& timer = waiting_for_bgp_[id];
  if (!timer) timer = std::make_unique<platform::Timer>(base_, [this, id] { release(id); });
  return *timer;
}

void BfdSessions::on_bgp(const std::string& neighbor, BgpProgress progress) {
  for (SessionId id : service_->engine().ids()) {
    const auto* spec = service_->engine().spec(id);
    if (spec == nullptr || spec->name != neighbor || !follows_bgp_.contains(id)) continue;
    const auto peer = spec->key.peer.to_string();
    if (progress == BgpProgress::opened) {
      // A router in BFD strict mode holds BGP short of Established until
      // BFD is Up; one that does not wait was proven so already.
      if (!held_for_bgp_.contains(id) || bgp_without_bfd_.contains(id) || waiter(id).pending())
        continue;
      spdlog::info("bfd {} {}: BGP connection open: sending in {} s unless BGP is Established "
                   "first", neighbor, peer, kWaitAfterBgpOpen.count());
      waiter(id).arm(kWaitAfterBgpOpen);
    } else if (progress == BgpProgress::established) {
      const auto* session = service_->engine().find(id);
      if (session != nullptr && session->variables().SessionState != bfd::State::Up &&
          bgp_without_bfd_.insert(id).second) {
        spdlog::info("bfd {} {}: the router does not wait for BFD before BGP: from now on "
                     "AdminDown while BGP is down", neighbor, peer);
      }
      if (!waiting_for_bgp(id)) continue;
      spdlog::info("bfd {} {}: BGP Established: leaving AdminDown in {} ms", neighbor, peer,
                   kAfterBgp.count());
      waiter(id).arm(kAfterBgp);
    } else if (bgp_without_bfd_.contains(id) && !held_for_bgp_.contains(id)) {
      // A router restarting brings its BFD back before BGP; one that
      // re-creates its session at Established (FRR) would close BGP again.
      waiter(id).cancel();
      spdlog::info("bfd {} {}: BGP left Established: AdminDown until it is Established "
                   "again (RFC 5880 §6.8.16)", neighbor, peer);
      hold(id);
    }
  }
}

// Its timer runs only while it is held: to release it.
bool BfdSessions::waiting_for_bgp(SessionId id) const { return held_for_bgp_.contains(id); }

namespace {
std::uint64_t discarded_in_admin_down(const bfd::Session& s) {
  return s.counters().drops[static_cast<std::size_t>(bfd::RxDrop::admin_down)];
}
}  // namespace

void BfdSessions::hold(SessionId id) {
  const auto* session = service_->engine().find(id);
  held_for_bgp_[id] = session != nullptr ? discarded_in_admin_down(*session) : 0;
  if (!heard_timer_.pending()) heard_timer_.arm(kHeardPoll);
  apply_admin(id);
}

void BfdSessions::poll_heard() {
  std::vector<std::string> heard;
  for (auto& [id, seen] : held_for_bgp_) {
    const auto* session = service_->engine().find(id);
    const auto* spec = service_->engine().spec(id);
    if (session == nullptr || spec == nullptr) continue;
    const std::uint64_t now = discarded_in_admin_down(*session);
    if (now == seen) continue;
    seen = now;
    heard.push_back(spec->name);
  }
  if (!held_for_bgp_.empty()) heard_timer_.arm(kHeardPoll);
  // After the walk: the hook reaches BGP, which may report back (on_bgp).
  for (const auto& name : heard) {
    if (peer_heard_) peer_heard_(name);
  }
}

void BfdSessions::release(SessionId id) {
  const auto* spec = service_->engine().spec(id);
  if (spec == nullptr || held_for_bgp_.erase(id) == 0) return;
  waiter(id).cancel();
  spdlog::info("bfd {} {}: leaving AdminDown: sending, with a Poll until Up", spec->name,
               spec->key.peer.to_string());
  // Active first, so that leaving AdminDown starts the Poll (session.cpp);
  // still AdminDown while maintenance holds it.
  service_->activate(id);
  apply_admin(id);
}

void BfdSessions::apply_admin(SessionId id) {
  const auto* spec = service_->engine().spec(id);
  if (spec == nullptr) return;
  service_->set_admin_down(id, admin_down_.contains(spec->name) || held_for_bgp_.contains(id));
}

void BfdSessions::remove(SessionId id) {
  const SessionSpec spec = *service_->engine().spec(id);
  bindings_.erase(id);
  waiting_for_bgp_.erase(id);
  follows_bgp_.erase(id);
  held_for_bgp_.erase(id);
  bgp_without_bfd_.erase(id);
  service_->remove(id);
  spdlog::info("bfd {} {}: session removed (AdminDown sent)", spec.name,
               spec.key.peer.to_string());
}

void BfdSessions::resolve_interfaces() {
  resolve_timer_.cancel();
  if (bindings_.empty()) return;
  auto snapshot = interfaces_();
  if (!snapshot) {
    if (snapshot.error() != snapshot_error_)
      spdlog::warn("bfd: cannot read the interfaces' addresses to bind single-hop sessions: {}",
                   snapshot.error());
    snapshot_error_ = snapshot.error();
    resolve_timer_.arm(kResolveUnbound);
    return;
  }
  snapshot_error_.clear();
  bool all_bound = true;
  for (auto& [id, binding] : bindings_) {
    const auto* spec = service_->engine().spec(id);
    if (spec == nullptr) continue;
    if (!rebind(id, binding, platform::connected_interface(spec->key.peer, *snapshot)))
      all_bound = false;
  }
  resolve_timer_.arm(all_bound ? kResolveBound : kResolveUnbound);
}

bool BfdSessions::rebind(SessionId id, Binding& b, const platform::ConnectedLookup& found) {
  const SessionSpec& spec = *service_->engine().spec(id);
  const std::string who = spec.name + " " + spec.key.peer.to_string();
  const std::uint32_t current = spec.key.ifindex;
  auto say = [&b](spdlog::level::level_enum level, std::string line) {
    if (line != b.reported) spdlog::log(level, "{}", line);
    b.reported = std::move(line);
  };
  if (found.interface) {
    const auto& want = *found.interface;
    if (want.index == current) {
      b.interface = want.name;  // possibly renamed
      b.reported.clear();
      return true;
    }
    // The key's ifindex is the one thing the agent changes in place (no
    // socket depends on it: the transmit socket is bound to a device only
    // for a configured interface).
    if (!service_->set_ifindex(id, want.index)) {
      say(spdlog::level::warn,
          fmt::format("bfd {}: cannot bind to {} (ifindex {}): another session to {} is bound "
                      "there",
                      who, want.name, want.index, spec.key.peer.to_string()));
      return false;
    }
    if (current == 0)
      spdlog::info("bfd {}: bound to {} (ifindex {})", who, want.name, want.index);
    else
      spdlog::info("bfd {}: bound to {} (ifindex {}), was {} (ifindex {})", who, want.name,
                   want.index, b.interface, current);
    b.interface = want.name;
    b.reported.clear();
    return true;
  }
  std::string why;
  if (!found.ambiguous.empty())
    why = fmt::format("{} is in equally long connected prefixes of {}", spec.key.peer.to_string(),
                      fmt::join(found.ambiguous, ", "));
  else
    why = fmt::format("no interface has a connected prefix holding {}", spec.key.peer.to_string());
  if (current == 0)
    say(spdlog::level::warn,
        fmt::format("bfd {}: not bound to an interface: {}; its packets are accepted from any "
                    "interface until one does (looking again every {} s)",
                    who, why, kResolveUnbound.count()));
  else
    say(spdlog::level::warn, fmt::format("bfd {}: {}; staying bound to {} (ifindex {})", who, why,
                                         b.interface, current));
  return false;
}

void BfdSessions::shutdown() {
  resolve_timer_.cancel();
  heard_timer_.cancel();
  service_->admin_down_all();
}

void BfdSessions::set_admin_down(const std::set<std::string>& neighbors) {
  if (neighbors == admin_down_) return;
  std::vector<SessionId> changed;
  for (bfd::SessionId id : service_->engine().ids()) {
    const auto* spec = service_->engine().spec(id);
    if (spec == nullptr) continue;
    const bool want = neighbors.contains(spec->name);
    if (want == admin_down_.contains(spec->name)) continue;
    spdlog::info("bfd {} {}: maintenance: {}", spec->name, spec->key.peer.to_string(),
                 want ? "AdminDown"
                 : held_for_bgp_.contains(id) ? "over; AdminDown until BGP is Established"
                                              : "leaving AdminDown");
    changed.push_back(id);
  }
  admin_down_ = neighbors;
  for (SessionId id : changed) apply_admin(id);
}

void BfdSessions::on_state_changed(const bfd::io::StateEvent& e) {
  const auto level = e.change.is_failure() ? spdlog::level::warn : spdlog::level::info;
  spdlog::log(level, "bfd {} {}: {} -> {} diag={}{}", e.spec.name, e.spec.key.peer.to_string(),
              bfd::to_string(e.change.from), bfd::to_string(e.change.to),
              bfd::to_string(e.change.diag),
              e.change.remote_admin_down ? " (peer AdminDown, not a failure)" : "");
  for (const auto& l : listeners_) l(e.spec, e.change);
}

void BfdSessions::register_metrics() {
  // Every family iterates the live sessions at scrape time: nothing is
  // stored per session, and a removed one leaves no series behind.
  auto family = [this](const char* name, const char* help, MetricType type, auto write) {
    metric_families_.push_back(
        metrics_.collect(name, help, type, [this, write](SampleWriter& w) {
          for (const auto& r : metric_rows(service_->engine())) {
            service_->keep_up();  // as in show(): a scrape must not hold packets back
            write(w, r, SampleWriter::Label{"session", r.spec->name},
                  SampleWriter::Label{"peer", r.peer});
          }
        }));
  };
  using L = SampleWriter::Label;
  for (const auto& f : kSessionGauges) {
    family(f.name, f.help, MetricType::gauge,
           [read = f.read](SampleWriter& w, const MetricRow& r, L session, L peer) {
             w.sample({session, peer}, read(*r.session));
           });
  }
  for (const auto& f : kSessionCounters) {
    family(f.name, f.help, MetricType::counter,
           [read = f.read](SampleWriter& w, const MetricRow& r, L session, L peer) {
             w.sample({session, peer}, read(r.session->counters()));
           });
  }
  family("fbf_bfd_rx_dropped_total", "BFD packets a session discarded, by reason",
         MetricType::counter, [](SampleWriter& w, const MetricRow& r, L session, L peer) {
           const auto& drops = r.session->counters().drops;
           for (std::size_t i : drops_by_name())
             w.sample({session, peer, {"reason", bfd::to_string(static_cast<bfd::RxDrop>(i))}},
                      drops[i]);
         });
}

json BfdSessions::show() const {
  json sessions = json::array();
  const auto& engine = service_->engine();
  const auto now = std::chrono::steady_clock::now();
  for (SessionId id : engine.ids()) {
    service_->keep_up();  // thousands of sessions take tens of ms: packets due leave on time
    const auto& spec = *engine.spec(id);
    const auto& s = *engine.find(id);
    const auto& v = s.variables();
    const auto& c = s.counters();
    std::uint64_t dropped = 0;
    for (auto d : c.drops) dropped += d;
    const auto since = service_->since(id).value_or(now);
    // Which interface the session is bound to (RFC 5881 §3), and why.
    std::string interface = spec.interface;
    std::string binding = spec.key.multihop        ? "multihop"
                          : spec.interface.empty() ? "none"
                                                   : "configured";
    if (auto b = bindings_.find(id); b != bindings_.end()) {
      interface = spec.key.ifindex != 0 ? b->second.interface : "";
      binding = spec.key.ifindex != 0 ? "connected" : "none";
    }
    json j = {
        {"name", spec.name},
        {"peer", spec.key.peer.to_string()},
        {"local", spec.key.local ? spec.key.local->to_string() : ""},
        {"interface", interface},
        {"ifindex", spec.key.ifindex},
        {"binding", binding},
        {"multihop", spec.key.multihop},
        {"source_port", service_->source_port(id)},
        {"local_discriminator", v.LocalDiscr},
        {"remote_discriminator", v.RemoteDiscr},
        {"state", bfd::to_string(v.SessionState)},
        {"remote_state", bfd::to_string(v.RemoteSessionState)},
        {"diag", bfd::to_string(v.LocalDiag)},
        {"auth", bfd::to_string(v.AuthType)},
        {"desired_min_tx_ms", millis(spec.timers.desired_min_tx_interval)},
        {"required_min_rx_ms", millis(spec.timers.required_min_rx_interval)},
        {"detect_mult", spec.timers.detect_mult},
        {"remote_min_rx_ms", millis(v.RemoteMinRxInterval)},
        {"transmit_interval_ms", millis(s.transmit_interval_us())},
        {"detection_time_ms", millis(s.detection_time_us())},
        {"remote_demand", v.RemoteDemandMode},
        {"poll_active", s.poll_active()},
        {"waiting_for_bgp", waiting_for_bgp(id)},
        {"flaps", c.flaps},
        {"uptime_seconds", std::chrono::duration<double>(now - since).count()},
        {"packets_in", c.packets_in},
        {"packets_out", c.packets_out},
        {"dropped", dropped},
        {"auth_failures", c.auth_failures},
        {"max_transmit_gap_ms", static_cast<double>(c.max_tx_gap.count()) / 1e3},
        {"echo_rx_ms", millis(spec.timers.required_min_echo_rx_interval)},
        {"echo_tx_ms", millis(spec.timers.desired_min_echo_tx_interval)},
        {"remote_echo_rx_ms", millis(s.remote_min_echo_rx_interval_us())},
        {"echo_active", s.echo_active()},
        {"echo_interval_ms", millis(s.echo_transmit_interval_us())},
        {"echo_detection_time_ms", millis(s.echo_detection_time_us())},
        {"echo_out", c.echo_out},
        {"echo_in", c.echo_in},
        {"echo_failures", c.echo_failures},
        {"required_min_rx_advertised_ms", millis(v.RequiredMinRxInterval)},
    };
    if (c.last_echo_rtt)
      j["echo_rtt_ms"] = static_cast<double>(c.last_echo_rtt->count()) / 1e3;
    if (c.last_detection_latency)
      j["last_detection_latency_ms"] = static_cast<double>(c.last_detection_latency->count()) / 1e3;
    sessions.push_back(std::move(j));
  }
  json out = json::object();
  out["sessions"] = std::move(sessions);  // not copied: ~800 B per session
  out["errors"] = errors_;
  return out;
}

std::optional<bfd::State> BfdSessions::state_of(const platform::IpAddress& peer,
                                                bool multihop) const {
  const auto& engine = service_->engine();
  for (SessionId id : engine.ids()) {
    const auto& key = engine.spec(id)->key;
    if (key.peer == peer && key.multihop == multihop)
      return engine.find(id)->variables().SessionState;
  }
  return std::nullopt;
}

void BfdSessions::register_commands(CommandTable& commands) {
  commands.add("show bfd", [this](const json&) -> CommandResult { return show(); });
  // Encoding a reply of thousands of sessions takes as long as building it.
  commands.set_pacer([this] { service_->keep_up(); });
}

}  // namespace fbf::agent
