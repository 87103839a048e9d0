#pragma once
// Per-session counters, a plain struct the engine reads for metrics. Packets
// refused by decode() never reach a session: the engine counts those by
// DecodeError before demultiplexing.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "bfd/timers.h"

namespace fbf::bfd {

// Session-dependent reasons a decoded packet is discarded (§6.8.6 after the
// session lookup, RFC 5881 §5). to_string() forms are metric labels.
enum class RxDrop : std::uint8_t {
  your_discriminator_mismatch,  // nonzero Your Discriminator that is not bfd.LocalDiscr
  bad_ttl,                      // RFC 5881 §5 / RFC 5883 §5: TTL/Hop Limit below the minimum
  auth_unexpected,              // A bit set, bfd.AuthType is zero
  auth_missing,                 // A bit clear, bfd.AuthType is nonzero
  auth_type_mismatch,           // §6.7: the rest mirror AuthError
  auth_key_id_mismatch,
  auth_bad_length,
  auth_bad_sequence,
  auth_digest_mismatch,
  admin_down,                   // §6.8.6 "If bfd.SessionState is AdminDown: Discard"
  not_started,                  // before Session::start()
  // Echo packets (§6.8.8) carrying our magic and a discriminator of ours:
  echo_inactive,                // the session is not sending echoes (a late one)
  echo_foreign,                 // wrong cookie: not an echo this session sent
  echo_stale,                   // sequence outside the recent window (a replay)
};
inline constexpr std::size_t kRxDropCount = 14;
std::string_view to_string(RxDrop);
inline constexpr bool is_auth_drop(RxDrop d) {
  return d >= RxDrop::auth_unexpected && d <= RxDrop::auth_digest_mismatch;
}

struct SessionCounters {
  std::uint64_t packets_in = 0;   // accepted (counted for the Detection Time)
  std::uint64_t packets_out = 0;  // Transmit actions issued
  std::array<std::uint64_t, kRxDropCount> drops{};  // indexed by RxDrop
  std::uint64_t auth_failures = 0;                  // every auth_* drop
  std::uint64_t flaps = 0;                          // transitions out of Up
  std::uint64_t detection_expiries = 0;             // Init/Up -> Down by §6.8.4
  std::uint64_t polls_started = 0;                  // §6.5 Poll Sequences we began
  std::uint64_t finals_received = 0;                // ... and saw terminated
  // Last Detection Time expiry: time from the last accepted packet to the
  // expiry, and how late the expiry came relative to last rx + Detection Time
  // (the timer's own latency).
  std::optional<Microseconds> last_detection_latency;
  std::optional<Microseconds> last_detection_overshoot;
  // Largest gap between two of our transmissions while periodic transmission
  // was running (jitter and timer latency included; pauses for demand mode,
  // the passive role or AdminDown are not gaps).
  Microseconds max_tx_gap{0};

  // Echo function (§6.4): our echoes sent and accepted back, failures
  // declared (§6.8.5, diag 2), and the round trip of the last / slowest echo.
  std::uint64_t echo_out = 0;
  std::uint64_t echo_in = 0;
  std::uint64_t echo_failures = 0;
  std::optional<Microseconds> last_echo_rtt;
  Microseconds max_echo_rtt{0};

  std::uint64_t drop_count(RxDrop reason) const { return drops[static_cast<std::size_t>(reason)]; }
};

}  // namespace fbf::bfd
