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
