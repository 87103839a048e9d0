#pragma once
// What a Session asks its adapter to do. Each event returns a small
// fixed-capacity list (no heap per packet); the adapter executes the actions
// in order.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "bfd/echo.h"
#include "bfd/packet.h"
#include "bfd/timers.h"

namespace fbf::bfd {

enum class TimerKind : std::uint8_t {
  Transmit,  // next periodic Control packet (§6.8.7)
  Detect,    // Detection Time (§6.8.4)
  EchoTransmit,  // next Echo packet (§6.8.9)
  EchoDetect,    // echo failure detection (§6.8.5)
};
inline constexpr std::size_t kTimerKindCount = 4;
std::string_view to_string(TimerKind);

// Send this packet now. The adapter serializes and signs it with
// encode_signed(packet, session.auth()) (auth.h).
struct Transmit {
  ControlPacket packet;
};

// (Re)arm the one timer of this kind at `at`, replacing any earlier arming.
// Deliver the expiry as Session::on_timer(now, kind); a stale or early expiry
// is ignored (or re-armed) by the session, so the adapter needs no care.
// Send this Echo packet (§6.8.9) towards the peer for it to loop back: the
// adapter wraps encode_echo(packet) in UDP to port 3785, addressed to our own
// address and handed to the peer's link-layer address (RFC 5881 §4).
struct TransmitEcho {
  EchoPacket packet;
};

struct ArmTimer {
  TimerKind kind;
  TimePoint at;
  // Transmit only: from this instant the packet may leave early, in a
  // wake-up the loop has anyway — deliver Session::transmit_early(now) then
  // (timers.h, transmit_window_opening). Without it, or if the loop does not
  // wake, the timer fires at `at` as usual.
  std::optional<TimePoint> early_from{};
};

struct CancelTimer {
  TimerKind kind;
};

// bfd.SessionState changed. `remote_admin_down`: Down because the peer
// signalled AdminDown — not a path failure (RFC 5882 §3.2, §4.2).
struct StateChanged {
  State from;
  State to;
  Diag diag;  // bfd.LocalDiag after the change
  bool remote_admin_down = false;

  // RFC 5882 §4.2: clients act on Up -> Down unless AdminDown caused it (ours
  // is Up -> AdminDown, the peer's is flagged by remote_admin_down).
  bool is_failure() const { return from == State::Up && to == State::Down && !remote_admin_down; }
};

using Action = std::variant<Transmit, TransmitEcho, ArmTimer, CancelTimer, StateChanged>;

class Actions {
 public:
  // The most any one event produces is seven (state change, transmit, two
  // timers, an echo and its two timers when entering Up); the spare room is a
  // margin, overflow() flags a bug.
  static constexpr std::size_t kCapacity = 10;

  void push(const Action& action) {
    if (size_ == kCapacity) {
      overflow_ = true;
      return;
    }
    items_[size_++] = action;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool overflow() const { return overflow_; }
  const Action& operator[](std::size_t i) const { return items_[i]; }
  const Action* begin() const { return items_.data(); }
  const Action* end() const { return items_.data() + size_; }

 private:
  std::array<Action, kCapacity> items_{};
  std::size_t size_ = 0;
  bool overflow_ = false;
};

}  // namespace fbf::bfd
