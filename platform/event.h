#pragma once
// RAII ownership of libevent objects. Everything in fbfd is an event on one
// event_base (DESIGN.md "One process, one loop"); these wrappers guarantee an
// event is deleted before the object its callback points at goes away.
// The watch classes are neither copyable nor movable: libevent holds `this`.

#include <event2/event.h>

#include <chrono>
#include <functional>
#include <memory>

namespace fbf::platform {

struct EventBaseDeleter {
  void operator()(event_base* b) const { event_base_free(b); }
};
using EventBasePtr = std::unique_ptr<event_base, EventBaseDeleter>;

struct EventDeleter {
  void operator()(event* e) const { event_free(e); }  // event_free also event_del()s
};
using EventPtr = std::unique_ptr<event, EventDeleter>;

// fbfd's loop: timers on the precise monotonic clock; on Linux the epoll
// backend (event.cpp says why not poll).
EventBasePtr make_event_base();

timeval to_timeval(std::chrono::microseconds d);

// A one-shot timer; arm() again to re-arm (replaces a pending expiry).
class Timer {
 public:
  Timer(event_base* base, std::function<void()> on_expiry);
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Relative to the loop's cached time (when it last woke), at the loop's
  // precision: a millisecond on Linux (make_event_base). Sub-millisecond
  // deadlines use DeadlineTimer (deadline_timer.h).
  void arm(std::chrono::microseconds after);
  void cancel();
  bool pending() const;

 private:
  static void trampoline(evutil_socket_t, short, void* self);
  std::function<void()> on_expiry_;
  EventPtr event_;
};

// A repeating timer firing every `period` until destroyed or stop()ped.
class PeriodicTimer {
 public:
  PeriodicTimer(event_base* base, std::chrono::microseconds period, std::function<void()> on_tick);
  PeriodicTimer(const PeriodicTimer&) = delete;
  PeriodicTimer& operator=(const PeriodicTimer&) = delete;

 private:
  static void trampoline(evutil_socket_t, short, void* self);
  std::function<void()> on_tick_;
  EventPtr event_;
};

// Delivers a signal through the loop (libevent's self-pipe), so handlers may
// do anything a normal callback may.
class SignalWatch {
 public:
  SignalWatch(event_base* base, int signo, std::function<void()> on_signal);
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  static void trampoline(evutil_socket_t, short, void* self);
  std::function<void()> on_signal_;
  EventPtr event_;
};

// Readiness of a file descriptor the caller owns (EV_READ / EV_WRITE, persistent).
class FdWatch {
 public:
  FdWatch(event_base* base, int fd, short what, std::function<void(short)> on_ready);
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  // Stops or resumes watching (e.g. while the owner polls the fd itself).
  void set_enabled(bool enabled);

 private:
  static void trampoline(evutil_socket_t, short, void* self);
  std::function<void(short)> on_ready_;
  EventPtr event_;
  bool enabled_ = true;
};

}  // namespace fbf::platform
