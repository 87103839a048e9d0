// platform/deadline_timer.h on fbfd's loop (make_event_base): the BFD timer
// wheel's wake-up. Precise to well below the loop's millisecond, never
// early, and a system call only when it moves.
#include "platform/deadline_timer.h"

#include <event2/event.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "platform/event.h"

namespace fbf::platform {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(DeadlineTimer, FiresAtItsDeadlineNeverBeforeAndWellInsideTheLoopsMillisecond) {
  auto base = make_event_base();
  Clock::time_point at;
  std::vector<std::chrono::nanoseconds> early, late;
  bool fired = false;
  int wrong_deadline = 0;
  DeadlineTimer timer(base.get(), [&](Clock::time_point due) {
    if (due != at) ++wrong_deadline;
    fired = true;
    const auto now = Clock::now();
    if (now < at) early.push_back(at - now);
    else late.push_back(now - at);
  });
  constexpr int kRounds = 200;
  for (int i = 0; i < kRounds; ++i) {
    // Odd sub-microsecond offsets: what a µs conversion would cut off.
    at = Clock::now() + 200us + std::chrono::nanoseconds(1 + (i * 337) % 999);
    fired = false;
    timer.arm_at(at);
    while (!fired) event_base_loop(base.get(), EVLOOP_ONCE);
  }
  // Each expiry names the deadline it fired for: the caller's lateness.
  EXPECT_EQ(wrong_deadline, 0);
  EXPECT_TRUE(early.empty()) << early.size() << " of " << kRounds << " fired early, first by "
                             << (early.empty() ? 0 : early.front().count()) << " ns";
  ASSERT_FALSE(late.empty());
  std::nth_element(late.begin(), late.begin() + late.size() / 2, late.end());
  // A timer on the loop's own timeout (milliseconds, rounded up) would be
  // ~800 µs late for a 200 µs delay.
  EXPECT_LT(late[late.size() / 2], 500us) << "median lateness";
}

TEST(DeadlineTimer, ADeadlineAlreadyPastFiresAtOnce) {
  auto base = make_event_base();
  int fired = 0;
  DeadlineTimer timer(base.get(), [&](Clock::time_point) { ++fired; });
  timer.arm_at(Clock::now() - 1s);
  event_base_loop(base.get(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer.armed_for());
}

// The loop saw the expiry, but a callback earlier in the same turn moved the
// deadline later (or cancelled it): nothing fires now.
TEST(DeadlineTimer, ADeadlineMovedOrCancelledAfterItsExpiryDoesNotFire) {
  auto base = make_event_base();
  int fired = 0;
  DeadlineTimer timer(base.get(), [&](Clock::time_point) { ++fired; });
  timer.arm_at(Clock::now() + 1ms);
  std::this_thread::sleep_for(3ms);  // expired, not yet seen
  timer.arm_at(Clock::now() + 1s);
  event_base_loop(base.get(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
  EXPECT_EQ(fired, 0);
  timer.arm_at(Clock::now() + 1ms);
  std::this_thread::sleep_for(3ms);
  timer.cancel();
  event_base_loop(base.get(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(timer.armed_for());
}

// After an expiry that its callback does not follow with a new deadline the
// loop sleeps: the expiry was consumed, the descriptor is not readable and
// the next loop turn waits for the guard timer (20 ms), not returning at once.
TEST(DeadlineTimer, AnExpiryNotFollowedByANewDeadlineLetsTheLoopSleep) {
  auto base = make_event_base();
  int fired = 0;
  DeadlineTimer timer(base.get(), [&](Clock::time_point) { ++fired; });
  timer.arm_at(Clock::now());
  event_base_loop(base.get(), EVLOOP_ONCE);
  ASSERT_EQ(fired, 1);
  bool guard = false;
  Timer guard_timer(base.get(), [&] { guard = true; });
  guard_timer.arm(20ms);
  const auto start = Clock::now();
  int turns = 0;
  while (!guard) {
    event_base_loop(base.get(), EVLOOP_ONCE);
    ++turns;
  }
  EXPECT_GE(Clock::now() - start, 15ms);
  EXPECT_EQ(turns, 1) << "the loop woke for the spent timer";
  EXPECT_EQ(fired, 1);
}

// Moving costs one system call; arming again for the instant it is armed
// for, none. The BFD wheel re-arms only when its earliest deadline moves.
TEST(DeadlineTimer, ArmingForTheInstantItIsArmedForMakesNoSystemCall) {
  auto base = make_event_base();
  DeadlineTimer timer(base.get(), [](Clock::time_point) {});
  const auto at = Clock::now() + 1s;
  timer.arm_at(at);
  EXPECT_EQ(timer.rearms(), 1u);
  timer.arm_at(at);
  timer.arm_at(at);
  EXPECT_EQ(timer.rearms(), 1u);
  EXPECT_EQ(timer.armed_for(), at);
  timer.arm_at(at + 1ms);
  EXPECT_EQ(timer.rearms(), 2u);
  timer.cancel();
  timer.cancel();
  EXPECT_EQ(timer.rearms(), 3u);
}

// A callback that arms the next deadline, from inside the expiry: it fires
// again at that one (the periodic use of the BFD wheel).
TEST(DeadlineTimer, ReArmedFromItsCallbackItFiresAgain) {
  auto base = make_event_base();
  int fired = 0;
  DeadlineTimer* self = nullptr;
  DeadlineTimer timer(base.get(), [&](Clock::time_point) {
    if (++fired < 5) self->arm_at(Clock::now() + 1ms);
  });
  self = &timer;
  timer.arm_at(Clock::now() + 1ms);
  const auto start = Clock::now();
  while (fired < 5 && Clock::now() - start < 2s) event_base_loop(base.get(), EVLOOP_ONCE);
  EXPECT_EQ(fired, 5);
  EXPECT_GE(Clock::now() - start, 5ms);
}

}  // namespace
}  // namespace fbf::platform
