#pragma once
// Vocabulary of the BGP finite state machine (RFC 4271 §8): states, events,
// timers, connection directions and the reason attached to every state
// change. Names follow the RFC so the code can be held against §8.2.2 line by
// line (after OpenBGPD's bgp_fsm(peer, EVNT_*)).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fbf::bgp {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;

// RFC 4271 §8.2.2, in the order a session progresses (state() of a session
// with two connections is the more advanced one's).
enum class State : std::uint8_t { Idle, Connect, Active, OpenSent, OpenConfirm, Established };
std::string_view to_string(State);

// RFC 4271 §8.1, numbered as there. Only the ones fbf raises are listed;
// DelayOpen (12, 20), TcpConnection_Valid/Tcp_CR_Invalid (14, 15) and the
// CollisionDetectDump variants have no use in a speaker with neither option.
enum class Event : std::uint8_t {
  ManualStart = 1,
  ManualStop = 2,
  AutomaticStart = 3,
  ManualStart_with_PassiveTcpEstablishment = 4,
  AutomaticStart_with_PassiveTcpEstablishment = 5,
  AutomaticStop = 8,
  ConnectRetryTimer_Expires = 9,
  HoldTimer_Expires = 10,
  KeepaliveTimer_Expires = 11,
  IdleHoldTimer_Expires = 13,
  Tcp_CR_Acked = 16,
  TcpConnectionConfirmed = 17,
  TcpConnectionFails = 18,
  BGPOpen = 19,
  BGPHeaderErr = 21,
  BGPOpenMsgErr = 22,
  OpenCollisionDump = 23,
  NotifMsgVerErr = 24,
  NotifMsg = 25,
  KeepAliveMsg = 26,
  UpdateMsg = 27,
  UpdateMsgErr = 28,
};
std::string_view to_string(Event);

// One BGP session has at most two TCP connections at once: the one we
// initiated and the one the peer initiated (RFC 4271 §6.8). The direction is
// the connection's identity in every action and event.
enum class Direction : std::uint8_t { outbound = 0, inbound = 1 };
std::string_view to_string(Direction);
constexpr Direction other(Direction d) {
  return d == Direction::outbound ? Direction::inbound : Direction::outbound;
}

// Every timer a session may run (RFC 4271 §10). ConnectRetry and IdleHold
// belong to the session; Hold and Keepalive to each connection. An adapter
// keeps one timer per kind (kTimerKinds slots).
enum class TimerKind : std::uint8_t {
  ConnectRetry,
  IdleHold,  // §8 DampPeerOscillations: stay Idle before AutomaticStart
  HoldOutbound,
  KeepaliveOutbound,
  HoldInbound,
  KeepaliveInbound,
};
inline constexpr std::size_t kTimerKinds = 6;
std::string_view to_string(TimerKind);
constexpr TimerKind hold_timer(Direction d) {
  return d == Direction::outbound ? TimerKind::HoldOutbound : TimerKind::HoldInbound;
}
constexpr TimerKind keepalive_timer(Direction d) {
  return d == Direction::outbound ? TimerKind::KeepaliveOutbound : TimerKind::KeepaliveInbound;
}

// Why a state changed: the RFC event, the NOTIFICATION sent or received (code
// 0 when none) and a text for one log line, e.g. "hold timer expired" or
// "NOTIFICATION received Cease/Administrative Shutdown (6/2) 'maintenance'".
struct Reason {
  Event event = Event::ManualStart;
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  bool notification_sent = false;      // code/subcode went to the peer
  bool notification_received = false;  // code/subcode came from the peer
  std::string text;
};

// Seconds with one decimal ("9.8s") for reason texts.
std::string format_duration(Duration d);

}  // namespace fbf::bgp
