#pragma once
// Helpers shared by the BFD unit tests: injected randomness, a fake time
// origin, packet builders, and action filters.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <variant>
#include <vector>

#include "bfd/actions.h"
#include "bfd/auth.h"
#include "bfd/packet.h"
#include "bfd/session.h"
#include "bfd/timers.h"

namespace fbf::bfd::test {

using namespace std::chrono_literals;

// Seeded PRNG: deterministic draws for statistics.
class SeededRandom : public Random {
 public:
  explicit SeededRandom(std::uint32_t seed) : engine_(seed) {}
  std::uint32_t next_u32() override { return static_cast<std::uint32_t>(engine_()); }

 private:
  std::mt19937 engine_;
};

// Always the same draw. 250000 keeps the full interval (no jitter reduction)
// when Detect Mult > 1, which makes exact timing assertions easy.
class FixedRandom : public Random {
 public:
  explicit FixedRandom(std::uint32_t value = 250'000) : value_(value) {}
  std::uint32_t next_u32() override { return value_; }

 private:
  std::uint32_t value_;
};

// The fake clock: an arbitrary origin; tests add durations to it.
inline const TimePoint kT0 = TimePoint{} + std::chrono::hours(1000);

inline constexpr std::uint32_t kOurDiscr = 0x0a0a0a0a;
inline constexpr std::uint32_t kPeerDiscr = 0x0b0b0b0b;

inline SessionConfig fast_config(Role role = Role::Active) {
  SessionConfig c;
  c.local_discriminator = kOurDiscr;
  c.role = role;
  c.desired_min_tx_interval = 100'000;
  c.required_min_rx_interval = 100'000;
  c.detect_mult = 3;
  return c;
}

// A packet as the peer would send it.
inline ControlPacket peer_packet(State state, std::uint32_t your = kOurDiscr,
                                 std::uint32_t tx_us = 100'000, std::uint32_t rx_us = 100'000,
                                 std::uint8_t mult = 3) {
  ControlPacket p;
  p.state = state;
  p.detect_mult = mult;
  p.my_discriminator = kPeerDiscr;
  p.your_discriminator = your;
  p.desired_min_tx_interval = tx_us;
  p.required_min_rx_interval = rx_us;
  return p;
}

inline ControlPacket with_final(ControlPacket p) {
  p.final = true;
  return p;
}

inline ControlPacket with_poll(ControlPacket p) {
  p.poll = true;
  return p;
}

// Puts a packet through the wire: sign, encode, decode, deliver (with the
// bytes in RxMeta, as the adapter does). TTL 255 unless given. With peer_auth
// and no section in `p`, one with sequence 0 is added.
inline Actions deliver(Session& s, TimePoint now, ControlPacket p, const AuthConfig& peer_auth = {},
                       std::optional<std::uint8_t> ttl = 255,
                       std::optional<TimePoint> arrived = std::nullopt) {
  if (peer_auth.type != AuthType::None && !p.auth) {
    p.auth = make_auth_section(peer_auth, 0);
  }
  auto wire = encode_signed(p, peer_auth);
  if (!wire) {
    ADD_FAILURE() << "encode_signed: " << to_string(wire.error());
    return {};
  }
  auto decoded = decode(wire->bytes());
  if (!decoded) {
    ADD_FAILURE() << "decode: " << to_string(decoded.error());
    return {};
  }
  return s.on_packet(now, *decoded, RxMeta{wire->bytes(), ttl, arrived});
}

template <typename T>
std::vector<T> all_of(const Actions& actions) {
  std::vector<T> found;
  for (const auto& a : actions) {
    if (const T* t = std::get_if<T>(&a)) {
      found.push_back(*t);
    }
  }
  return found;
}

template <typename T>
std::optional<T> first_of(const Actions& actions) {
  auto found = all_of<T>(actions);
  if (found.empty()) {
    return std::nullopt;
  }
  return found.front();
}

inline std::optional<TimePoint> armed(const Actions& actions, TimerKind kind) {
  for (const auto& a : all_of<ArmTimer>(actions)) {
    if (a.kind == kind) {
      return a.at;
    }
  }
  return std::nullopt;
}

// A periodic transmission armed `interval` after `from`: inside the §6.8.7
// window (75-100 %, 75-90 % with Detect Mult 1) below the lateness margin of
// timers.h. The schedule itself is random and grid-aligned, so tests check
// the window, not one instant.
inline ::testing::AssertionResult in_transmit_window(std::optional<TimePoint> at, TimePoint from,
                                                     std::chrono::microseconds interval,
                                                     int detect_mult = 3) {
  if (!at) return ::testing::AssertionFailure() << "no transmit timer armed";
  const auto i = interval.count();
  const long window_top = detect_mult == 1 ? 900'000 : 1'000'000;  // ppm of the interval
  const long top =
      window_top - (window_top - 750'000) * static_cast<long>(kLatenessMarginShare) / 100;
  const auto gap = std::chrono::duration_cast<std::chrono::microseconds>(*at - from).count();
  if (gap < i * 3 / 4 || gap > i * top / 1'000'000)
    return ::testing::AssertionFailure() << "armed " << gap << " us after, outside the window of "
                                         << i << " us";
  return ::testing::AssertionSuccess();
}

inline bool cancelled(const Actions& actions, TimerKind kind) {
  for (const auto& a : all_of<CancelTimer>(actions)) {
    if (a.kind == kind) {
      return true;
    }
  }
  return false;
}

// Drives a fresh Active session to Up with the peer at `peer_us` intervals:
// peer Down -> we go Init; peer Up -> we go Up. Returns the time of the last
// packet delivered.
inline TimePoint bring_up(Session& s, TimePoint now, std::uint32_t peer_us = 100'000,
                          const AuthConfig& peer_auth = {}) {
  s.start(now);
  deliver(s, now, peer_packet(State::Down, kOurDiscr, peer_us, peer_us), peer_auth);
  now += 1ms;
  deliver(s, now, peer_packet(State::Up, kOurDiscr, peer_us, peer_us), peer_auth);
  return now;
}

}  // namespace fbf::bfd::test
