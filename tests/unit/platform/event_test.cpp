// platform/event.h's one-shot timer against the clock the protocol cores use.
#include "platform/event.h"

#include <event2/event.h>
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace fbf::platform {
namespace {

// arm_at() never fires before its time point, even a sub-microsecond one:
// the BFD timer wheel (bfd/io/service.cpp) sleeps until its next slot ends
// and, woken early, would find nothing due and sleep again — a second
// wake-up for nothing.
TEST(Timer, ArmAtNeverFiresBeforeItsTimePoint) {
  auto base = make_event_base();
  std::chrono::steady_clock::time_point at;
  std::vector<std::chrono::nanoseconds> early;
  bool fired = false;
  Timer timer(base.get(), [&] {
    fired = true;
    const auto now = std::chrono::steady_clock::now();
    if (now < at) early.push_back(at - now);
  });
  for (int i = 0; i < 300; ++i) {
    // Odd sub-microsecond offsets: what truncation would cut off.
    at = std::chrono::steady_clock::now() + std::chrono::microseconds(200) +
         std::chrono::nanoseconds(1 + (i * 337) % 999);
    fired = false;
    timer.arm_at(at);
    while (!fired) event_base_loop(base.get(), EVLOOP_ONCE);
  }
  EXPECT_TRUE(early.empty()) << early.size() << " of 300 fired early, first by "
                             << (early.empty() ? 0 : early.front().count()) << " ns";
}

}  // namespace
}  // namespace fbf::platform
