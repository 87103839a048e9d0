#include "platform/event.h"

#include <stdexcept>

namespace fbf::platform {

namespace {
EventPtr must(event* e) {
  // Allocation failure of a few dozen bytes at start-up: nothing sensible to do.
  if (e == nullptr) throw std::bad_alloc();
  return EventPtr(e);
}
}  // namespace

EventBasePtr make_event_base() {
  event_config* cfg = event_config_new();
  // Monotonic time for timers (DESIGN.md "Time"): wall-clock jumps must not
  // fire or delay BFD/BGP timers.
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  // On Linux the backend is epoll, libevent's default. With the flag above
  // it re-arms a timerfd of its own before every epoll_wait: one system call
  // per wake-up. poll(2) (7d0a0b8 to d8f93d0) saved that call but costs a
  // ->poll() of every watched descriptor per wake-up, and fbfd watches one
  // per BGP neighbor besides listeners, control, netlink and timers: with
  // 10 neighbors its symbols were a third of an idle fbfd's perf samples
  // (epoll's a seventh), and epoll took the idle CPU from 0.90-0.92 x to
  // 0.71-0.76 x of the router's BIRD doing the same job in the same window
  // (docs/performance.md, "Idle wake-ups"). The BFD timer wheel keeps its
  // own absolute timerfd (platform::DeadlineTimer).
  event_base* base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  if (base == nullptr) throw std::runtime_error("cannot create the event loop");
  return EventBasePtr(base);
}

timeval to_timeval(std::chrono::microseconds d) {
  if (d.count() < 0) d = std::chrono::microseconds(0);
  timeval tv;
  tv.tv_sec = static_cast<time_t>(d.count() / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(d.count() % 1'000'000);
  return tv;
}

Timer::Timer(event_base* base, std::function<void()> on_expiry)
    : on_expiry_(std::move(on_expiry)), event_(must(evtimer_new(base, &Timer::trampoline, this))) {}

void Timer::arm(std::chrono::microseconds after) {
  const timeval tv = to_timeval(after);
  evtimer_add(event_.get(), &tv);
}

void Timer::cancel() { evtimer_del(event_.get()); }

bool Timer::pending() const { return evtimer_pending(event_.get(), nullptr) != 0; }

void Timer::trampoline(evutil_socket_t, short, void* self) {
  static_cast<Timer*>(self)->on_expiry_();
}

PeriodicTimer::PeriodicTimer(event_base* base, std::chrono::microseconds period,
                             std::function<void()> on_tick)
    : on_tick_(std::move(on_tick)),
      event_(must(event_new(base, -1, EV_PERSIST, &PeriodicTimer::trampoline, this))) {
  const timeval tv = to_timeval(period);
  event_add(event_.get(), &tv);
}

void PeriodicTimer::trampoline(evutil_socket_t, short, void* self) {
  static_cast<PeriodicTimer*>(self)->on_tick_();
}

SignalWatch::SignalWatch(event_base* base, int signo, std::function<void()> on_signal)
    : on_signal_(std::move(on_signal)),
      event_(must(evsignal_new(base, signo, &SignalWatch::trampoline, this))) {
  event_add(event_.get(), nullptr);
}

void SignalWatch::trampoline(evutil_socket_t, short, void* self) {
  static_cast<SignalWatch*>(self)->on_signal_();
}

FdWatch::FdWatch(event_base* base, int fd, short what, std::function<void(short)> on_ready)
    : on_ready_(std::move(on_ready)),
      event_(must(event_new(base, fd, static_cast<short>(what | EV_PERSIST), &FdWatch::trampoline,
                            this))) {
  event_add(event_.get(), nullptr);
}

void FdWatch::set_enabled(bool enabled) {
  if (enabled == enabled_) return;
  enabled_ = enabled;
  if (enabled) {
    event_add(event_.get(), nullptr);
  } else {
    event_del(event_.get());
  }
}

void FdWatch::trampoline(evutil_socket_t, short what, void* self) {
  static_cast<FdWatch*>(self)->on_ready_(what);
}

}  // namespace fbf::platform
