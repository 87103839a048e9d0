#include "bfd/timers.h"

namespace fbf::bfd {

std::uint64_t jittered_interval(std::uint64_t interval_us, std::uint8_t detect_mult,
                                std::uint32_t random) {
  // Fraction of the interval kept, in parts per million: 750000..1000000, or
  // 750000..900000 when bfd.DetectMult is 1 (§6.8.7).
  constexpr std::uint64_t kPpm = 1'000'000;
  constexpr std::uint64_t kFloor = 750'000;
  const std::uint64_t span = detect_mult == 1 ? 150'000 : 250'000;
  const std::uint64_t kept = kFloor + random % (span + 1);
  // interval_us < 2^32 in practice; 2^32 * 10^6 < 2^64, no overflow.
  return interval_us * kept / kPpm;
}

}  // namespace fbf::bfd
