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

// The loop makes no system call per wake-up for its timers: libevent's
// epoll backend with precise timers keeps a timerfd that it re-arms before
// every epoll_wait (event.cpp). The base runs on poll(2), which holds none.
TEST(EventBase, KeepsNoTimerDescriptorToReArmOnEveryWakeUp) {
  const int before = timer_fds();
  auto base = make_event_base();
  EXPECT_STREQ(event_base_get_method(base.get()), "poll");
  EXPECT_EQ(timer_fds(), before);
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
