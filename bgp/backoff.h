#pragma once
// Reconnect pacing for a BGP session, as pure values and functions (time and
// randomness are inputs):
//  - ConnectRetryTimer (RFC 4271 §8, §10): exponential backoff from the
//    configured connect_retry up to a maximum, with jitter;
//  - peer oscillation damping (RFC 4271 §8 DampPeerOscillations, left to the
//    implementation by §8.2.2 Idle): after repeated session drops, stay Idle
//    for a growing IdleHoldTime before the next AutomaticStart.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "bgp/fsm_types.h"

namespace fbf::bgp {

struct BackoffConfig {
  Duration initial{5'000};  // CONFIG.md connect_retry ("first retry")
  Duration max{60'000};     // "backs off exponentially with jitter up to 60s"
};

// initial * 2^retries, at most max.
Duration connect_retry_base(const BackoffConfig& config, std::uint32_t retries);
// The base with ±25 % jitter (one draw of Random::next_u32()), never above
// max. RFC 4271 §10 suggests 0.75..1.0; the upper quarter spreads reconnects
// of many speakers further apart, and the cap keeps "up to 60s" true.
Duration connect_retry_delay(const BackoffConfig& config, std::uint32_t retries,
                             std::uint32_t random);
// RFC 4271 §10 default jitter: the base times a factor uniform in 0.75..1.0
// (KeepaliveTimer).
Duration rfc4271_jitter(Duration base, std::uint32_t random);

struct DampingConfig {
  std::uint32_t threshold = 3;             // drops of an Established session ...
  Duration window{300'000};                // ... within this long trigger damping
  Duration initial_idle_hold{30'000};      // first IdleHoldTime
  Duration max_idle_hold{300'000};         // doubling stops here
};

// DampPeerOscillations state of one session.
class Damping {
 public:
  explicit Damping(const DampingConfig& config);

  // An Established session went down after `uptime`. A session that stayed
  // up for a whole window proves the peer stable: the history and the
  // IdleHoldTime start over.
  void record_drop(TimePoint now, Duration uptime);
  // The peer's operator reset an Established session after `uptime`
  // (is_administrative_reset, RFC 4486 §4): not an oscillation, so not a
  // drop; a session up for a whole window still proves the peer stable.
  void record_administrative_reset(Duration uptime);
  // The session goes Idle after a failure: how long to hold it there
  // (nullopt: restart now). Each damping doubles the next IdleHoldTime and
  // clears the drop history.
  std::optional<Duration> idle_hold(TimePoint now);
  // ManualStart/ManualStop: the operator intervened.
  void reset();

  std::size_t recent_drops(TimePoint now) const;
  Duration next_idle_hold() const { return idle_hold_; }
  std::uint64_t dampings() const { return dampings_; }

 private:
  DampingConfig config_;
  std::vector<TimePoint> drops_;  // the last `threshold` drops, oldest first
  Duration idle_hold_;
  std::uint64_t dampings_ = 0;

  void forget_if_stable(Duration uptime);
};

}  // namespace fbf::bgp
