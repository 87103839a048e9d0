// One connection's FSM (RFC 4271 §8.2.2, OpenSent onwards): lifecycle and
// sending. Receiving is in fsm_receive.cpp, timers in fsm_timers.cpp.
#include "bgp/fsm.h"

#include <algorithm>

namespace fbf::bgp {

Notification cease_notification(CeaseSubcode subcode, std::string_view message) {
  bool admin = subcode == CeaseSubcode::administrative_shutdown ||
               subcode == CeaseSubcode::administrative_reset;
  if (!admin || message.empty()) return make_cease(subcode);
  // RFC 9003 §2: at most 255 octets; cut at a character boundary (a UTF-8
  // continuation octet is 10xxxxxx).
  std::string_view text = message.substr(0, std::min(message.size(), kMaxShutdownCommunication));
  while (!text.empty() && text.size() < message.size() &&
         (static_cast<std::uint8_t>(message[text.size()]) & 0xc0) == 0x80) {
    text.remove_suffix(1);
  }
  auto n = make_shutdown_notification(subcode, text);
  return n ? *n : make_cease(subcode);
}

std::string describe_notification(const Notification& n) {
  std::string out = describe_error(n.code, n.subcode);
  if (auto comm = shutdown_communication(n); comm && !comm->text.empty()) {
    out += " '" + comm->printable() + "'";
  }
  return out;
}

Fsm::Fsm(const FsmContext& ctx, Direction direction, const ConnectionInfo& info, TimePoint now,
         Actions& out)
    : direction_(direction), info_(info), last_rx_(now), last_tx_(now), keepalive_from_(now) {
  const SessionConfig& c = ctx.config;
  OpenMessage open =
      make_open(c.local_as, c.proposed_hold_time(), c.bgp_identifier, c.capabilities());
  send(ctx, encode_open(open), MessageType::open, 1, now, out);
  // "sets the HoldTimer to a large value" (4 minutes suggested), OpenSent.
  ctx.timers.arm(hold_timer(direction_), now + c.open_hold_time, out);
}

void Fsm::confirm_open(const FsmContext& ctx, TimePoint now, Actions& out) {
  if (state_ != State::OpenSent || !peer_open_) return;
  // RFC 4271 §8.2.2 OpenSent, Event 19: KEEPALIVE, KeepaliveTimer, HoldTimer
  // per the negotiated value, OpenConfirm. "If the negotiated hold time value
  // is zero, then the HoldTimer and KeepaliveTimer are not started."
  state_ = State::OpenConfirm;
  max_length_ = negotiated_.max_message_length();
  send_keepalive(ctx, now, out);
  if (hold_time_ == 0) {
    ctx.timers.cancel(hold_timer(direction_), out);
    ctx.timers.cancel(keepalive_timer(direction_), out);
    return;
  }
  arm_keepalive(ctx, now, out);
  ctx.timers.arm(hold_timer(direction_), last_rx_ + std::chrono::seconds{hold_time_}, out);
}

void Fsm::close(const FsmContext& ctx, Event event, const std::optional<Notification>& notification,
                std::string text, Actions& out) {
  if (state_ == State::Idle) return;
  Reason reason{.event = event, .text = std::move(text)};
  if (notification) {
    // §6: the NOTIFICATION goes out before the connection is closed; the
    // adapter flushes the queue on Disconnect.
    send(ctx, encode_notification(*notification, max_length_), MessageType::notification, 1,
         last_tx_, out);
    std::string described = describe_notification(*notification);
    SessionCounters& c = ctx.counters;
    ++c.notifications_sent;
    ++c.notifications_sent_by_code[notification->code < 8 ? notification->code : 0];
    c.last_notification_sent = NotificationRecord{notification->code, notification->subcode, described};
    reason.code = notification->code;
    reason.subcode = notification->subcode;
    reason.notification_sent = true;
    reason.text += (reason.text.empty() ? "NOTIFICATION sent " : "; NOTIFICATION sent ") + described;
  }
  ctx.timers.cancel(hold_timer(direction_), out);
  ctx.timers.cancel(keepalive_timer(direction_), out);
  out.push(Disconnect{direction_});
  closed_from_ = state_;
  state_ = State::Idle;
  close_reason_ = std::move(reason);
}

void Fsm::tcp_failed(const FsmContext& ctx, Actions& out) {
  close(ctx, Event::TcpConnectionFails, std::nullopt, "TCP connection closed", out);
}

void Fsm::send_updates(const FsmContext& ctx, TimePoint now,
                       std::span<const std::vector<std::uint8_t>> messages, Actions& out) {
  if (state_ != State::Established || messages.empty()) return;
  std::size_t total = 0;
  for (const auto& m : messages) total += m.size();
  std::vector<std::uint8_t> bytes;
  bytes.reserve(total);
  for (const auto& m : messages) bytes.insert(bytes.end(), m.begin(), m.end());
  send(ctx, std::move(bytes), MessageType::update, messages.size(), now, out);
}

void Fsm::send(const FsmContext& ctx, std::vector<std::uint8_t> bytes, MessageType type,
               std::size_t count, TimePoint now, Actions& out) {
  ctx.counters.messages_out[static_cast<std::size_t>(type)] += count;
  ctx.counters.bytes_out += bytes.size();
  // §8.2.2 Established: "Each time the local system sends a KEEPALIVE or
  // UPDATE message, it restarts its KeepaliveTimer" (lazily, fsm_timers.cpp).
  if (type == MessageType::keepalive || type == MessageType::update) last_tx_ = now;
  out.push(Send{direction_, std::move(bytes)});
}

void Fsm::send_keepalive(const FsmContext& ctx, TimePoint now, Actions& out) {
  send(ctx, encode_keepalive(), MessageType::keepalive, 1, now, out);
}

SessionInfo Fsm::session_info() const {
  SessionInfo s;
  s.connection = direction_;
  s.negotiated = negotiated_;
  if (peer_open_) {
    s.peer_as = peer_as(*peer_open_);
    s.peer_bgp_identifier = peer_open_->bgp_identifier;
    s.peer_capabilities = peer_open_->capabilities;
  }
  s.hold_time = hold_time_;
  s.keepalive_time = keepalive_time();
  s.addresses = info_;
  return s;
}

}  // namespace fbf::bgp
