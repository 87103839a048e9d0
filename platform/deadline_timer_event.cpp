// DeadlineTimer on a libevent timer, where the loop's backend takes a
// precise timeout without an extra system call (kqueue). UNTESTED: Linux
// builds deadline_timer_linux.cpp (docs/openbsd.md).
#include "platform/deadline_timer.h"

#include <new>

#include "platform/event.h"

namespace fbf::platform {

struct DeadlineTimer::Os {
  EventPtr event;
  static void trampoline(evutil_socket_t, short, void* self) {
    static_cast<DeadlineTimer*>(self)->on_ready();
  }
};

DeadlineTimer::DeadlineTimer(event_base* base, std::function<void(TimePoint)> on_expiry)
    : on_expiry_(std::move(on_expiry)), os_(std::make_unique<Os>()) {
  os_->event.reset(evtimer_new(base, &Os::trampoline, this));
  if (!os_->event) throw std::bad_alloc();
}

DeadlineTimer::~DeadlineTimer() = default;

void DeadlineTimer::arm_at(TimePoint at) {
  if (armed_ == at) return;
  // libevent counts a delay from the time it cached when the loop woke:
  // refresh it, or the timer fires early by however long this callback has
  // run. Rounded up to its µs for the same reason.
  event_base_update_cache_time(event_get_base(os_->event.get()));
  const timeval tv = to_timeval(
      std::chrono::ceil<std::chrono::microseconds>(at - std::chrono::steady_clock::now()));
  evtimer_add(os_->event.get(), &tv);
  ++rearms_;
  armed_ = at;
}

void DeadlineTimer::cancel() {
  if (!armed_) return;
  evtimer_del(os_->event.get());
  armed_.reset();
}

void DeadlineTimer::on_ready() {
  const TimePoint due = *armed_;  // set: cancel() deletes the event
  armed_.reset();
  on_expiry_(due);
}

}  // namespace fbf::platform
