#include "bfd/io/service.h"

#include <algorithm>
#include <array>
#include <cerrno>

#include "bfd/echo_frame.h"

namespace fbf::bfd::io {

namespace {

// RFC 5881 §4: "The source port MUST be in the range 49152 through 65535."
constexpr std::uint16_t kSourcePortMin = 49152;
constexpr std::uint32_t kSourcePortCount = 65536 - kSourcePortMin;
// Datagrams read per system call, and per wake-up at most four times that
// before yielding to other events.
constexpr std::size_t kBatch = 64;
constexpr int kBatchesPerWakeup = 4;
// Receive buffer of the shared listeners: room for a few hundred ms of
// 1000 sessions at 50 ms should the loop stall (the default is ~200 KiB).
constexpr int kListenerReceiveBuffer = 4 << 20;
// The polled mode's tick: received packets wait at most this long.
constexpr std::uint64_t kPollTickUs = 2000;
// Control packets queued per family before a batch is sent early.
constexpr std::size_t kTransmitBatch = 256;
// RFC 5881 §4 leaves the class open; network control (CS6), as BIRD, FRR
// and routing protocols use, and as bfd/echo_frame.cpp builds it.
constexpr int kTrafficClass = 0xc0;


}  // namespace

Service::Service(event_base* base, Random& random, StateCallback on_state, TransmitPath path)
    : base_(base),
      random_(random),
      on_state_(std::move(on_state)),
      engine_(random),
      echo_(base, engine_,
            [this](SessionId id, const Actions& a, TimePoint now) {
              execute(id, a, now);
              finish_event(now);
            }),
      batch_(kBatch, 512),
      wheel_(Clock::now()),
      early_(Clock::now()),
      wakeup_(base, [this](TimePoint due) { on_wakeup(due); }),
      window_start_(Clock::now()) {
  if (path == TransmitPath::per_session) {
    per_session_reason_ = "configured";
  } else if (auto raw = platform::RawIpSender::open(kTransmitBatch)) {
    raw_ = std::move(*raw);
    queued_.reserve(kTransmitBatch);
  } else {
    per_session_reason_ = raw.error().what;
  }
  state_changes_.reserve(kTransmitBatch);
}

Service::~Service() = default;

std::expected<void, std::string> Service::ensure_listener(platform::Family family,
                                                          bool multihop) {
  const auto key = std::make_pair(family, multihop);
  if (listeners_.contains(key)) return {};
  const std::uint16_t port = multihop ? kMultihopPort : kSingleHopPort;
  auto fd = platform::open_udp({.family = family,
                                .port = port,
                                .receive_timestamp = true,
                                .reuse_address = true,
                                .receive_buffer = kListenerReceiveBuffer});
  if (!fd) return std::unexpected("BFD receive socket: " + fd.error().what);
  Listener& l = listeners_[key];
  l.fd = std::move(*fd);
  l.empty_at = Clock::now();
  l.multihop = multihop;
  l.watch = std::make_unique<platform::FdWatch>(base_, l.fd.get(), EV_READ,
                                                [this, &l](short) { on_readable(l); });
  l.watch->set_enabled(!io_.polled);
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
                                  .traffic_class = kTrafficClass,
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
  const SessionId sid = *id;
  Link& link = links_.try_emplace(sid).first->second;
  link.id = sid;
  link.tx = std::move(*tx);
  link.source_port = port;
  link.peer = {spec.key.peer, spec.key.multihop ? kMultihopPort : kSingleHopPort,
               spec.key.peer.is_link_local() ? spec.key.ifindex : 0};
  // A connected socket keeps its route: no lookup per packet. Without a
  // route yet (link down at start-up) it stays unconnected and uses sendto.
  link.connected = platform::connect_udp(link.tx.get(), link.peer).has_value();
  // The batched path sends what this socket would: connect() fixed its
  // source address and port, SO_BINDTODEVICE its interface.
  if (raw_ && link.connected && raw_->can_send(spec.key.peer.family())) {
    auto local = platform::local_endpoint(link.tx.get());
    const std::uint32_t ifindex = spec.key.multihop || spec.interface.empty()
                                      ? 0
                                      : platform::interface_index(spec.interface);
    if (local && !local->address.is_unspecified() &&
        local->address.family() == spec.key.peer.family() &&
        (ifindex != 0 || spec.key.multihop || spec.interface.empty())) {
      link.raw_source = *local;
      link.raw_ifindex = ifindex;
    }
  }
  // A timer leads straight to its link (links_ is node-based: stable), and
  // a received packet too (the engine's owner data): no table lookup per
  // event on the hot path.
  for (WheelTimer& timer : link.timers) timer.set_cookie(reinterpret_cast<std::uintptr_t>(&link));
  link.transmit_early.set_cookie(reinterpret_cast<std::uintptr_t>(&link));
  engine_.set_owner_data(sid, &link);
  link.since = now;
  link.session = engine_.find(sid);
  link.echo = uses_echo(spec);
  echo_.configure(sid, spec);
  execute(sid, engine_.find(sid)->start(now), now);
  finish_event(now);
  return sid;
}

void Service::set_timers(SessionId id, const TimerSettings& timers) {
  if (engine_.find(id) == nullptr) return;
  const TimePoint now = Clock::now();
  execute(id, engine_.set_timers(id, now, timers), now);
  echo_.configure(id, *engine_.spec(id));
  if (auto it = links_.find(id); it != links_.end()) it->second.echo = uses_echo(*engine_.spec(id));
  finish_event(now);
}

void Service::remove(SessionId id) {
  Session* s = engine_.find(id);
  if (s == nullptr) return;
  const TimePoint now = Clock::now();
  // RFC 5880 §6.8.16: tell the peer this is administrative, not a failure.
  execute(id, s->admin_down(now, Diag::AdministrativelyDown), now);
  send_queued();           // the batch may point at this link
  report_state_changes();  // while the session's spec still exists
  links_.erase(id);        // its wheel timers disarm themselves
  echo_.forget(id);
  engine_.remove(id);
  finish_event(now);
}

void Service::admin_down_all() {
  const TimePoint now = Clock::now();
  for (SessionId id : engine_.ids()) {
    execute(id, engine_.find(id)->admin_down(now, Diag::AdministrativelyDown), now);
  }
  finish_event(now);
}

void Service::set_admin_down(SessionId id, bool down) {
  control(id, [down](Session& s, TimePoint now) {
    return down ? s.admin_down(now, Diag::AdministrativelyDown) : s.admin_up(now);
  });
}

void Service::activate(SessionId id) {
  control(id, [](Session& s, TimePoint now) { return s.activate(now); });
}

void Service::control(SessionId id, const std::function<Actions(Session&, TimePoint)>& event) {
  Session* session = engine_.find(id);
  if (session == nullptr) return;
  const TimePoint now = Clock::now();
  execute(id, event(*session, now), now);
  finish_event(now);
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
  const TimePoint now = Clock::now();
  drain(listener, now, /*to_empty=*/false);
  transmit_early(now);
  finish_event(now);
}

void Service::drain(Listener& listener, TimePoint now, bool to_empty) {
  for (int round = 0; to_empty || round < kBatchesPerWakeup; ++round) {
    auto got = batch_.receive(listener.fd.get());
    ++io_.receive_calls;
    if (!got) {
      ++io_.receive_errors;
      return;
    }
    for (const platform::Datagram& d : *got) {
      RxPath path{d.source.address, d.destination, d.interface_index, listener.multihop,
                  std::nullopt, std::nullopt};
      if (d.ttl >= 0 && d.ttl <= 255) path.ttl = static_cast<std::uint8_t>(d.ttl);
      // The kernel's arrival time, bounded: not before the socket was last
      // found empty (a step of the wall clock, which the kernel stamps,
      // cannot move it further back) and not after now.
      if (d.arrived) path.arrived = std::clamp(*d.arrived, std::min(listener.empty_at, now), now);
      if (auto delivered = engine_.receive(now, d.payload, path)) {
        auto* link = static_cast<Link*>(delivered->owner_data);
        if (link == nullptr) continue;
        // Where this session's echoes go (only sessions with Echo configured).
        if (link->echo) echo_.learn(delivered->id, path, now);
        execute(delivered->id, *link, delivered->actions, now);
      }
    }
    window_datagrams_ += got->size();
    if (got->size() < batch_.capacity()) {  // drained
      listener.empty_at = now;
      return;
    }
  }
}

void Service::on_wakeup(TimePoint due) {
  ++io_.wakeups;
  const TimePoint now = Clock::now();
  count_lateness(std::chrono::duration_cast<Microseconds>(now - due));
  // Polled mode reads the listeners on this tick; otherwise they are read
  // only before a detection timer is checked (on_timer): a wake-up that only
  // transmits makes no receive call.
  drained_this_wakeup_ = false;
  if (io_.polled) drain_all(now);
  // Each timer sees the time it really runs at: a session's last
  // transmission is then when its packet left, not when the batch began,
  // and its next gap is measured from there (§6.8.7 window on the wire).
  wheel_.expire(now, [this](WheelTimer& timer) { on_timer(timer, Clock::now()); });
  const TimePoint end = Clock::now();
  update_receive_mode(end);
  transmit_early(end);
  finish_event(end);
}

Service::Link& Service::link_of(const WheelTimer& timer) {
  return *reinterpret_cast<Link*>(static_cast<std::uintptr_t>(timer.cookie()));
}

TimerKind Service::kind_of(const Link& link, const WheelTimer& timer) {
  return static_cast<TimerKind>(&timer - link.timers.data());
}

void Service::keep_up() {
  const std::optional<TimePoint> due = wheel_.next_due();
  if (!due) return;
  const TimePoint now = Clock::now();
  if (now < *due) return;
  wheel_.expire(now, [this, now](WheelTimer& timer) {
    Link& link = link_of(timer);
    const TimerKind kind = kind_of(link, timer);
    if (kind != TimerKind::Transmit) {
      wheel_.arm(timer, now);  // already due: the next wake-up runs it
      return;
    }
    const std::uint64_t before = link.session->counters().packets_out;
    execute(link.id, link, link.session->on_timer(Clock::now(), kind), now);
    io_.kept_up_transmissions += link.session->counters().packets_out - before;
  });
  send_queued();
  schedule_wakeup(now);
}

void Service::count_lateness(Microseconds lateness) {
  if (lateness < kLateWakeupThresholds[0]) return;
  for (std::size_t i = 0; i < kLateWakeupThresholds.size(); ++i)
    if (lateness >= kLateWakeupThresholds[i]) ++io_.late_wakeups[i];
  io_.worst_lateness = std::max(io_.worst_lateness, lateness);
  if (lateness >= kLateWakeupThresholds.back() && on_late_wakeup_) on_late_wakeup_(lateness);
}

void Service::drain_all(TimePoint now) {
  for (auto& [key, listener] : listeners_) drain(listener, now, /*to_empty=*/true);
  drained_this_wakeup_ = true;
}

void Service::on_timer(WheelTimer& timer, TimePoint now) {
  Link& link = link_of(timer);
  const TimerKind kind = kind_of(link, timer);
  // A packet already waiting must refresh its session before a Detection
  // Time is checked: after a stall (a long control request, the VM
  // descheduled) thousands may wait, and expiring timers with half of them
  // unread would declare healthy sessions Down. Read everything once per
  // wake-up, before the first detection timer; Session::on_timer then sees
  // the refreshed deadline and re-arms instead.
  if ((kind == TimerKind::Detect || kind == TimerKind::EchoDetect) && !drained_this_wakeup_)
    drain_all(now);
  execute(link.id, link, link.session->on_timer(now, kind), now);
}

void Service::transmit_early(TimePoint now) {
  if (io_.polled) return;
  early_.expire(now, [this, now](WheelTimer& timer) {
    Link& link = link_of(timer);
    const Actions actions = link.session->transmit_early(now);
    for (const Action& action : actions) {
      if (std::holds_alternative<Transmit>(action)) {
        ++io_.early_transmissions;
        break;
      }
    }
    execute(link.id, link, actions, now);
  });
}

// The largest Control packet with an IPv6 and a UDP header fits a raw slot.
static_assert(platform::RawIpSender::kMaxPacket >= 40 + 8 + kMaxPacketLength);

bool Service::transmit(Link& link, std::span<const std::uint8_t> payload, TimePoint now) {
  if (link.raw_source && payload.size() <= first_payload_.size()) {
    if (queued_.empty()) {
      std::copy(payload.begin(), payload.end(), first_payload_.begin());
      first_size_ = payload.size();
      first_framed_ = false;
      queued_.push_back({&link, now});
      return true;
    }
    if (!first_framed_) {
      first_framed_ = true;
      const auto first = std::span(first_payload_.data(), first_size_);
      if (!queue_framed(*queued_.front().link, first) &&
          !send_through_socket(*queued_.front().link, first))
        ++io_.send_errors;
    }
    if (queue_framed(link, payload)) {
      queued_.push_back({&link, now});
      return true;
    }
  }
  return send_through_socket(link, payload);
}

bool Service::queue_framed(const Link& link, std::span<const std::uint8_t> payload) {
  std::array<std::uint8_t, platform::RawIpSender::kMaxPacket> frame;
  const std::size_t n =
      build_udp_frame(link.raw_source->address, link.peer.address, 255, link.raw_source->port,
                      link.peer.port, payload, frame);
  return n != 0 && raw_->queue(std::span(frame.data(), n), link.peer, link.raw_ifindex);
}

bool Service::send_through_socket(const Link& link, std::span<const std::uint8_t> payload) {
  ++io_.send_calls;
  return (link.connected ? platform::send_connected(link.tx.get(), payload)
                         : platform::send_datagram(link.tx.get(), payload, link.peer))
      .has_value();
}

void Service::send_queued() {
  if (queued_.empty()) return;
  if (!first_framed_) {
    // Alone in its event (the common case below a few hundred sessions):
    // the session's connected socket has its route cached; a raw socket
    // would look the route up again for this one packet.
    if (!send_through_socket(*queued_.front().link, std::span(first_payload_.data(), first_size_)))
      ++io_.send_errors;
  } else {
    const std::uint64_t calls_before = raw_->system_calls();
    const auto flushed = raw_->flush();
    const std::uint64_t calls = raw_->system_calls() - calls_before;
    io_.send_calls += calls;
    io_.batched_send_calls += calls;
    io_.send_errors += flushed.failed;
  }
  first_framed_ = false;
  // A batch leaves when its event ends: normally within tens of µs of each
  // session's turn, but a stall of the process (a busy or virtualised host)
  // holds the whole batch. Those sessions time their next packet from now,
  // or that gap on the wire would be short by the stall (§6.8.7).
  const TimePoint left = Clock::now();
  constexpr Microseconds kNoticeable{100};
  // transmission_left() only re-arms timers, never transmits: queued_ does
  // not change under this loop.
  for (const Queued& q : queued_) {
    if (left - q.at < kNoticeable) continue;
    execute(q.link->id, *q.link, q.link->session->transmission_left(left), left);
  }
  queued_.clear();  // keeps its capacity: no allocation per event
}

void Service::finish_event(TimePoint now) {
  send_queued();
  report_state_changes();
  schedule_wakeup(now);
}

void Service::report_state_changes() {
  // A callback's own call into the service ends in finish_event() too: what
  // it changes is appended here and reported by this loop, in order.
  if (reporting_ || state_changes_.empty()) return;
  reporting_ = true;
  struct Done {
    Service& s;
    ~Done() {
      s.state_changes_.clear();  // keeps its capacity
      s.reporting_ = false;
    }
  } done{*this};
  for (std::size_t i = 0; i < state_changes_.size(); ++i) {
    const PendingChange change = state_changes_[i];  // the vector may grow under the call
    const SessionSpec* spec = engine_.spec(change.id);
    if (spec != nullptr && on_state_) on_state_(StateEvent{change.id, *spec, change.change});
  }
}

bool Service::batched(SessionId id) const {
  auto it = links_.find(id);
  return it != links_.end() && it->second.raw_source.has_value();
}

void Service::schedule_wakeup(TimePoint now) {
  std::optional<TimePoint> due = wheel_.next_due();
  if (io_.polled) {
    const TimePoint tick =
        align_up(now + Microseconds(1), kPollTickUs, engine_.transmit_grid_phase());
    if (!due || tick < *due) due = tick;
  }
  // Arming for the instant it is armed for costs nothing (DeadlineTimer).
  if (due) {
    wakeup_.arm_at(*due);
  } else {
    wakeup_.cancel();
  }
}

void Service::update_receive_mode(TimePoint now) {
  const auto elapsed = now - window_start_;
  if (elapsed < std::chrono::seconds(1)) return;
  const auto per_second = window_datagrams_ * 1'000'000 /
      static_cast<std::uint64_t>(std::chrono::duration_cast<Microseconds>(elapsed).count());
  window_datagrams_ = 0;
  window_start_ = now;
  const bool polled = io_.polled ? per_second >= kPollOffRate : per_second > kPollOnRate;
  if (polled == io_.polled) return;
  io_.polled = polled;
  for (auto& [key, listener] : listeners_) listener.watch->set_enabled(!polled);
}

void Service::execute(SessionId id, const Actions& actions, TimePoint now) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  execute(id, it->second, actions, now);
}

void Service::execute(SessionId id, Link& link, const Actions& actions, TimePoint now) {
  const Session* session = link.session;
  bool echo_unusable = false;
  for (const Action& action : actions) {
    if (const auto* t = std::get_if<Transmit>(&action)) {
      auto wire = encode_signed(t->packet, session->auth());
      // counted; the Detection Time covers lost packets
      if (!wire || !transmit(link, wire->bytes(), now)) ++io_.send_errors;
    } else if (const auto* e = std::get_if<TransmitEcho>(&action)) {
      echo_unusable = echo_.send(id, e->packet, now) == EchoSendResult::no_socket || echo_unusable;
    } else if (const auto* a = std::get_if<ArmTimer>(&action)) {
      wheel_.arm(link.timers[static_cast<std::size_t>(a->kind)], a->at);
      if (a->kind != TimerKind::Transmit) continue;
      if (a->early_from) {
        early_.arm(link.transmit_early, *a->early_from);
      } else {
        early_.cancel(link.transmit_early);
      }
    } else if (const auto* c = std::get_if<CancelTimer>(&action)) {
      wheel_.cancel(link.timers[static_cast<std::size_t>(c->kind)]);
      if (c->kind == TimerKind::Transmit) early_.cancel(link.transmit_early);
    } else if (const auto* sc = std::get_if<StateChanged>(&action)) {
      link.since = now;
      state_changes_.push_back({id, *sc});  // reported when the event ends
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
