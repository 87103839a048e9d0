#include "bgp/fsm_types.h"

namespace fbf::bgp {

std::string_view to_string(State s) {
  switch (s) {
    case State::Idle: return "Idle";
    case State::Connect: return "Connect";
    case State::Active: return "Active";
    case State::OpenSent: return "OpenSent";
    case State::OpenConfirm: return "OpenConfirm";
    case State::Established: return "Established";
  }
  return "unknown";
}

std::string_view to_string(Event e) {
  switch (e) {
    case Event::ManualStart: return "ManualStart";
    case Event::ManualStop: return "ManualStop";
    case Event::AutomaticStart: return "AutomaticStart";
    case Event::ManualStart_with_PassiveTcpEstablishment:
      return "ManualStart_with_PassiveTcpEstablishment";
    case Event::AutomaticStart_with_PassiveTcpEstablishment:
      return "AutomaticStart_with_PassiveTcpEstablishment";
    case Event::AutomaticStop: return "AutomaticStop";
    case Event::ConnectRetryTimer_Expires: return "ConnectRetryTimer_Expires";
    case Event::HoldTimer_Expires: return "HoldTimer_Expires";
    case Event::KeepaliveTimer_Expires: return "KeepaliveTimer_Expires";
    case Event::IdleHoldTimer_Expires: return "IdleHoldTimer_Expires";
    case Event::Tcp_CR_Acked: return "Tcp_CR_Acked";
    case Event::TcpConnectionConfirmed: return "TcpConnectionConfirmed";
    case Event::TcpConnectionFails: return "TcpConnectionFails";
    case Event::BGPOpen: return "BGPOpen";
    case Event::BGPHeaderErr: return "BGPHeaderErr";
    case Event::BGPOpenMsgErr: return "BGPOpenMsgErr";
    case Event::OpenCollisionDump: return "OpenCollisionDump";
    case Event::NotifMsgVerErr: return "NotifMsgVerErr";
    case Event::NotifMsg: return "NotifMsg";
    case Event::KeepAliveMsg: return "KeepAliveMsg";
    case Event::UpdateMsg: return "UpdateMsg";
    case Event::UpdateMsgErr: return "UpdateMsgErr";
  }
  return "unknown";
}

std::string_view to_string(Direction d) {
  return d == Direction::outbound ? "outbound" : "inbound";
}

std::string_view to_string(TimerKind k) {
  switch (k) {
    case TimerKind::ConnectRetry: return "ConnectRetryTimer";
    case TimerKind::IdleHold: return "IdleHoldTimer";
    case TimerKind::HoldOutbound: return "HoldTimer(outbound)";
    case TimerKind::KeepaliveOutbound: return "KeepaliveTimer(outbound)";
    case TimerKind::HoldInbound: return "HoldTimer(inbound)";
    case TimerKind::KeepaliveInbound: return "KeepaliveTimer(inbound)";
  }
  return "unknown";
}

std::string format_duration(Duration d) {
  auto tenths = (d.count() + 50) / 100;
  return std::to_string(tenths / 10) + '.' + std::to_string(tenths % 10) + 's';
}

}  // namespace fbf::bgp
