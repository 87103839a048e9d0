// RFC 5880 §6.8.2/§6.8.4/§6.8.7 arithmetic and the RFC 7419 helper.
#include "bfd/timers.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "bfd_test_support.h"

namespace fbf::bfd {
namespace {

TEST(Negotiation, TransmitIntervalIsTheSlowerOfOursAndTheirs) {
  EXPECT_EQ(transmit_interval(300'000, 1), 300'000u);  // RemoteMinRxInterval's initial 1
  EXPECT_EQ(transmit_interval(300'000, 500'000), 500'000u);
  EXPECT_EQ(transmit_interval(300'000, 100'000), 300'000u);
  EXPECT_EQ(transmit_interval(300'000, 0), 0u);  // peer wants no periodic packets
}

TEST(Negotiation, DetectionTimeIsTheirMultTimesTheAgreedInterval) {
  EXPECT_EQ(detection_time(3, 100'000, 300'000), 900'000u);
  EXPECT_EQ(detection_time(5, 400'000, 300'000), 2'000'000u);
  EXPECT_EQ(detection_time(255, 0xffffffff, 1), 255ull * 0xffffffffull);  // no overflow
}

// §6.8.7: "reduced by a random value of 0 to 25%"; with Detect Mult 1,
// between 75 % and 90 %. Statistical over many seeded draws.
void check_jitter(std::uint8_t mult, double lowest, double highest) {
  test::SeededRandom random(20240611);
  const std::uint64_t interval = 300'000;
  std::uint64_t min = interval, max = 0;
  double sum = 0;
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) {
    const auto v = jittered_interval(interval, mult, random.next_u32());
    ASSERT_GE(v, static_cast<std::uint64_t>(interval * lowest));
    ASSERT_LE(v, static_cast<std::uint64_t>(interval * highest));
    min = std::min(min, v);
    max = std::max(max, v);
    sum += static_cast<double>(v);
  }
  // The whole range is used, and the mean sits in its middle.
  EXPECT_LT(min, interval * (lowest + 0.001));
  EXPECT_GT(max, interval * (highest - 0.001));
  EXPECT_NEAR(sum / kDraws / interval, (lowest + highest) / 2, 0.002);
}

TEST(Jitter, Within75To100Percent) { check_jitter(3, 0.75, 1.00); }
TEST(Jitter, Within75To90PercentWhenDetectMultIsOne) { check_jitter(1, 0.75, 0.90); }

TEST(Jitter, ExtremeDraws) {
  EXPECT_EQ(jittered_interval(1'000'000, 3, 0), 750'000u);
  EXPECT_EQ(jittered_interval(1'000'000, 3, 250'000), 1'000'000u);
  EXPECT_EQ(jittered_interval(1'000'000, 1, 150'000), 900'000u);
  EXPECT_LE(jittered_interval(0xffffffff, 2, 0xffffffff), 0xffffffffu);
}

TEST(CommonIntervals, Rfc7419Set) {
  for (std::uint32_t v : {3'300u, 10'000u, 20'000u, 50'000u, 100'000u, 1'000'000u}) {
    EXPECT_TRUE(is_common_interval(v)) << v;
  }
  EXPECT_FALSE(is_common_interval(300'000));
}

TEST(CommonIntervals, RoundsTowardsSlower) {
  EXPECT_EQ(round_up_to_common_interval(1), 3'300u);
  EXPECT_EQ(round_up_to_common_interval(3'300), 3'300u);
  EXPECT_EQ(round_up_to_common_interval(3'301), 10'000u);
  EXPECT_EQ(round_up_to_common_interval(300'000), 1'000'000u);
  EXPECT_EQ(round_up_to_common_interval(2'000'000), 10'000'000u);
  EXPECT_EQ(round_up_to_common_interval(20'000'000), 20'000'000u);
}

}  // namespace
}  // namespace fbf::bfd

namespace fbf::bfd {
namespace {

using namespace std::chrono_literals;

// The transmit schedule (timers.h): inside the §6.8.7 window with the
// lateness margin, on the phase-shifted grid, and still spread over it.
void check_schedule(std::uint64_t interval, std::uint8_t mult) {
  test::SeededRandom random(99);
  const Microseconds phase{700};
  const std::uint64_t q = coalescing_quantum(interval);
  const TimePoint last = test::kT0 + 123'456us;
  const double top = mult == 1 ? 0.90 : 1.00;
  // The lateness margin: 40 % of the window below its top (10 % of the
  // interval, 6 % with Detect Mult 1).
  const auto ceiling = static_cast<std::uint64_t>(interval * (top - (top - 0.75) * 0.4));
  std::uint64_t lowest = UINT64_MAX, highest = 0;
  for (int i = 0; i < 20'000; ++i) {
    const TimePoint at = next_transmit_time(last, interval, mult, random.next_u32(), phase);
    const auto gap = static_cast<std::uint64_t>(std::chrono::duration_cast<Microseconds>(at - last).count());
    ASSERT_GE(gap, interval * 3 / 4) << "below 75 % of " << interval;
    ASSERT_LE(gap, ceiling) << "inside the lateness margin";
    const auto since_epoch = std::chrono::duration_cast<Microseconds>(at.time_since_epoch()).count();
    ASSERT_EQ((since_epoch - phase.count()) % static_cast<long>(q), 0) << "off the grid";
    lowest = std::min(lowest, gap);
    highest = std::max(highest, gap);
  }
  // Still jitter, not a fixed offset: the draws cover most of the window.
  EXPECT_LT(lowest, interval * 3 / 4 + 2 * q);
  EXPECT_GT(highest, ceiling - 2 * q);
}

TEST(TransmitSchedule, FiftyMillisecondsOnATwoMillisecondGrid) {
  EXPECT_EQ(coalescing_quantum(50'000), 2000u);
  check_schedule(50'000, 3);
}
TEST(TransmitSchedule, DetectMultOneStaysBelowNinetyPercent) { check_schedule(50'000, 1); }
TEST(TransmitSchedule, TenMillisecondsOnA500MicrosecondGrid) {
  EXPECT_EQ(coalescing_quantum(10'000), 500u);
  EXPECT_EQ(coalescing_quantum(25'000), 1000u);
  EXPECT_EQ(coalescing_quantum(3'300), 100u);
  check_schedule(10'000, 3);
}
TEST(TransmitSchedule, SlowRateOneSecond) { check_schedule(1'000'000, 3); }
TEST(TransmitSchedule, ThreePointThreeMillisecondsOnA100MicrosecondGrid) {
  check_schedule(3'300, 3);
}
TEST(TransmitSchedule, IntervalsTooShortForTheMarginUseThePlainWindow) {
  test::SeededRandom random(5);
  const TimePoint last = test::kT0;
  for (int i = 0; i < 1000; ++i) {
    const auto gap = next_transmit_time(last, 1'000, 3, random.next_u32(), Microseconds{0}) - last;
    EXPECT_GE(gap, 750us);
    EXPECT_LE(gap, 1000us);
  }
}

// A periodic packet may leave early, in a wake-up the loop has anyway: up
// to 7.5 % of the interval before its aimed instant, never below one grid
// step above 75 % of the interval after the last packet, never after the aim.
TEST(EarlyTransmission, OpensUpTo7Point5PercentBeforeTheAim) {
  const TimePoint last = test::kT0;
  // 300 ms: 2 ms grid, floor 225 + 2 ms, early part 22.5 ms.
  EXPECT_EQ(transmit_window_opening(last, last + 270ms, 300'000), last + 247'500us);
  EXPECT_EQ(transmit_window_opening(last, last + 240ms, 300'000), last + 227ms);
  EXPECT_EQ(transmit_window_opening(last, last + 227ms, 300'000), last + 227ms);
  // 50 ms: 2 ms grid, floor 37.5 + 2 ms, early part 3.75 ms.
  EXPECT_EQ(transmit_window_opening(last, last + 45ms, 50'000), last + 41'250us);
  EXPECT_EQ(transmit_window_opening(last, last + 40ms, 50'000), last + 39'500us);
}

// Whatever the schedule draws, the early opening keeps the gap inside the
// §6.8.7 window (and below the aim, which is below 90 % with Detect Mult 1).
TEST(EarlyTransmission, NeverOpensBelowTheWindowNorAfterTheAim) {
  test::SeededRandom random(8326);
  const TimePoint last = test::kT0 + 4321us;
  for (std::uint64_t interval : {3'300u, 10'000u, 50'000u, 300'000u, 1'000'000u}) {
    for (std::uint8_t mult : {std::uint8_t{1}, std::uint8_t{3}}) {
      bool some_early = false;
      for (int i = 0; i < 5'000; ++i) {
        const TimePoint at = next_transmit_time(last, interval, mult, random.next_u32(), 700us);
        const TimePoint from = transmit_window_opening(last, at, interval);
        ASSERT_LE(from, at);
        ASSERT_GE(from - last, Microseconds(interval * 3 / 4 + 1)) << interval;
        ASSERT_LE(at - from, Microseconds(interval * 75 / 1000)) << interval;
        some_early = some_early || from < at;
      }
      EXPECT_TRUE(some_early) << interval << " ms: never early";
    }
  }
}

TEST(TransmitSchedule, AlignUpReachesTheNextGridPoint) {
  const TimePoint t = TimePoint{} + 10'250us;
  EXPECT_EQ(align_up(t, 1000, Microseconds{300}), TimePoint{} + 10'300us);
  EXPECT_EQ(align_up(t, 1000, Microseconds{250}), t);
  EXPECT_EQ(align_up(t, 1000, Microseconds{0}), TimePoint{} + 11'000us);
}

TEST(TransmitSchedule, AlignDownReachesThePreviousGridPoint) {
  const TimePoint t = TimePoint{} + 10'250us;
  EXPECT_EQ(align_down(t, 1000, Microseconds{300}), TimePoint{} + 9'300us);
  EXPECT_EQ(align_down(t, 1000, Microseconds{250}), t);
  EXPECT_EQ(align_down(t, 1000, Microseconds{0}), TimePoint{} + 10'000us);
  EXPECT_EQ(align_down(TimePoint{} + 200us, 1000, Microseconds{300}), TimePoint{});
}

}  // namespace
}  // namespace fbf::bfd
