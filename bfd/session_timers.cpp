// Session timing: the Poll Sequence and the §6.8.3 deferrals, the negotiated
// transmit interval and Detection Time (§6.8.2, §6.8.4), and arming the two
// timers (§6.8.7 jitter, the detection timer). The events live in session.cpp.
#include <algorithm>

#include "bfd/session.h"

namespace fbf::bfd {
namespace {

Microseconds us(std::uint64_t v) { return Microseconds{static_cast<Microseconds::rep>(v)}; }

}  // namespace

// Brings the advertised intervals to the configured ones, under §6.8.3.
void Session::refresh_advertised() {
  const bool up = bfd_.SessionState == State::Up;
  // "When bfd.SessionState is not Up, the system MUST set
  // bfd.DesiredMinTxInterval to a value of not less than one second".
  const std::uint32_t tx =
      up ? config_.desired_min_tx_interval
         : std::max(config_.desired_min_tx_interval, kSlowTxIntervalUs);
  std::uint32_t rx = config_.required_min_rx_interval;
  if (echo_.active && rx != 0) {
    rx = std::max(rx, config_.echo_control_rx_interval);  // §6.8.3 slowdown while echoing
  }
  if (tx == bfd_.DesiredMinTxInterval && rx == bfd_.RequiredMinRxInterval) {
    return;
  }
  if (up && (poll_.active || poll_.awaiting_clear)) {
    return;  // one change per Poll Sequence: retried on the next packet
  }
  if (up) {
    // A slower tx waits for the Final; so does a faster rx's effect on the
    // Detection Time. Faster tx and slower rx apply at once.
    desired_min_tx_in_use_ = std::min(desired_min_tx_in_use_, tx);
    required_min_rx_in_use_ = std::max(required_min_rx_in_use_, rx);
  } else {
    desired_min_tx_in_use_ = tx;
    required_min_rx_in_use_ = rx;
  }
  bfd_.DesiredMinTxInterval = tx;
  bfd_.RequiredMinRxInterval = rx;
  start_poll();  // "If either ... is changed, a Poll Sequence MUST be initiated"
}

void Session::start_poll() {
  if (!poll_.active) {
    ++counters_.polls_started;
  }
  poll_.active = true;
  poll_.awaiting_clear = false;
}

void Session::terminate_poll() {
  poll_.active = false;
  poll_.awaiting_clear = true;
  desired_min_tx_in_use_ = bfd_.DesiredMinTxInterval;
  required_min_rx_in_use_ = bfd_.RequiredMinRxInterval;
  ++counters_.finals_received;
}

std::uint32_t Session::transmit_interval_us() const {
  return transmit_interval(desired_min_tx_in_use_, bfd_.RemoteMinRxInterval);
}

std::uint64_t Session::detection_time_us() const {
  return detection_time(remote_detect_mult_, required_min_rx_in_use_, remote_desired_min_tx_);
}

std::optional<TimePoint> Session::detection_deadline() const {
  if (!detect_running_ || !last_rx_ || bfd_.SessionState == State::AdminDown) {
    return std::nullopt;
  }
  return *last_rx_ + us(detection_time_us());
}

void Session::retime(TimePoint now, Actions& out) {
  if (retime_echo(now, out)) {
    refresh_advertised();  // the §6.8.3 echo slowdown starts or ends
  }
  retime_transmit(now, out);
  retime_detect(out);
}

void Session::retime_transmit(TimePoint now, Actions& out) {
  if (!periodic_transmission()) {
    if (tx_armed_at_) {
      out.push(CancelTimer{TimerKind::Transmit});
      tx_armed_at_.reset();
    }
    gap_anchor_.reset();  // a pause is not a gap
    return;
  }
  const std::uint32_t interval = transmit_interval_us();
  // A jittered interval from the last transmission (§6.8.7), aimed inside
  // the window with a lateness margin and on the shared grid (timers.h).
  const auto next = [&] {
    if (!last_tx_) return now;
    return std::max(now, next_transmit_time(*last_tx_, interval, bfd_.DetectMult,
                                            random_.next_u32(), config_.transmit_grid_phase));
  };
  if (!tx_armed_at_) {
    tx_armed_at_ = next();
  } else if (interval < tx_armed_interval_) {
    // §6.8.3: a shorter interval is honoured at once, not after the wait
    // already scheduled; a longer one applies from the next transmission.
    const TimePoint at = next();
    if (at >= *tx_armed_at_) {
      tx_armed_interval_ = interval;
      return;
    }
    tx_armed_at_ = at;
  } else {
    return;
  }
  tx_armed_interval_ = interval;
  out.push(transmit_timer());
}

std::optional<TimePoint> Session::early_from() const {
  if (!tx_armed_at_ || !last_tx_) return std::nullopt;
  const std::uint64_t interval = std::max(tx_armed_interval_, transmit_interval_us());
  const TimePoint from = transmit_window_opening(*last_tx_, *tx_armed_at_, interval);
  if (from >= *tx_armed_at_) return std::nullopt;
  return from;
}

ArmTimer Session::transmit_timer() const {
  return ArmTimer{TimerKind::Transmit, *tx_armed_at_, early_from()};
}

Actions Session::transmission_left(TimePoint at) {
  Actions out;
  if (!last_tx_ || at <= *last_tx_) return out;
  const std::uint32_t interval = transmit_interval_us();
  if (at - *last_tx_ < us(coalescing_quantum(interval) / 4)) return out;
  if (gap_anchor_ == last_tx_) gap_anchor_ = at;  // max_tx_gap measures the wire too
  last_tx_ = at;
  if (tx_armed_at_ && periodic_transmission()) {
    // The same draw as retime_transmit(), from the real departure.
    tx_armed_at_ = std::max(at, next_transmit_time(at, interval, bfd_.DetectMult,
                                                   random_.next_u32(),
                                                   config_.transmit_grid_phase));
    tx_armed_interval_ = interval;
    out.push(transmit_timer());
  }
  return out;
}

void Session::retime_detect(Actions& out) {
  const auto deadline = detection_deadline();
  if (!deadline) {
    if (detect_armed_at_) {
      out.push(CancelTimer{TimerKind::Detect});
      detect_armed_at_.reset();
    }
    return;
  }
  // Re-armed whenever the deadline moves, so the timer fires only when the
  // Detection Time really runs out. (It used to be armed lazily and fire
  // early to re-arm — one wake-up per session and Detection Time for
  // nothing: a third of fbfd's wake-ups at 1000 sessions. Re-arming the wheel
  // is O(1), and the session is in cache anyway when a packet arrives.)
  if (!detect_armed_at_ || *deadline != *detect_armed_at_) {
    detect_armed_at_ = deadline;
    out.push(ArmTimer{TimerKind::Detect, *deadline});
  }
}

}  // namespace fbf::bfd
