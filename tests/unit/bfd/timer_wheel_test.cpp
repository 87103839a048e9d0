// The timer wheel behind every BFD session (bfd/timer_wheel.h): at the exact
// deadline, never early, in deadline order, O(1) re-arming from inside callbacks, long deadlines and
// long sleeps, and the wake-up count that coalescing buys.
#include "bfd/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "bfd_test_support.h"

namespace fbf::bfd {
namespace {

using namespace std::chrono_literals;
using test::kT0;

struct Fired {
  std::uint64_t cookie;
  TimePoint at;
};

// Runs the wheel like the adapter does: sleep until next_due(), expire.
std::vector<Fired> run_until(TimerWheel& wheel, TimePoint end, std::size_t* wakeups = nullptr) {
  std::vector<Fired> out;
  while (auto due = wheel.next_due()) {
    if (*due > end) break;
    if (wakeups) ++*wakeups;
    wheel.expire(*due, [&](WheelTimer& t) { out.push_back({t.cookie(), *due}); });
  }
  return out;
}

TEST(TimerWheel, FiresAtItsExactDeadlineInDeadlineOrder) {
  TimerWheel wheel(kT0);
  std::vector<std::unique_ptr<WheelTimer>> timers;
  std::map<std::uint64_t, TimePoint> deadline;
  test::SeededRandom random(7);
  for (std::uint64_t i = 0; i < 500; ++i) {
    timers.push_back(std::make_unique<WheelTimer>(i));
    deadline[i] = kT0 + Microseconds(1 + random.next_u32() % 1'500'000);
    wheel.arm(*timers.back(), deadline[i]);
  }
  EXPECT_EQ(wheel.size(), 500u);
  const auto fired = run_until(wheel, kT0 + 2s);
  ASSERT_EQ(fired.size(), 500u);
  TimePoint previous = kT0;
  for (const auto& f : fired) {
    // The sleeper wakes at next_due(): each timer fires at its deadline to
    // the µs, not at the end of its 100 µs slot.
    EXPECT_EQ(f.at, deadline[f.cookie]) << "timer " << f.cookie;
    EXPECT_GE(f.at, previous) << "out of deadline order";
    previous = f.at;
  }
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_FALSE(wheel.next_due());
}

TEST(TimerWheel, RearmAndCancelReplaceTheEarlierDeadline) {
  TimerWheel wheel(kT0);
  WheelTimer a(1), b(2), c(3);
  wheel.arm(a, kT0 + 10ms);
  wheel.arm(b, kT0 + 20ms);
  wheel.arm(c, kT0 + 30ms);
  wheel.arm(a, kT0 + 40ms);  // re-arm: only the new deadline counts
  wheel.cancel(b);
  EXPECT_FALSE(b.armed());
  EXPECT_EQ(wheel.size(), 2u);
  EXPECT_EQ(*wheel.next_due(), kT0 + 30ms);
  const auto fired = run_until(wheel, kT0 + 1s);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].cookie, 3u);
  EXPECT_EQ(fired[1].cookie, 1u);
  EXPECT_EQ(fired[1].at, kT0 + 40ms);
}

TEST(TimerWheel, CallbacksMayCancelOrRearmTimersOfTheSameSlot) {
  TimerWheel wheel(kT0);
  WheelTimer a(1), b(2), c(3);
  for (WheelTimer* t : {&a, &b, &c}) wheel.arm(*t, kT0 + 5ms);
  std::vector<std::uint64_t> fired;
  std::uint64_t first = 0, cancelled = 0;
  wheel.expire(kT0 + 5ms, [&](WheelTimer& t) {
    fired.push_back(t.cookie());
    if (first != 0) return;
    // The first to fire cancels a sibling still waiting in the same slot and
    // re-arms itself in the past, which fires at the next expire().
    first = t.cookie();
    for (WheelTimer* other : {&a, &b, &c}) {
      if (other != &t && other->armed()) {
        cancelled = other->cookie();
        wheel.cancel(*other);
        break;
      }
    }
    wheel.arm(t, kT0);
  });
  ASSERT_NE(cancelled, 0u);
  EXPECT_EQ(fired.size(), 2u);  // the first and the sibling left
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(*wheel.next_due(), kT0);  // overdue: due at once
  wheel.expire(kT0 + 5ms, [&](WheelTimer& t) { fired.push_back(t.cookie()); });
  EXPECT_EQ(std::count(fired.begin(), fired.end(), cancelled), 0);
  EXPECT_EQ(std::count(fired.begin(), fired.end(), first), 2);
  EXPECT_EQ(wheel.size(), 0u);
}

// A detection timer (RFC 5880 §6.8.4) armed from a packet's arrival, at any
// µs: it must not fire a µs early, and a wake-up at its deadline fires it
// there, while a neighbour later in the same 100 µs slot waits for its own.
TEST(TimerWheel, ATimerInsideASlotFiresAtItsDeadlineNotTheSlotsEnd) {
  TimerWheel wheel(kT0);
  WheelTimer detect(1), later(2);
  wheel.arm(detect, kT0 + 150'012us);
  wheel.arm(later, kT0 + 150'077us);
  ASSERT_EQ(*wheel.next_due(), kT0 + 150'012us);
  std::vector<std::uint64_t> fired;
  auto record = [&](WheelTimer& t) { fired.push_back(t.cookie()); };
  EXPECT_EQ(wheel.expire(kT0 + 150'011us, record), 0u);  // a µs early: nothing
  EXPECT_EQ(wheel.expire(kT0 + 150'012us, record), 1u);
  EXPECT_EQ(fired, std::vector<std::uint64_t>{1});
  EXPECT_TRUE(later.armed());
  EXPECT_EQ(*wheel.next_due(), kT0 + 150'077us);
  EXPECT_EQ(wheel.expire(kT0 + 150'076us, record), 0u);
  EXPECT_EQ(wheel.expire(kT0 + 150'077us, record), 1u);
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_FALSE(wheel.next_due());
}

TEST(TimerWheel, DeadlinesBeyondOneTurnWaitForTheirTurn) {
  TimerWheel wheel(kT0);
  WheelTimer near(1), far(2);
  const auto turn = TimerWheel::kResolution * TimerWheel::kSlots;
  wheel.arm(far, kT0 + turn + 5ms);  // the same slot as kT0 + 5ms
  wheel.arm(near, kT0 + 5ms);
  auto fired = run_until(wheel, kT0 + 10ms);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].cookie, 1u);
  EXPECT_TRUE(far.armed());
  EXPECT_EQ(*wheel.next_due(), kT0 + turn + 5ms);
  fired = run_until(wheel, kT0 + 2 * turn);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].cookie, 2u);
  EXPECT_EQ(fired[0].at, kT0 + turn + 5ms);
}

TEST(TimerWheel, ALongSleepFiresEverythingOverdueOnce) {
  TimerWheel wheel(kT0);
  std::vector<std::unique_ptr<WheelTimer>> timers;
  for (std::uint64_t i = 0; i < 50; ++i) {
    timers.push_back(std::make_unique<WheelTimer>(i));
    wheel.arm(*timers.back(), kT0 + std::chrono::milliseconds(100 * i));  // 0 .. 4.9 s
  }
  WheelTimer later(99);
  wheel.arm(later, kT0 + 30s);
  std::size_t fired = wheel.expire(kT0 + 10s, [](WheelTimer&) {});  // suspended for 10 s
  EXPECT_EQ(fired, 50u);
  EXPECT_TRUE(later.armed());
  EXPECT_EQ(*wheel.next_due(), kT0 + 30s);
  EXPECT_EQ(wheel.expire(kT0 + 30s, [](WheelTimer&) {}), 1u);
}

TEST(TimerWheel, DestroyingAnArmedTimerDisarmsIt) {
  TimerWheel wheel(kT0);
  {
    WheelTimer gone(1);
    wheel.arm(gone, kT0 + 1ms);
    EXPECT_EQ(wheel.size(), 1u);
  }
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_EQ(wheel.expire(kT0 + 1s, [](WheelTimer&) { ADD_FAILURE(); }), 0u);
}

// The point of the grid (timers.h): 1000 sessions at 50 ms, each drawing its
// own jittered transmit times, need about one wake-up per 2 ms, not one per
// packet.
TEST(TimerWheel, GridAlignedTransmissionsShareWakeups) {
  TimerWheel wheel(kT0);
  test::SeededRandom random(11);
  const Microseconds phase{300};
  constexpr std::uint64_t kInterval = 50'000;
  std::vector<std::unique_ptr<WheelTimer>> timers;
  std::vector<TimePoint> last(1000, kT0);
  for (std::uint64_t i = 0; i < 1000; ++i) {
    timers.push_back(std::make_unique<WheelTimer>(i));
    last[i] = kT0 + Microseconds(random.next_u32() % 50'000);
    wheel.arm(*timers.back(), next_transmit_time(last[i], kInterval, 3, random.next_u32(), phase));
  }
  std::size_t wakeups = 0, packets = 0;
  const TimePoint end = kT0 + 10s;
  while (auto due = wheel.next_due()) {
    if (*due > end) break;
    ++wakeups;
    wheel.expire(*due, [&](WheelTimer& t) {
      const auto i = t.cookie();
      const auto gap = *due - last[i];
      EXPECT_GE(gap, 37'500us);  // 75 % of 50 ms
      EXPECT_LE(gap, 45'000us);  // 100 % less the 10 % lateness margin
      last[i] = *due;
      ++packets;
      wheel.arm(t, next_transmit_time(*due, kInterval, 3, random.next_u32(), phase));
    });
  }
  EXPECT_GT(packets, 200'000u);
  // 10 s of a 2 ms grid: at most ~5 000 wake-ups for > 200 000 packets.
  EXPECT_LE(wakeups, 5'050u);
}

}  // namespace
}  // namespace fbf::bfd
