#pragma once
// A one-shot timer for an instant of the monotonic clock, at full
// precision, that makes a system call only when it really moves. The BFD
// timer wheel sleeps on it (bfd/io/service.cpp): a transmission or a
// Detection Time must come at its µs, and the wheel's earliest deadline
// stays put on most wake-ups (a received packet pushes a detection timer
// that is rarely the earliest one).
//
// Why not a libevent timer: libevent converts every deadline to a delay
// from its cached time, which drifts by however long the current callback
// has run, and moves its own timer whenever its earliest timer changes.
// This class arms a timerfd of its own at the absolute deadline
// (TFD_TIMER_ABSTIME), only when the instant changes. Elsewhere it is a
// libevent timer: kqueue takes a timespec, no extra call.

#include <event2/event.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace fbf::platform {

class DeadlineTimer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `on_expiry` gets the deadline it fires for (the caller's lateness is
  // now minus that). Throws std::runtime_error if the timer cannot be
  // created (out of file descriptors at start-up), as make_event_base() does.
  DeadlineTimer(event_base* base, std::function<void(TimePoint due)> on_expiry);
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Fires once `at` has passed, never before (at once if it already has).
  // Arming again for the instant it is armed for changes nothing.
  void arm_at(TimePoint at);
  void cancel();
  std::optional<TimePoint> armed_for() const { return armed_; }
  // System calls made to arm, disarm or clear the timer (Linux), or libevent
  // re-arms (elsewhere): what moving it costs, for counters and tests.
  std::uint64_t rearms() const { return rearms_; }

 private:
  struct Os;  // the timerfd, or the libevent timer
  void on_ready();

  std::function<void(TimePoint)> on_expiry_;
  std::optional<TimePoint> armed_;
  std::uint64_t rearms_ = 0;
  std::unique_ptr<Os> os_;
};

}  // namespace fbf::platform
