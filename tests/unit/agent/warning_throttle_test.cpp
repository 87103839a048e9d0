// WarningThrottle: the first occurrence is said at once; later ones within
// the period are counted, and the next line said carries their number and
// the worst value among them.
#include "agent/warning_throttle.h"

#include <gtest/gtest.h>

namespace fbf::agent {
namespace {

using namespace std::chrono_literals;
using TimePoint = WarningThrottle::Clock::time_point;

TEST(WarningThrottle, OneLineAMinuteCarryingWhatWasHeldBack) {
  WarningThrottle t(1min);
  const TimePoint t0 = TimePoint{} + 1000h;

  auto first = t.note(t0, 30ms);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->occurrences, 1u);
  EXPECT_EQ(first->worst, 30ms);

  EXPECT_FALSE(t.note(t0 + 10s, 80ms));
  EXPECT_FALSE(t.note(t0 + 59s, 26ms));

  // A minute after the last line: said, with the two held back.
  auto second = t.note(t0 + 60s, 27ms);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->occurrences, 3u);
  EXPECT_EQ(second->worst, 80ms);

  // The count and the worst start again after each line said.
  EXPECT_FALSE(t.note(t0 + 61s, 40ms));
  auto third = t.note(t0 + 125s, 25ms);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->occurrences, 2u);
  EXPECT_EQ(third->worst, 40ms);
}

}  // namespace
}  // namespace fbf::agent
