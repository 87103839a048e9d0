#include "bfd/timers.h"

#include <algorithm>

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

namespace fbf::bfd {
namespace {

std::uint64_t ticks(TimePoint t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<Microseconds>(t.time_since_epoch()).count());
}

TimePoint at_ticks(std::uint64_t us) {
  return TimePoint(Microseconds(static_cast<Microseconds::rep>(us)));
}

}  // namespace

std::uint64_t coalescing_quantum(std::uint64_t interval_us) {
  const std::uint64_t wanted = interval_us / 20;
  for (std::uint64_t q : {2000u, 1000u, 500u, 200u}) {
    if (wanted >= q) return q;
  }
  return 100;
}

TimePoint align_up(TimePoint t, std::uint64_t quantum_us, Microseconds phase) {
  const std::uint64_t p = static_cast<std::uint64_t>(phase.count()) % quantum_us;
  const std::uint64_t v = ticks(t);
  if (v < p) return at_ticks(p);
  const std::uint64_t rem = (v - p) % quantum_us;
  return rem == 0 ? t : at_ticks(v + (quantum_us - rem));
}

TimePoint align_down(TimePoint t, std::uint64_t quantum_us, Microseconds phase) {
  const std::uint64_t p = static_cast<std::uint64_t>(phase.count()) % quantum_us;
  const std::uint64_t v = ticks(t);
  if (v < p) return at_ticks(0);
  return at_ticks(v - (v - p) % quantum_us);
}

TimePoint next_transmit_time(TimePoint last_tx, std::uint64_t interval_us,
                             std::uint8_t detect_mult, std::uint32_t random, Microseconds phase) {
  constexpr std::uint64_t kPpm = 1'000'000;
  const std::uint64_t q = coalescing_quantum(interval_us);
  const std::uint64_t floor = (interval_us * 750'000 + kPpm - 1) / kPpm;  // 75 %, rounded up
  const std::uint64_t top = interval_us * (detect_mult == 1 ? 900'000 : kPpm) / kPpm;
  std::uint64_t lo = floor + q;
  std::uint64_t hi = top - (top - floor) * kLatenessMarginShare / 100;
  if (hi <= lo) {  // intervals too short for margin and grid: the plain window
    lo = floor;
    hi = top;
  }
  const std::uint64_t target = ticks(last_tx) + lo + random % (hi - lo + 1);
  if (lo == floor) return at_ticks(target);
  // Round down onto the grid: loses less than one quantum, and lo is one
  // quantum above the floor.
  if (target < static_cast<std::uint64_t>(phase.count()) % q) return at_ticks(target);
  return align_down(at_ticks(target), q, phase);
}

TimePoint transmit_window_opening(TimePoint last_tx, TimePoint aimed, std::uint64_t interval_us) {
  constexpr std::uint64_t kPpm = 1'000'000;
  const std::uint64_t floor =
      (interval_us * 750'000 + kPpm - 1) / kPpm + coalescing_quantum(interval_us);
  const std::uint64_t early = interval_us * kEarlyTransmitPermille / 1000;
  const std::uint64_t aimed_us = ticks(aimed);
  const std::uint64_t opening =
      std::max(ticks(last_tx) + floor, aimed_us > early ? aimed_us - early : 0);
  return opening >= aimed_us ? aimed : at_ticks(opening);
}

}  // namespace fbf::bfd
