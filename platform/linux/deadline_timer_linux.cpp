// DeadlineTimer on a timerfd (see deadline_timer.h for why). The loop
// watches the fd; timerfd_settime() both moves the deadline and clears an
// expiry not yet read, so a callback that arms the next deadline needs no
// read(2).
#include "platform/deadline_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "platform/event.h"
#include "platform/unique_fd.h"

namespace fbf::platform {

// std::chrono::steady_clock is CLOCK_MONOTONIC in libstdc++, the clock the
// timerfd is created on: deadlines pass through unchanged.
struct DeadlineTimer::Os {
  UniqueFd fd;
  std::unique_ptr<FdWatch> watch;
};

namespace {
itimerspec absolute(DeadlineTimer::TimePoint at) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  if (ns <= 0) ns = 1;  // an all-zero it_value would disarm instead
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return spec;
}
}  // namespace

DeadlineTimer::DeadlineTimer(event_base* base, std::function<void(TimePoint)> on_expiry)
    : on_expiry_(std::move(on_expiry)), os_(std::make_unique<Os>()) {
  os_->fd = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!os_->fd)
    throw std::runtime_error(std::string("cannot create a timer: timerfd_create: ") +
                             std::strerror(errno));
  os_->watch = std::make_unique<FdWatch>(base, os_->fd.get(), EV_READ,
                                         [this](short) { on_ready(); });
}

DeadlineTimer::~DeadlineTimer() = default;

void DeadlineTimer::arm_at(TimePoint at) {
  if (armed_ == at) return;
  const itimerspec spec = absolute(at);
  // Cannot fail for a valid fd and a normalised absolute time.
  ::timerfd_settime(os_->fd.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
  ++rearms_;
  armed_ = at;
}

void DeadlineTimer::cancel() {
  if (!armed_) return;
  const itimerspec off{};
  ::timerfd_settime(os_->fd.get(), 0, &off, nullptr);
  ++rearms_;
  armed_.reset();
}

void DeadlineTimer::on_ready() {
  // The loop reports readiness it saw before this turn's earlier callbacks
  // ran; one of them may have moved the deadline (which cleared the
  // expiry) or cancelled it. Nothing is due then.
  if (!armed_ || *armed_ > std::chrono::steady_clock::now()) return;
  const TimePoint due = *armed_;
  armed_.reset();
  on_expiry_(due);
  if (armed_) return;  // re-armed: timerfd_settime cleared the expiry
  // Not re-armed: read the expiry, or the loop reports the fd again at once.
  std::uint64_t expirations = 0;
  [[maybe_unused]] const ssize_t n = ::read(os_->fd.get(), &expirations, sizeof expirations);
  ++rearms_;
}

}  // namespace fbf::platform
