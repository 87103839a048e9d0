#pragma once
// One BGP session per neighbor (RFC 4271 §8) as a sans-I/O state machine:
// events in, actions out (fsm_actions.h). The session runs the
// per-neighbor part of the FSM — Idle, Connect, Active, the
// ConnectRetryTimer with backoff and jitter, peer oscillation damping
// (IdleHoldTimer), the passive mode — and owns up to two connections (bgp::Fsm,
// one per Direction), resolving their collision by BGP Identifier (§6.8).
//
// Adapter contract (bgp/io): one socket per Direction at most.
//   Connect            -> connect; then on_connected(now, outbound, addrs)
//                         or on_connect_failed(now)
//   inbound accept     -> if accepts(inbound): on_connected(now, inbound, addrs)
//                         else close it (or hand it over and obey Refuse)
//   readable           -> on_bytes(now, dir, bytes) with whatever was read
//   peer closed/error  -> on_closed(now, dir)
//   ArmTimer/Cancel    -> one timer per TimerKind; expiry -> on_timer(now, kind)
//   Send/Disconnect    -> queue bytes / flush the queue, then close
// The agent reacts to StateChanged (log), SessionEstablished/SessionDown
// (AdjRibOut::session_up/down) and RouteRefreshRequested, and hands UPDATEs to
// send_updates().

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bgp/backoff.h"
#include "bgp/fsm.h"
#include "bgp/fsm_actions.h"
#include "bgp/fsm_timers.h"
#include "bgp/random.h"
#include "bgp/session_config.h"
#include "bgp/session_counters.h"

namespace fbf::bgp {

class Session {
 public:
  // `random` must outlive the session.
  Session(SessionConfig config, Random& random);

  // ---- administrative events (RFC 4271 §8.1.2) ----

  // ManualStart (Event 1), or ManualStart_with_PassiveTcpEstablishment
  // (Event 4) when passive. Ignored unless stopped.
  Actions start(TimePoint now);
  // ManualStop (Event 2): NOTIFICATION Cease `subcode` (with the RFC 9003
  // `message` for Administrative Shutdown/Reset) on every connection, close,
  // Idle; stays Idle until start().
  Actions stop(TimePoint now, CeaseSubcode subcode = CeaseSubcode::administrative_shutdown,
               std::string_view message = {});
  // AutomaticStop (Event 8): the same NOTIFICATION and close, then reconnect
  // with backoff — e.g. subcode bfd_down (RFC 9384) when BFD goes Down, or
  // administrative_reset / other_configuration_change. Nothing happens while
  // no connection is open (the session is already retrying).
  Actions reset(TimePoint now, CeaseSubcode subcode, std::string_view message = {});
  // The peer showed it is up by other means than BGP (its BFD packets,
  // agent/bfd_sessions.h) while the session waits in Active for its next
  // connect: connect now, the backoff from the start. At most once per
  // connect_retry.initial; nothing in Idle (stopped or damped: §8.2.2) or
  // while a connection is open or being opened, nor when passive. `why`
  // starts the logged reason.
  Actions peer_alive(TimePoint now, std::string_view why);

  // ---- TCP events (RFC 4271 §8.1.4) ----

  // Whether on_connected(now, direction) would take a new connection.
  bool accepts(Direction direction) const;
  // Tcp_CR_Acked (outbound) / TcpConnectionConfirmed (inbound): sends OPEN.
  Actions on_connected(TimePoint now, Direction direction, const ConnectionInfo& info = {});
  // TcpConnectionFails for the outbound connect attempt.
  Actions on_connect_failed(TimePoint now);
  // TcpConnectionFails on an open connection (peer closed it, socket error).
  Actions on_closed(TimePoint now, Direction direction);
  // Bytes read from a connection, any amount (message boundaries need not
  // line up with calls).
  Actions on_bytes(TimePoint now, Direction direction, Bytes bytes);

  // ---- timers (RFC 4271 §8.1.3) ----
  Actions on_timer(TimePoint now, TimerKind kind);

  // UPDATE messages (e.g. from AdjRibOut) sent in one Send on the
  // Established connection; nothing when not Established.
  Actions send_updates(TimePoint now, std::span<const std::vector<std::uint8_t>> messages);

  // ---- queries ----
  State state() const;
  bool started() const { return started_; }
  const SessionConfig& config() const { return config_; }
  const SessionCounters& counters() const { return counters_; }
  // Set while Established.
  const std::optional<SessionInfo>& established() const { return established_; }
  // RFC 4271 ConnectRetryCounter; it is also the backoff exponent.
  std::uint32_t connect_retry_counter() const { return retries_; }
  const Damping& damping() const { return damping_; }
  std::optional<TimePoint> timer_deadline(TimerKind kind) const { return timers_.deadline(kind); }
  // The connection of that direction, if open (for `show`).
  const Fsm* connection(Direction d) const;

 private:
  FsmContext context() { return FsmContext{config_, random_, counters_, timers_}; }
  std::optional<Fsm>& slot(Direction d) { return connections_[static_cast<std::size_t>(d)]; }
  bool any_connection() const;
  void report(Reason reason, Actions& out);

  void connect(TimePoint now, Actions& out);
  void automatic_start(TimePoint now, Actions& out);
  void abort_connecting(Actions& out);
  std::optional<Duration> close_connections(TimePoint now, Event event, const Notification& cease,
                                            const char* text, Reason& reason, Actions& out);
  void after_step(TimePoint now, Direction d, Fsm::Step step, Actions& out);
  void open_received(TimePoint now, Direction d, Actions& out);
  void now_established(TimePoint now, Direction d, Actions& out);
  void connection_closed(TimePoint now, Direction d, Actions& out);
  void go_idle(TimePoint now, Reason reason, std::optional<Duration> dropped_after, Actions& out);
  // The peer's operator reset the session (is_administrative_reset): it asks
  // for the session back, so neither damping nor a longer backoff.
  static bool reset_by_peer(const Reason& reason);

  SessionConfig config_;
  Random& random_;
  SessionCounters counters_;
  TimerSet timers_;
  Damping damping_;

  bool started_ = false;    // between start() and stop()
  State base_ = State::Idle;  // Idle, Connect or Active: the state without connections
  bool connecting_ = false;   // an outbound connect attempt is under way
  std::uint32_t retries_ = 0;
  std::optional<TimePoint> alive_connect_;  // the last connect peer_alive() made
  State reported_ = State::Idle;
  std::array<std::optional<Fsm>, 2> connections_;
  std::optional<SessionInfo> established_;
};

}  // namespace fbf::bgp
