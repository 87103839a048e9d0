// platform/event.h: fbfd's event loop and its one-shot timer.
#include "platform/event.h"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace fbf::platform {
namespace {

#ifdef __linux__
int timer_fds() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec).string() == "anon_inode:[timerfd]") ++n;
  }
  return n;
}

// The loop's cost per wake-up does not grow with the descriptors it
// watches (one per BGP neighbor): epoll, not poll(2), whose per-descriptor
// scan was a third of an idle fbfd's CPU with 10 neighbors (event.cpp). Its
// precise timers cost one timerfd, re-armed per wake-up.
TEST(EventBase, RunsOnEpollWithOneTimerDescriptor) {
  const int before = timer_fds();
  auto base = make_event_base();
  EXPECT_STREQ(event_base_get_method(base.get()), "epoll");
  EXPECT_EQ(timer_fds(), before + 1);
}
#endif

// Timer::arm() never fires before its delay, even one below the loop's
// millisecond: the health checks and BGP timers rely on it (an early expiry
// costs them a second wake-up).
TEST(Timer, NeverFiresBeforeItsDelay) {
  auto base = make_event_base();
  std::chrono::steady_clock::time_point at;
  std::vector<std::chrono::nanoseconds> early;
  bool fired = false;
  Timer timer(base.get(), [&] {
    fired = true;
    const auto now = std::chrono::steady_clock::now();
    if (now < at) early.push_back(at - now);
  });
  for (int i = 0; i < 50; ++i) {
    const auto delay = std::chrono::microseconds(200 + (i * 337) % 999);
    at = std::chrono::steady_clock::now() + delay;
    fired = false;
    timer.arm(delay);
    while (!fired) event_base_loop(base.get(), EVLOOP_ONCE);
  }
  EXPECT_TRUE(early.empty()) << early.size() << " of 50 fired early, first by "
                             << (early.empty() ? 0 : early.front().count()) << " ns";
}

}  // namespace
}  // namespace fbf::platform
