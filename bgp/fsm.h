#pragma once
// One BGP connection's state machine (RFC 4271 §8.2.2 from the moment TCP is
// up: OpenSent, OpenConfirm, Established, then Idle when closed). A
// bgp::Session (session.h) owns up to two of them — the connection we
// initiated and the one the peer initiated — and runs the per-neighbor part
// of §8: Idle/Connect/Active, the ConnectRetryTimer, damping and collision
// detection (§6.8). Adapters and the agent talk to the Session only.
//
// Receive path: bytes go in as the socket delivers them. Whole messages are
// handled in place; only a message split across reads is copied (once).
// UPDATEs are walked with summarize_update() — never decoded into values —
// and only counted. Nothing here reads a clock, touches a socket or logs.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bgp/capabilities.h"
#include "bgp/errors.h"
#include "bgp/fsm_actions.h"
#include "bgp/fsm_timers.h"
#include "bgp/fsm_types.h"
#include "bgp/message.h"
#include "bgp/random.h"
#include "bgp/session_config.h"
#include "bgp/session_counters.h"
#include "bgp/update_check.h"

namespace fbf::bgp {

// What the session lends a connection for one call (passed per call, so a
// Session may be moved freely).
struct FsmContext {
  const SessionConfig& config;
  Random& random;
  SessionCounters& counters;
  TimerSet& timers;
};

// Cease with `subcode`; for Administrative Shutdown/Reset with a non-empty
// `message`, the RFC 9003 Shutdown Communication (cut to 255 octets at a
// UTF-8 boundary; dropped if it is not UTF-8).
Notification cease_notification(CeaseSubcode subcode, std::string_view message = {});

// "Cease/Administrative Shutdown (6/2) 'planned maintenance'".
std::string describe_notification(const Notification& n);

class Fsm {
 public:
  // What receive() stopped for; the session acts, then feeds the rest.
  enum class Step : std::uint8_t {
    more,           // every byte consumed; nothing for the session to do
    open_received,  // a valid OPEN (Event 19): resolve collisions, then confirm_open()
    established,    // KEEPALIVE in OpenConfirm (Event 26): now Established
    closed,         // the connection is closed; see close_reason()
  };
  struct Progress {
    std::size_t consumed = 0;
    Step step = Step::more;
  };

  // TCP is up (Tcp_CR_Acked / TcpConnectionConfirmed, DelayOpen FALSE,
  // RFC 4271 §8.2.2 Connect and Active): send OPEN, set the HoldTimer to the
  // large value, OpenSent.
  Fsm(const FsmContext& ctx, Direction direction, const ConnectionInfo& info, TimePoint now,
      Actions& out);

  Progress receive(const FsmContext& ctx, TimePoint now, Bytes bytes, Actions& out);
  // After Step::open_received, when this connection survives collision
  // detection (§8.2.2 OpenSent, Event 19): KEEPALIVE, timers, OpenConfirm.
  void confirm_open(const FsmContext& ctx, TimePoint now, Actions& out);
  // This connection's Hold or Keepalive timer; true when it closed it.
  bool on_timer(const FsmContext& ctx, TimePoint now, TimerKind kind, Actions& out);
  // Send `notification` (if any), stop this connection's timers, Disconnect.
  void close(const FsmContext& ctx, Event event, const std::optional<Notification>& notification,
             std::string text, Actions& out);
  // TcpConnectionFails (Event 18): the socket is gone; nothing to send.
  void tcp_failed(const FsmContext& ctx, Actions& out);
  // UPDATEs from the Adj-RIB-Out, in one Send (Established only). Sending
  // restarts the KeepaliveTimer (§8.2.2 Established).
  void send_updates(const FsmContext& ctx, TimePoint now,
                    std::span<const std::vector<std::uint8_t>> messages, Actions& out);

  State state() const { return state_; }
  Direction direction() const { return direction_; }
  // The state before close(); Idle while open.
  State closed_from() const { return closed_from_; }
  const Reason& close_reason() const { return close_reason_; }
  const std::optional<OpenMessage>& peer_open() const { return peer_open_; }
  const Negotiated& negotiated() const { return negotiated_; }
  std::uint16_t hold_time() const { return hold_time_; }  // negotiated, from open_received
  Duration keepalive_time() const;
  std::optional<TimePoint> established_at() const { return established_at_; }
  SessionInfo session_info() const;

 private:
  Step process(const FsmContext& ctx, TimePoint now, Bytes message, Actions& out);
  Step on_open(const FsmContext& ctx, const OpenMessage& open, Actions& out);
  Step on_update(const FsmContext& ctx, Bytes message, Actions& out);
  Step on_notification(const FsmContext& ctx, const Notification& n, Actions& out);
  Step on_route_refresh(const FsmContext& ctx, const RouteRefresh& rr, Actions& out);
  void count_update(const FsmContext& ctx, const UpdateSummary& s, Actions& out);
  Step error(const FsmContext& ctx, Event event, const Error& e, Actions& out);
  Step unexpected(const FsmContext& ctx, MessageType type, Actions& out);
  void send(const FsmContext& ctx, std::vector<std::uint8_t> bytes, MessageType type,
            std::size_t count, TimePoint now, Actions& out);
  void send_keepalive(const FsmContext& ctx, TimePoint now, Actions& out);
  void arm_keepalive(const FsmContext& ctx, TimePoint from, Actions& out);

  Direction direction_;
  ConnectionInfo info_;
  State state_ = State::OpenSent;
  State closed_from_ = State::Idle;
  Reason close_reason_;

  std::optional<OpenMessage> peer_open_;
  Negotiated negotiated_;
  std::uint16_t hold_time_ = 0;
  std::size_t max_length_ = kMaxMessageLength;  // RFC 8654 raises it once negotiated
  bool v4_disabled_ = false;
  bool v6_disabled_ = false;

  TimePoint last_rx_{};         // last whole message (lazy HoldTimer restart)
  TimePoint last_tx_{};         // last KEEPALIVE or UPDATE sent
  TimePoint keepalive_from_{};  // last_tx_ when the KeepaliveTimer was armed
  std::optional<TimePoint> established_at_;

  // A message split across reads; partial_want_ is its length once the
  // header is complete (0 before).
  std::vector<std::uint8_t> partial_;
  std::size_t partial_want_ = 0;
  // ROUTE-REFRESH requests already reported in this receive() call.
  bool refresh_v4_ = false;
  bool refresh_v6_ = false;
};

}  // namespace fbf::bgp
