#pragma once
// Shared helpers for the BGP session tests: a fake clock and random source,
// the peer's messages (made with the codec), and readers for Actions.

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "bgp/fsm_actions.h"
#include "bgp/message.h"
#include "bgp/random.h"
#include "bgp/session.h"

namespace fbf::bgp::test {

using namespace std::chrono_literals;

inline const TimePoint kT0 = TimePoint{} + std::chrono::hours(1000);

constexpr std::uint32_t kLocalId = 0xC000026F;   // 192.0.2.111
constexpr std::uint32_t kPeerId = 0x0A000001;    // 10.0.0.1
constexpr std::uint32_t kLocalAs = 65500;
constexpr std::uint32_t kPeerAs = 64515;

// Deterministic: a scripted sequence, then a linear congruential generator.
class FakeRandom final : public Random {
 public:
  std::vector<std::uint32_t> script;
  std::uint32_t state = 12345;
  std::uint32_t next_u32() override {
    if (next_ < script.size()) return script[next_++];
    state = state * 1664525u + 1013904223u;
    return state;
  }

 private:
  std::size_t next_ = 0;
};

inline SessionConfig default_config() {
  SessionConfig c;
  c.local_as = kLocalAs;
  c.remote_as = kPeerAs;
  c.bgp_identifier = kLocalId;
  c.hold_time = 90;
  return c;
}

struct PeerSpec {
  std::uint32_t as = kPeerAs;
  std::uint32_t id = kPeerId;
  std::uint16_t hold = 90;
  std::vector<AfiSafi> families{kIpv4Unicast, kIpv6Unicast};
  bool enhanced_route_refresh = true;
  bool four_octet_as = true;
};

inline std::vector<std::uint8_t> peer_open(const PeerSpec& p = {}) {
  Capabilities caps;
  caps.multiprotocol = p.families;
  caps.route_refresh = true;
  caps.enhanced_route_refresh = p.enhanced_route_refresh;
  OpenMessage open = make_open(p.as, p.hold, p.id, caps);
  if (!p.four_octet_as) open.capabilities.four_octet_as.reset();
  return encode_open(open);
}

// ---- reading Actions ----

template <typename T>
std::vector<T> all(const Actions& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (auto* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}

template <typename T>
std::size_t count(const Actions& actions) {
  return all<T>(actions).size();
}

// Every message the actions send on `d`, split at message boundaries.
inline std::vector<std::vector<std::uint8_t>> sent(const Actions& actions, Direction d) {
  std::vector<std::vector<std::uint8_t>> out;
  for (const Send& s : all<Send>(actions)) {
    if (s.connection != d) continue;
    Bytes rest(s.bytes);
    while (!rest.empty()) {
      auto h = peek_header(rest, kMaxExtendedMessageLength);
      if (!h || !*h || (*h)->length > rest.size()) {
        ADD_FAILURE() << "Send does not hold whole messages";
        return out;
      }
      out.emplace_back(rest.begin(), rest.begin() + (*h)->length);
      rest = rest.subspan((*h)->length);
    }
  }
  return out;
}

inline std::vector<MessageType> sent_types(const Actions& actions, Direction d) {
  std::vector<MessageType> out;
  for (const auto& m : sent(actions, d)) out.push_back(static_cast<MessageType>(m[18]));
  return out;
}

inline std::optional<Notification> sent_notification(const Actions& actions, Direction d) {
  for (const auto& m : sent(actions, d)) {
    if (static_cast<MessageType>(m[18]) != MessageType::notification) continue;
    auto n = decode_notification(m);
    if (n) return *n;
  }
  return std::nullopt;
}

inline std::optional<TimePoint> armed(const Actions& actions, TimerKind kind) {
  std::optional<TimePoint> at;
  for (const ArmTimer& t : all<ArmTimer>(actions)) {
    if (t.kind == kind) at = t.at;
  }
  return at;
}

inline bool cancelled(const Actions& actions, TimerKind kind) {
  for (const CancelTimer& t : all<CancelTimer>(actions)) {
    if (t.kind == kind) return true;
  }
  return false;
}

inline std::vector<std::pair<State, State>> transitions(const Actions& actions) {
  std::vector<std::pair<State, State>> out;
  for (const StateChanged& s : all<StateChanged>(actions)) out.emplace_back(s.from, s.to);
  return out;
}

inline bool disconnected(const Actions& actions, Direction d) {
  for (const Disconnect& x : all<Disconnect>(actions)) {
    if (x.connection == d) return true;
  }
  return false;
}

// Durations between two time points, for jitter bounds.
inline Duration since(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<Duration>(to - from);
}

// A session with a fake clock. Every call stores its Actions in `last`.
struct Harness {
  explicit Harness(SessionConfig c = default_config()) : config(std::move(c)), session(config, random) {}

  SessionConfig config;
  FakeRandom random;
  Session session;
  TimePoint now = kT0;
  Actions last;

  const Actions& start() { return last = session.start(now); }
  const Actions& connected(Direction d = Direction::outbound) {
    return last = session.on_connected(now, d, ConnectionInfo{});
  }
  const Actions& bytes(Direction d, const std::vector<std::uint8_t>& b) {
    return last = session.on_bytes(now, d, b);
  }
  const Actions& timer(TimerKind k) { return last = session.on_timer(now, k); }
  void advance(Duration d) { now += d; }
  void advance_to(TimePoint t) { now = t; }

  // Start (active), connect `d`, exchange OPEN and KEEPALIVE.
  void establish(Direction d = Direction::outbound, const PeerSpec& peer = {}) {
    if (!session.started()) start();
    connected(d);
    bytes(d, peer_open(peer));
    bytes(d, encode_keepalive());
    ASSERT_EQ(session.state(), State::Established);
  }
};

}  // namespace fbf::bgp::test
