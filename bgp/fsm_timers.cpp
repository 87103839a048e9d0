// A connection's HoldTimer and KeepaliveTimer (RFC 4271 §4.2, §8.2.2, §10).
//
// Both restart lazily: receiving or sending a message only records the time;
// when the armed timer fires early relative to that record it is re-armed
// for the real deadline. A burst of thousands of UPDATEs thus produces no
// timer actions at all.
#include <algorithm>

#include "bgp/backoff.h"
#include "bgp/fsm.h"

namespace fbf::bgp {

Duration Fsm::keepalive_time() const {
  // §10: "one third of the HoldTime".
  return Duration{std::int64_t{hold_time_} * 1000 / 3};
}

void Fsm::arm_keepalive(const FsmContext& ctx, TimePoint from, Actions& out) {
  // §10: jitter SHOULD be applied to the KeepaliveTimer, a new factor in
  // 0.75..1.0 each time it is set.
  // §4.4: KEEPALIVEs "MUST NOT be sent more frequently than one per second",
  // so the jittered interval never goes below 1 s (a 3 s hold time gives a
  // 1 s keepalive, which jitter alone would bring down to 750 ms).
  keepalive_from_ = last_tx_;
  const Duration jittered = rfc4271_jitter(keepalive_time(), ctx.random.next_u32());
  ctx.timers.arm(keepalive_timer(direction_),
                 from + std::max(jittered, Duration(std::chrono::seconds(1))), out);
}

bool Fsm::on_timer(const FsmContext& ctx, TimePoint now, TimerKind kind, Actions& out) {
  if (state_ == State::Idle || !ctx.timers.expire(kind, now, out)) return false;
  if (kind == hold_timer(direction_)) {
    if (state_ != State::OpenSent && hold_time_ == 0) return false;
    Duration hold = state_ == State::OpenSent ? ctx.config.open_hold_time
                                              : Duration{std::chrono::seconds{hold_time_}};
    TimePoint deadline = last_rx_ + hold;
    if (now < deadline) {  // a message arrived since arming: restart (§8.2.2 Events 26, 27)
      ctx.timers.arm(kind, deadline, out);
      return false;
    }
    // HoldTimer_Expires (Event 10) in OpenSent, OpenConfirm or Established:
    // NOTIFICATION Hold Timer Expired, drop the connection, Idle.
    close(ctx, Event::HoldTimer_Expires, make_notification(ErrorCode::hold_timer_expired, 0),
          "hold timer expired", out);
    return true;
  }
  if (kind == keepalive_timer(direction_)) {
    if (state_ == State::OpenSent || hold_time_ == 0) return false;
    if (last_tx_ > keepalive_from_) {  // an UPDATE went out since arming
      arm_keepalive(ctx, last_tx_, out);
      return false;
    }
    // KeepaliveTimer_Expires (Event 11) in OpenConfirm or Established:
    // send a KEEPALIVE and restart the timer.
    send_keepalive(ctx, now, out);
    arm_keepalive(ctx, now, out);
  }
  return false;
}

}  // namespace fbf::bgp
