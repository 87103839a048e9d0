#pragma once
// Which of a session's timers are armed, and when. Arming and cancelling
// emit the adapter's ArmTimer/CancelTimer actions (cancel only when armed, so
// tests see no noise); expire() sorts real expiries from stale or early ones.

#include <array>
#include <optional>

#include "bgp/fsm_actions.h"
#include "bgp/fsm_types.h"

namespace fbf::bgp {

class TimerSet {
 public:
  void arm(TimerKind kind, TimePoint at, Actions& out) {
    at_[index(kind)] = at;
    out.push(ArmTimer{kind, at});
  }
  void cancel(TimerKind kind, Actions& out) {
    if (!at_[index(kind)]) return;
    at_[index(kind)].reset();
    out.push(CancelTimer{kind});
  }
  bool armed(TimerKind kind) const { return at_[index(kind)].has_value(); }
  std::optional<TimePoint> deadline(TimerKind kind) const { return at_[index(kind)]; }
  // The adapter delivered an expiry: true (and disarmed) when this timer is
  // armed and due; false for a cancelled one (stale) or an early delivery.
  // Event loops arm against a cached clock and may deliver slightly early;
  // an early delivery is re-armed, never dropped, or the timer would be lost
  // (no more KEEPALIVEs, no more connect retries).
  bool expire(TimerKind kind, TimePoint now, Actions& out) {
    auto& at = at_[index(kind)];
    if (!at) return false;
    if (now < *at) {
      out.push(ArmTimer{kind, *at});
      return false;
    }
    at.reset();
    return true;
  }

 private:
  static std::size_t index(TimerKind k) { return static_cast<std::size_t>(k); }
  std::array<std::optional<TimePoint>, kTimerKinds> at_{};
};

}  // namespace fbf::bgp
