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

// Where in the §6.8.7 window the next periodic transmission is aimed. The
// RFC fixes the window — each interval reduced by a random 0-25 %, to 75-90 %
// when bfd.DetectMult is 1; where inside it we aim is ours:
// - below the top by a lateness margin (kLatenessMarginShare of the window:
//   10 % of the interval, 6 % when bfd.DetectMult is 1), so a wake-up a
//   little late still lands inside the window. Measured on the 2-core VM of
//   docs/performance.md, the whole machine stalls for 3-20 ms a few times a
//   minute (neither fbfd nor its peer sends anything); a 4 % margin (2 ms at
//   50 ms) let every such stall push packets past 100 %, 10 % (5 ms)
//   absorbs most. The cost: the mean gap falls from ~87 % to ~84 % of the
//   interval, ~3.5 % more packets;
// - on a grid of `coalescing_quantum(interval)` steps (shifted by `phase`),
//   so sessions with similar intervals fall due at the same instants and one
//   wake-up serves many (the scale bench: 1000 sessions at 50 ms, ~500
//   wake-ups/s instead of ~23000). The draw is uniform over the remaining window and
//   rounded down, which never leaves it: the lowest draw is one quantum above
//   75 %. Each draw is independent, so sessions do not stay in step (the
//   self-synchronisation §6.8.7 guards against).
inline constexpr std::uint64_t kLatenessMarginShare = 40;  // % of the window (25 % or 15 %)

// The grid step for an interval: 1/20 of it, rounded down to 100, 200, 500 µs,
// 1 or 2 ms (the ceiling: 50 ms sessions share 2 ms buckets, the adapter's
// receive tick — bfd/io/service.h). 1/20 leaves 3-5 grid points in the
// window at any interval; 10 ms sessions get 500 µs (≤ 2 000 wake-ups/s for
// transmission: the 10 ms row of bench/compare, where 200 µs cost ~6 000).
std::uint64_t coalescing_quantum(std::uint64_t interval_us);

// The next transmission after `last_tx`: within [75 %, 100 %] (or [75 %,
// 90 %]) of `interval_us` after it, on the quantum grid shifted by `phase`.
TimePoint next_transmit_time(TimePoint last_tx, std::uint64_t interval_us,
                             std::uint8_t detect_mult, std::uint32_t random, Microseconds phase);

// When a periodic transmission aimed at `aimed` may leave early, because the
// loop is awake anyway (a packet arrived, another session's timer fired):
// up to kEarlyTransmitPermille of the interval before it, never before one
// quantum above 75 % after `last_tx` (the window's floor and the lowest
// point next_transmit_time() aims at; the quantum covers a packet that left
// a little after it was recorded). Each gap still lies in the §6.8.7
// window, and the random draw still decides it: the early part shifts it by
// at most 7.5 % of the interval. What it saves is a wake-up of the loop:
// with 10 sessions at 300 ms, about 60 % of the transmissions find the loop
// awake inside their 22.5 ms (docs/performance.md, "Idle wake-ups").
// Returns `aimed` when nothing is earlier than it.
inline constexpr std::uint64_t kEarlyTransmitPermille = 75;
TimePoint transmit_window_opening(TimePoint last_tx, TimePoint aimed, std::uint64_t interval_us);

// `t` rounded up to the quantum grid shifted by `phase` (t itself when on it).
TimePoint align_up(TimePoint t, std::uint64_t quantum_us, Microseconds phase);

// `t` rounded down to the quantum grid shifted by `phase` (t itself when on
// it; the epoch when no grid point lies at or before t).
TimePoint align_down(TimePoint t, std::uint64_t quantum_us, Microseconds phase);

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
