// The per-neighbor part of RFC 4271 §8.2.2: administrative and TCP events,
// Idle/Connect/Active, the ConnectRetryTimer and IdleHoldTimer. Collision
// detection and the move to Established are in session_collision.cpp.
#include "bgp/session.h"

#include <string>

#include "bgp/errors.h"

namespace fbf::bgp {

namespace {

Duration until(TimePoint now, std::optional<TimePoint> at) {
  return at ? std::chrono::duration_cast<Duration>(*at - now) : Duration{0};
}

}  // namespace

Session::Session(SessionConfig config, Random& random)
    : config_(std::move(config)), random_(random), damping_(config_.damping) {}

State Session::state() const {
  State s = base_;
  for (const auto& c : connections_) {
    if (c && c->state() > s) s = c->state();
  }
  return s;
}

bool Session::any_connection() const { return connections_[0] || connections_[1]; }

const Fsm* Session::connection(Direction d) const {
  const auto& c = connections_[static_cast<std::size_t>(d)];
  return c ? &*c : nullptr;
}

void Session::report(Reason reason, Actions& out) {
  State now_state = state();
  if (now_state == reported_) return;
  out.push(StateChanged{reported_, now_state, std::move(reason)});
  reported_ = now_state;
}

// ---- administrative events ----

Actions Session::start(TimePoint now) {
  Actions out;
  if (started_) return out;  // §8.2.2: start events are ignored outside Idle
  started_ = true;
  retries_ = 0;  // "sets ConnectRetryCounter to zero"
  damping_.reset();
  if (config_.passive) {
    // ManualStart_with_PassiveTcpEstablishment (Event 4): listen, Active.
    // A passive session never connects, so it runs no ConnectRetryTimer.
    base_ = State::Active;
    report(Reason{.event = Event::ManualStart_with_PassiveTcpEstablishment,
                  .text = "manual start (passive)"},
           out);
    return out;
  }
  // ManualStart (Event 1): ConnectRetryTimer, connect, listen, Connect.
  connect(now, out);
  report(Reason{.event = Event::ManualStart, .text = "manual start"}, out);
  return out;
}

Actions Session::stop(TimePoint now, CeaseSubcode subcode, std::string_view message) {
  Actions out;
  if (!started_) return out;  // §8.2.2 Idle: ManualStop is ignored
  started_ = false;
  // ManualStop (Event 2) in every state: NOTIFICATION Cease where a
  // connection is open, drop it, stop the timers, ConnectRetryCounter = 0.
  Notification cease = cease_notification(subcode, message);
  Reason reason{.event = Event::ManualStop, .text = "manual stop"};
  std::optional<Duration> uptime =
      close_connections(now, Event::ManualStop, cease, "manual stop", reason, out);
  abort_connecting(out);
  timers_.cancel(TimerKind::ConnectRetry, out);
  timers_.cancel(TimerKind::IdleHold, out);
  base_ = State::Idle;
  retries_ = 0;
  damping_.reset();
  if (uptime) {
    established_.reset();
    counters_.established_since.reset();
    ++counters_.session_drops;
  }
  report(reason, out);
  if (uptime) out.push(SessionDown{std::move(reason), *uptime});
  return out;
}

std::optional<Duration> Session::close_connections(TimePoint now, Event event,
                                                   const Notification& cease,
                                                   const char* text, Reason& reason,
                                                   Actions& out) {
  // Closes every open connection with `cease`; `reason` becomes the one of
  // the Established connection (or the first that sent a NOTIFICATION).
  // Returns how long the session had been Established, if it was.
  FsmContext ctx = context();
  std::optional<Duration> uptime;
  for (Direction d : {Direction::outbound, Direction::inbound}) {
    auto& c = slot(d);
    if (!c) continue;
    const bool up = c->state() == State::Established;
    if (up && c->established_at()) {
      uptime = std::chrono::duration_cast<Duration>(now - *c->established_at());
    }
    c->close(ctx, event, cease, text, out);
    if (up || !reason.notification_sent) reason = c->close_reason();
    c.reset();
  }
  return uptime;
}

Actions Session::reset(TimePoint now, CeaseSubcode subcode, std::string_view message) {
  Actions out;
  if (!started_ || !any_connection()) return out;
  // AutomaticStop (Event 8) in OpenSent, OpenConfirm, Established:
  // NOTIFICATION Cease, drop, ConnectRetryCounter + 1, Idle — and, being
  // automatic, an AutomaticStart after the backoff.
  Notification cease = cease_notification(subcode, message);
  Reason reason;
  std::optional<Duration> uptime =
      close_connections(now, Event::AutomaticStop, cease, "automatic stop", reason, out);
  if (uptime) {
    established_.reset();
    counters_.established_since.reset();
    ++counters_.session_drops;
    damping_.record_drop(now, *uptime);
  }
  go_idle(now, std::move(reason), uptime, out);
  return out;
}

Actions Session::peer_alive(TimePoint now, std::string_view why) {
  Actions out;
  if (!started_ || config_.passive || base_ != State::Active || connecting_ || any_connection())
    return out;
  if (alive_connect_ && now - *alive_connect_ < config_.connect_retry.initial) return out;
  alive_connect_ = now;
  // The peer came back while the backoff had grown (up to its maximum while
  // it was away): what the ConnectRetryTimer would do on expiry, now.
  retries_ = 0;
  connect(now, out);
  report(Reason{.event = Event::ConnectRetryTimer_Expires,
                .text = std::string(why) + ": connecting now (attempt " +
                        std::to_string(counters_.connect_attempts) + ")"},
         out);
  return out;
}

// ---- TCP events ----

bool Session::accepts(Direction d) const {
  // §8.2.2 Idle "refuses all incoming BGP connections" (also while damped);
  // one connection per direction.
  if (!started_ || base_ == State::Idle) return false;
  if (connections_[static_cast<std::size_t>(d)]) return false;
  return d == Direction::inbound || connecting_;
}

Actions Session::on_connected(TimePoint now, Direction d, const ConnectionInfo& info) {
  Actions out;
  if (!accepts(d)) {
    ++counters_.connections_refused;
    out.push(Refuse{d});
    return out;
  }
  if (d == Direction::outbound) {
    connecting_ = false;
  } else {
    ++counters_.connections_accepted;
  }
  // Connect/Active, Event 16 or 17 (DelayOpen FALSE): stop the
  // ConnectRetryTimer, send OPEN, HoldTimer to a large value, OpenSent. In
  // OpenSent/OpenConfirm/Established the second connection is tracked (§6.8).
  timers_.cancel(TimerKind::ConnectRetry, out);
  slot(d).emplace(context(), d, info, now, out);
  bool outbound = d == Direction::outbound;
  report(Reason{.event = outbound ? Event::Tcp_CR_Acked : Event::TcpConnectionConfirmed,
                .text = outbound ? "TCP connection established (outbound)"
                                 : "TCP connection accepted (inbound)"},
         out);
  return out;
}

Actions Session::on_connect_failed(TimePoint now) {
  Actions out;
  if (!connecting_) return out;
  connecting_ = false;
  ++counters_.connect_failures;
  if (any_connection() || base_ != State::Connect) return out;
  // Connect, TcpConnectionFails (Event 18). §8.2.2 goes to Idle and leaves
  // the next attempt to an AutomaticStart; like OpenBGPD we wait in Active
  // (still listening) for the ConnectRetryTimer, which is already armed.
  ++retries_;
  base_ = State::Active;
  report(Reason{.event = Event::TcpConnectionFails,
                .text = "TCP connect failed, retry in " +
                        format_duration(until(now, timers_.deadline(TimerKind::ConnectRetry)))},
         out);
  return out;
}

Actions Session::on_closed(TimePoint now, Direction d) {
  if (!slot(d)) {
    if (d == Direction::outbound && connecting_) return on_connect_failed(now);
    return {};
  }
  Actions out;
  slot(d)->tcp_failed(context(), out);
  connection_closed(now, d, out);
  return out;
}

Actions Session::on_bytes(TimePoint now, Direction d, Bytes bytes) {
  Actions out;
  while (slot(d) && !bytes.empty()) {
    Fsm::Progress p = slot(d)->receive(context(), now, bytes, out);
    bytes = bytes.subspan(std::min(p.consumed, bytes.size()));
    if (p.step == Fsm::Step::more) break;
    after_step(now, d, p.step, out);
  }
  return out;
}

Actions Session::send_updates(TimePoint now, std::span<const std::vector<std::uint8_t>> messages) {
  Actions out;
  for (auto& c : connections_) {
    if (c && c->state() == State::Established) c->send_updates(context(), now, messages, out);
  }
  return out;
}

// ---- timers ----

Actions Session::on_timer(TimePoint now, TimerKind kind) {
  Actions out;
  switch (kind) {
    case TimerKind::ConnectRetry:
      if (!timers_.expire(kind, now, out) || !started_ || any_connection() || config_.passive) break;
      // ConnectRetryTimer_Expires (Event 9): in Connect drop the attempt and
      // try again, in Active initiate one; restart the timer; Connect.
      if (connecting_) {
        abort_connecting(out);
        ++retries_;  // the attempt timed out: a failure for the backoff
      }
      connect(now, out);
      report(Reason{.event = Event::ConnectRetryTimer_Expires,
                    .text = "connect retry timer expired (attempt " +
                            std::to_string(counters_.connect_attempts) + ")"},
             out);
      break;
    case TimerKind::IdleHold:
      if (!timers_.expire(kind, now, out) || !started_ || base_ != State::Idle) break;
      // IdleHoldTimer_Expires (Event 13): the damping is over; AutomaticStart.
      if (config_.passive) {
        base_ = State::Active;
      } else {
        connect(now, out);
      }
      report(Reason{.event = Event::IdleHoldTimer_Expires,
                    .text = "idle hold timer expired, automatic start"},
             out);
      break;
    default: {
      bool outbound = kind == TimerKind::HoldOutbound || kind == TimerKind::KeepaliveOutbound;
      Direction d = outbound ? Direction::outbound : Direction::inbound;
      if (!slot(d)) {
        timers_.cancel(kind, out);  // its connection is gone
      } else if (slot(d)->on_timer(context(), now, kind, out)) {
        connection_closed(now, d, out);
      }
      break;
    }
  }
  return out;
}

// ---- helpers ----

void Session::connect(TimePoint now, Actions& out) {
  base_ = State::Connect;
  connecting_ = true;
  ++counters_.connect_attempts;
  out.push(Connect{});
  // §10: jitter on the ConnectRetryTimer; the backoff grows with the
  // ConnectRetryCounter (backoff.h).
  timers_.arm(TimerKind::ConnectRetry,
              now + connect_retry_delay(config_.connect_retry, retries_, random_.next_u32()), out);
}

void Session::automatic_start(TimePoint now, Actions& out) {
  // AutomaticStart_with_PassiveTcpEstablishment (Event 5): listen, start the
  // ConnectRetryTimer (whose expiry connects, unless passive), Active.
  base_ = State::Active;
  std::string text = "automatic start";
  if (!config_.passive) {
    Duration delay = connect_retry_delay(config_.connect_retry, retries_, random_.next_u32());
    timers_.arm(TimerKind::ConnectRetry, now + delay, out);
    text += ", connect retry in " + format_duration(delay);
  }
  report(Reason{.event = Event::AutomaticStart_with_PassiveTcpEstablishment, .text = text}, out);
}

void Session::abort_connecting(Actions& out) {
  if (!connecting_) return;
  connecting_ = false;
  out.push(Disconnect{Direction::outbound});
}

bool Session::reset_by_peer(const Reason& reason) {
  return reason.notification_received && is_administrative_reset(reason.code, reason.subcode);
}

void Session::go_idle(TimePoint now, Reason reason, std::optional<Duration> dropped_after,
                      Actions& out) {
  // The last connection is gone after a failure: "releases all BGP
  // resources", "increments the ConnectRetryCounter by 1", "(optionally)
  // performs peer oscillation damping", Idle. A session that was stable, or
  // that the peer's operator reset, restarts the backoff instead.
  abort_connecting(out);
  timers_.cancel(TimerKind::ConnectRetry, out);
  if ((dropped_after && *dropped_after >= config_.stable_after) || reset_by_peer(reason)) {
    retries_ = 0;
  } else {
    ++retries_;
  }
  base_ = State::Idle;
  std::optional<Duration> hold = damping_.idle_hold(now);
  if (hold) reason.text += "; damping: idle hold " + format_duration(*hold);
  counters_.last_error = reason.text;
  if (dropped_after) {
    report(reason, out);
    out.push(SessionDown{std::move(reason), *dropped_after});
  } else {
    report(std::move(reason), out);
  }
  if (hold) {
    ++counters_.idle_holds;
    timers_.arm(TimerKind::IdleHold, now + *hold, out);
    return;
  }
  automatic_start(now, out);
}

}  // namespace fbf::bgp
