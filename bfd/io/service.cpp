#include "bfd/io/service.h"

#include <array>
#include <cerrno>

namespace fbf::bfd::io {

namespace {

// RFC 5881 §4: "The source port MUST be in the range 49152 through 65535."
constexpr std::uint16_t kSourcePortMin = 49152;
constexpr std::uint32_t kSourcePortCount = 65536 - kSourcePortMin;
// Datagrams read per wake-up before yielding to other events.
constexpr int kReadBurst = 64;

std::chrono::microseconds until(TimePoint at, TimePoint now) {
  return at > now ? std::chrono::duration_cast<std::chrono::microseconds>(at - now)
                  : std::chrono::microseconds(0);
}

}  // namespace

Service::Service(event_base* base, Random& random, StateCallback on_state)
    : base_(base),
      random_(random),
      on_state_(std::move(on_state)),
      engine_(random),
      echo_(base, engine_,
            [this](SessionId id, const Actions& a, TimePoint now) { execute(id, a, now); }) {}

Service::~Service() = default;

std::expected<void, std::string> Service::ensure_listener(platform::Family family,
                                                          bool multihop) {
  const auto key = std::make_pair(family, multihop);
  if (listeners_.contains(key)) return {};
  const std::uint16_t port = multihop ? kMultihopPort : kSingleHopPort;
  auto fd = platform::open_udp({.family = family, .port = port, .reuse_address = true});
  if (!fd) return std::unexpected("BFD receive socket: " + fd.error().what);
  Listener& l = listeners_[key];
  l.fd = std::move(*fd);
  l.multihop = multihop;
  l.watch = std::make_unique<platform::FdWatch>(base_, l.fd.get(), EV_READ,
                                                [this, &l](short) { on_readable(l); });
  return {};
}

std::expected<platform::UniqueFd, std::string> Service::open_transmit(const SessionSpec& spec,
                                                                      std::uint16_t& port) {
  // Try random ports in the range until one binds; with the range nearly
  // full this still succeeds quickly, and it never collides with a live one.
  std::string last_error;
  for (int attempt = 0; attempt < 64; ++attempt) {
    port = static_cast<std::uint16_t>(kSourcePortMin + random_.next_u32() % kSourcePortCount);
    auto fd = platform::open_udp({.family = spec.key.peer.family(),
                                  .bind_address = spec.key.local,
                                  .port = port,
                                  .interface = spec.key.multihop ? std::string() : spec.interface,
                                  .send_ttl = 255,
                                  .receive_metadata = false});
    if (fd) return std::move(*fd);
    last_error = fd.error().what;
    if (fd.error().errno_value != EADDRINUSE) break;
  }
  return std::unexpected("BFD transmit socket: " + last_error);
}

std::expected<SessionId, std::string> Service::add(const SessionSpec& spec) {
  if (auto ok = ensure_listener(spec.key.peer.family(), spec.key.multihop); !ok)
    return std::unexpected(ok.error());
  std::uint16_t port = 0;
  auto tx = open_transmit(spec, port);
  if (!tx) return std::unexpected(tx.error());
  auto id = engine_.add(spec);
  if (!id) return std::unexpected(id.error());
  const TimePoint now = Clock::now();
  Link& link = links_[*id];
  link.tx = std::move(*tx);
  link.source_port = port;
  link.peer = {spec.key.peer, spec.key.multihop ? kMultihopPort : kSingleHopPort,
               spec.key.peer.is_link_local() ? spec.key.ifindex : 0};
  const SessionId sid = *id;
  for (std::size_t k = 0; k < kTimerKindCount; ++k) {
    const auto kind = static_cast<TimerKind>(k);
    link.timers[k] = std::make_unique<platform::Timer>(base_, [this, sid, kind] {
      on_timer(sid, kind);
    });
  }
  link.since = now;
  echo_.configure(sid, spec);
  execute(sid, engine_.find(sid)->start(now), now);
  return sid;
}

void Service::set_timers(SessionId id, const TimerSettings& timers) {
  if (engine_.find(id) == nullptr) return;
  const TimePoint now = Clock::now();
  execute(id, engine_.set_timers(id, now, timers), now);
  echo_.configure(id, *engine_.spec(id));
}

void Service::remove(SessionId id) {
  Session* s = engine_.find(id);
  if (s == nullptr) return;
  const TimePoint now = Clock::now();
  // RFC 5880 §6.8.16: tell the peer this is administrative, not a failure.
  execute(id, s->admin_down(now, Diag::AdministrativelyDown), now);
  links_.erase(id);
  echo_.forget(id);
  engine_.remove(id);
}

void Service::admin_down_all() {
  const TimePoint now = Clock::now();
  for (SessionId id : engine_.ids()) {
    execute(id, engine_.find(id)->admin_down(now, Diag::AdministrativelyDown), now);
  }
}

void Service::set_admin_down(SessionId id, bool down) {
  Session* session = engine_.find(id);
  if (session == nullptr) return;
  const TimePoint now = Clock::now();
  execute(id, down ? session->admin_down(now, Diag::AdministrativelyDown) : session->admin_up(now),
          now);
}

std::optional<std::chrono::steady_clock::time_point> Service::since(SessionId id) const {
  auto it = links_.find(id);
  if (it == links_.end()) return std::nullopt;
  return it->second.since;
}

std::uint16_t Service::source_port(SessionId id) const {
  auto it = links_.find(id);
  return it == links_.end() ? 0 : it->second.source_port;
}

void Service::on_readable(Listener& listener) {
  std::array<std::uint8_t, 512> buffer;
  for (int i = 0; i < kReadBurst; ++i) {
    auto got = platform::receive_datagram(listener.fd.get(), buffer);
    if (!got) {
      ++io_.receive_errors;
      return;
    }
    if (!*got) return;  // drained
    const platform::Datagram& d = **got;
    RxPath path{d.source.address, d.destination, d.interface_index, listener.multihop,
                std::nullopt};
    if (d.ttl >= 0 && d.ttl <= 255) path.ttl = static_cast<std::uint8_t>(d.ttl);
    const TimePoint now = Clock::now();
    if (auto delivered = engine_.receive(now, d.payload, path)) {
      echo_.learn(delivered->id, path, now);  // where this session's echoes go
      execute(delivered->id, delivered->actions, now);
    }
  }
}

void Service::on_timer(SessionId id, TimerKind kind) {
  Session* s = engine_.find(id);
  if (s == nullptr) return;
  const TimePoint now = Clock::now();
  execute(id, s->on_timer(now, kind), now);
}

void Service::execute(SessionId id, const Actions& actions, TimePoint now) {
  auto it = links_.find(id);
  const Session* session = engine_.find(id);
  if (it == links_.end() || session == nullptr) return;
  Link& link = it->second;
  bool echo_unusable = false;
  for (const Action& action : actions) {
    if (const auto* t = std::get_if<Transmit>(&action)) {
      auto wire = encode_signed(t->packet, session->auth());
      if (!wire || !platform::send_datagram(link.tx.get(), wire->bytes(), link.peer))
        ++io_.send_errors;  // counted; the Detection Time covers lost packets
    } else if (const auto* e = std::get_if<TransmitEcho>(&action)) {
      echo_unusable = echo_.send(id, e->packet, now) == EchoSendResult::no_socket || echo_unusable;
    } else if (const auto* a = std::get_if<ArmTimer>(&action)) {
      link.timers[static_cast<std::size_t>(a->kind)]->arm(until(a->at, now));
    } else if (const auto* c = std::get_if<CancelTimer>(&action)) {
      link.timers[static_cast<std::size_t>(c->kind)]->cancel();
    } else if (const auto* sc = std::get_if<StateChanged>(&action)) {
      link.since = now;
      if (on_state_) on_state_(StateEvent{id, *engine_.spec(id), *sc});
    }
  }
  if (echo_unusable) {
    // Echoes cannot leave this host (no link-layer socket: no CAP_NET_RAW,
    // or not Linux). Stop sending them rather than let the echo Detection
    // Time take the session down for a failure that is ours (diag 2 would
    // be a lie). Desired Min Echo TX is local only (RFC 5880 §6.8.1), so the
    // peer sees nothing; show bfd shows echo tx 0, the counter says why, and
    // the next reload with echo_tx set tries again.
    TimerSettings timers = engine_.spec(id)->timers;
    timers.desired_min_echo_tx_interval = 0;
    echo_.count_no_socket();
    set_timers(id, timers);
  }
}

}  // namespace fbf::bfd::io
