// fbf_ceil (platform/ceil.h) is what `ceil` means inside fbfd and fbfctl:
// it must agree with libm's ceil everywhere, signed zeros and specials too.
#include "platform/ceil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace {

bool same_bits(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(FbfCeil, AgreesWithLibmToTheBit) {
  const double inf = std::numeric_limits<double>::infinity();
  const double specials[] = {0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0 - 1e-16,
                             1e-300, -1e-300, 4503599627370495.5, -4503599627370495.5,
                             4503599627370496.0, 9007199254740993.0, -9007199254740993.0,
                             1e300, -1e300, inf, -inf, std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::denorm_min()};
  for (double x : specials) EXPECT_TRUE(same_bits(fbf_ceil(x), std::ceil(x))) << x;
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> small(-1e6, 1e6);
  for (int i = 0; i < 100000; ++i) {
    const double x = small(random);
    ASSERT_TRUE(same_bits(fbf_ceil(x), std::ceil(x))) << x;
  }
}

}  // namespace
