#include "platform/ceil.h"

#include <cmath>
#include <cstdint>

// Plain arithmetic only: no call that could itself become `ceil` (the
// symbol is this function in the programs).
extern "C" double fbf_ceil(double x) {
  // |x| >= 2^52, NaN and infinities are already integral (or not numbers).
  if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return x;
  double t = static_cast<double>(static_cast<std::int64_t>(x));  // toward zero
  if (t < x) t += 1.0;
  // ceil keeps the sign of zero: ceil(-0.5) and ceil(-0.0) are -0.0.
  if (t == 0.0 && std::signbit(x)) return -0.0;
  return t;
}
