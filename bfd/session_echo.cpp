// The Echo function of a session (RFC 5880 §6.4, §6.8.5, §6.8.8, §6.8.9):
// when echoes run, sending them, accepting the ones that come back, and
// declaring the session Down with diag 2 when they stop. Looping the peer's
// echoes back needs no session and lives in the adapter.
#include <algorithm>

#include "bfd/session.h"

namespace fbf::bfd {
namespace {

// Echo sequence numbers accepted back: the last this many sent. More are
// never in flight (an echo older than the echo Detection Time is useless) for
// any sane ratio of round trip to interval; older ones are replays.
constexpr std::uint32_t kEchoWindow = 256;

Microseconds us(std::uint64_t v) { return Microseconds{static_cast<Microseconds::rep>(v)}; }

std::uint64_t clock_us(TimePoint t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<Microseconds>(t.time_since_epoch()).count());
}

}  // namespace

std::uint32_t Session::echo_transmit_interval_us() const {
  return echo_transmit_interval(config_.desired_min_echo_tx_interval, remote_min_echo_rx_);
}

std::uint64_t Session::echo_detection_time_us() const {
  return echo_detection_time(bfd_.DetectMult, echo_transmit_interval_us());
}

// §6.8.9: "MUST NOT be transmitted when bfd.SessionState is not Up" nor
// "unless the last BFD Control packet received from the remote system
// contains a nonzero value in Required Min Echo RX Interval" (§6.8.6: if it
// is zero, transmission "MUST cease").
bool Session::retime_echo(TimePoint now, Actions& out) {
  const bool wanted =
      started_ && bfd_.SessionState == State::Up && echo_transmit_interval_us() != 0;
  if (!wanted) {
    if (!echo_.active) return false;
    stop_echo(out);
    return true;
  }
  if (!echo_.active) {
    if (echo_.cookie == 0) {
      // Drawn on first use, so sessions without echo consume no randomness.
      echo_.cookie = std::uint64_t{random_.next_u32()} << 32 | random_.next_u32();
      echo_.cookie |= 1;  // never 0 ("not drawn yet")
      echo_.next_sequence = random_.next_u32();
    }
    echo_.active = true;
    echo_.last_rx = now;  // the first echo gets a full detection time to return
    send_echo(now, out);
    arm_echo_transmit(now, out);
    echo_.detect_armed_at = now + us(echo_detection_time_us());
    out.push(ArmTimer{TimerKind::EchoDetect, *echo_.detect_armed_at});
    return true;
  }
  // Running: a changed interval (the peer's Required Min Echo RX Interval
  // or ours) applies from the next echo; a shorter detection time at once.
  const TimePoint deadline = echo_deadline(now);
  if (!echo_.detect_armed_at || deadline < *echo_.detect_armed_at) {
    echo_.detect_armed_at = deadline;
    out.push(ArmTimer{TimerKind::EchoDetect, deadline});
  }
  return false;
}

void Session::stop_echo(Actions& out) {
  if (!echo_.active) return;
  echo_.active = false;
  if (echo_.tx_armed_at) out.push(CancelTimer{TimerKind::EchoTransmit});
  if (echo_.detect_armed_at) out.push(CancelTimer{TimerKind::EchoDetect});
  echo_.tx_armed_at.reset();
  echo_.detect_armed_at.reset();
  echo_.first_unanswered.reset();
}

void Session::send_echo(TimePoint now, Actions& out) {
  out.push(TransmitEcho{EchoPacket{bfd_.LocalDiscr, echo_.next_sequence++, clock_us(now),
                                   echo_.cookie}});
  ++counters_.echo_out;
  if (!echo_.first_unanswered) echo_.first_unanswered = now;
}

// §6.8.5: the session has failed when echoes "have not arrived as they
// should", by means the RFC leaves to the implementation. Ours: no echo
// accepted for the echo Detection Time — counted only over time in which
// echoes were sent. While this system sends every interval, the first echo
// after the last one back leaves within an interval of it and the deadline
// is last_rx + the Detection Time. After a local stall (a long task on the
// loop, the VM descheduled) no echo left for longer than that, and none
// could come back: the deadline counts from the first echo sent since, as
// if its predecessor had left one interval earlier. A path that failed
// during the stall is then declared Down one Detection Time minus one
// interval after the stall.
TimePoint Session::echo_deadline(TimePoint now) const {
  const Microseconds detection = us(echo_detection_time_us());
  const TimePoint sent = echo_.first_unanswered.value_or(now);  // none yet: it leaves now
  return std::max(echo_.last_rx + detection,
                  sent - us(echo_transmit_interval_us()) + detection);
}

// §6.8.9: "A 25% jitter MAY be applied ... between 75% and 100% of the
// advertised value" — the same draw as Control packets (§6.8.7).
void Session::arm_echo_transmit(TimePoint now, Actions& out) {
  const auto jittered =
      us(jittered_interval(echo_transmit_interval_us(), bfd_.DetectMult, random_.next_u32()));
  echo_.tx_armed_at = now + jittered;
  out.push(ArmTimer{TimerKind::EchoTransmit, *echo_.tx_armed_at});
}

Actions Session::on_echo(TimePoint now, const EchoPacket& p) {
  Actions out;
  if (!started_) {
    drop(RxDrop::not_started);
    return out;
  }
  if (p.my_discriminator != bfd_.LocalDiscr || (echo_.cookie != 0 && p.cookie != echo_.cookie)) {
    drop(RxDrop::echo_foreign);  // forged, or another session's (the adapter demuxes)
    return out;
  }
  if (!echo_.active) {
    drop(RxDrop::echo_inactive);  // in flight when echoes stopped
    return out;
  }
  // Serial arithmetic: accepted when sent among the last kEchoWindow.
  if (echo_.next_sequence - p.sequence - 1 >= kEchoWindow) {
    drop(RxDrop::echo_stale);
    return out;
  }
  ++counters_.echo_in;
  echo_.last_rx = std::max(echo_.last_rx, now);
  echo_.first_unanswered.reset();
  const std::uint64_t sent = p.tx_time_us, at = clock_us(now);
  if (sent <= at) {
    const Microseconds rtt = us(at - sent);
    counters_.last_echo_rtt = rtt;
    counters_.max_echo_rtt = std::max(counters_.max_echo_rtt, rtt);
  }
  // The detection timer is not moved: its expiry re-arms for the real
  // deadline (as for Control packets), one timer operation per detection time.
  return out;
}

Actions Session::on_echo_timer(TimePoint now, TimerKind kind) {
  Actions out;
  // Stale or early expiries as in on_timer(): ignored or re-armed.
  if (kind == TimerKind::EchoTransmit) {
    if (!echo_.tx_armed_at) return out;
    if (now < *echo_.tx_armed_at) {
      out.push(ArmTimer{kind, *echo_.tx_armed_at});
      return out;
    }
    echo_.tx_armed_at.reset();
    if (echo_.active) {
      send_echo(now, out);
      arm_echo_transmit(now, out);
    }
    return out;
  }
  if (!echo_.detect_armed_at) return out;
  if (now < *echo_.detect_armed_at) {
    out.push(ArmTimer{kind, *echo_.detect_armed_at});
    return out;
  }
  echo_.detect_armed_at.reset();
  if (!echo_.active) return out;
  const TimePoint deadline = echo_deadline(now);
  if (now < deadline) {
    echo_.detect_armed_at = deadline;
    out.push(ArmTimer{kind, deadline});
    return out;
  }
  // §6.8.5: "the local system MUST set bfd.SessionState to Down and
  // bfd.LocalDiag to 2 (Echo Function Failed)". Control packets may still
  // flow: the peer learns it from our Down (and goes Down, diag 3).
  ++counters_.echo_failures;
  change_state(State::Down, Diag::EchoFunctionFailed, false, out);  // stops the echoes
  if (may_transmit()) {
    send(now, /*final=*/false, out);
  }
  retime(now, out);
  return out;
}

}  // namespace fbf::bfd
