#pragma once
// BFD time arithmetic as pure functions: timer negotiation (RFC 5880 §6.8.2,
// §6.8.7), Detection Time (§6.8.4), transmit jitter (§6.8.7) and the RFC 7419
// Common Intervals. Time and randomness are inputs: nothing here reads a clock
// or owns a random generator.

#include <array>
#include <chrono>
#include <cstdint>

namespace fbf::bfd {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Microseconds = std::chrono::microseconds;

// §6.8.3: while bfd.SessionState is not Up, bfd.DesiredMinTxInterval >= 1 s.
inline constexpr std::uint32_t kSlowTxIntervalUs = 1'000'000;

// Injected randomness (jitter, bfd.XmitAuthSeq). Tests pass a seeded PRNG; the
// daemon passes one seeded from the OS.
class Random {
 public:
  virtual ~Random() = default;
  virtual std::uint32_t next_u32() = 0;
};

// §6.8.7 / §6.8.2: the interval at which we may transmit, "the greater of
// bfd.DesiredMinTxInterval and bfd.RemoteMinRxInterval". 0 means no periodic
// transmission (the peer set Required Min RX Interval to 0).
constexpr std::uint32_t transmit_interval(std::uint32_t desired_min_tx,
                                          std::uint32_t remote_min_rx) {
  return remote_min_rx == 0 ? 0 : (desired_min_tx > remote_min_rx ? desired_min_tx : remote_min_rx);
}

// §6.8.4 Asynchronous mode: the received Detect Mult times the agreed transmit
// interval of the remote system, "the greater of bfd.RequiredMinRxInterval and
// the last received Desired Min TX Interval". In microseconds (up to 255 *
// 2^32 - 1, hence 64 bits).
constexpr std::uint64_t detection_time(std::uint8_t remote_detect_mult,
                                       std::uint32_t required_min_rx,
                                       std::uint32_t remote_desired_min_tx) {
  const std::uint32_t agreed =
      required_min_rx > remote_desired_min_tx ? required_min_rx : remote_desired_min_tx;
  return std::uint64_t{remote_detect_mult} * agreed;
}

// §6.8.7: each periodic interval is reduced by a random 0-25 % (so it lies in
// [75 %, 100 %]); when bfd.DetectMult is 1 it lies in [75 %, 90 %]. Resolution
// 1 ppm of the interval; `random` is one draw of Random::next_u32().
std::uint64_t jittered_interval(std::uint64_t interval_us, std::uint8_t detect_mult,
                                std::uint32_t random);

// RFC 7419 §3 Common Intervals: 3.3 ms, 10 ms, 20 ms, 50 ms, 100 ms, 1 s, plus
// the 10 s its §3 recommends for graceful restart.
inline constexpr std::array<std::uint32_t, 7> kCommonIntervalsUs = {
    3'300, 10'000, 20'000, 50'000, 100'000, 1'000'000, 10'000'000};

constexpr bool is_common_interval(std::uint32_t interval_us) {
  for (auto v : kCommonIntervalsUs) {
    if (v == interval_us) {
      return true;
    }
  }
  return false;
}

// The smallest Common Interval >= interval_us ("the adjustment is always
// towards larger (i.e., slower) interval values", RFC 7419 §3); values above
// 10 s are returned unchanged. fbf's timers have microsecond resolution, so
// the session accepts any interval as negotiated; the helper is for the engine
// and config: rounding a configured interval a platform cannot honour, or
// warning that a value is not common (peers may only support common ones).
constexpr std::uint32_t round_up_to_common_interval(std::uint32_t interval_us) {
  for (auto v : kCommonIntervalsUs) {
    if (v >= interval_us) {
      return v;
    }
  }
  return interval_us;
}

}  // namespace fbf::bfd
