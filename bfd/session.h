#pragma once
// One BFD session (RFC 5880) as a sans-I/O state machine: events in (packet,
// timer expiry, administrative control), actions out (bfd/actions.h). Time is
// always a parameter and randomness is injected; nothing here reads a clock,
// touches a socket or logs.
//
// Scope: Asynchronous mode, Poll Sequences, the passive role (§6.1), the
// receiving side of Demand mode (a peer's D bit stops our periodic
// transmission, §6.6), and the Echo function (§6.4, §6.8.5, §6.8.9; on_echo
// and the Echo* timers). Not implemented: local Demand mode (bfd.DemandMode
// is always 0, so we never set D and our Detection Time is always the
// Asynchronous one). Looping the peer's echoes back is the adapter's job (no
// session state is involved: RFC 5880 §6.4 has the peer's forwarding plane
// do it).

#include <cstdint>
#include <optional>
#include <span>

#include "bfd/actions.h"
#include "bfd/auth.h"
#include "bfd/counters.h"
#include "bfd/packet.h"
#include "bfd/timers.h"

namespace fbf::bfd {

// §6.1: an Active system sends from start(); a Passive one only once it has
// received a packet for the session (bfd.RemoteDiscr != 0).
enum class Role : std::uint8_t { Active, Passive };

struct SessionConfig {
  std::uint32_t local_discriminator = 0;  // bfd.LocalDiscr: nonzero, unique (the engine's job)
  Role role = Role::Active;
  // The operator's intervals, µs. While not Up the advertised Desired Min TX
  // is at least 1 s (§6.8.3); the configured value applies once Up.
  std::uint32_t desired_min_tx_interval = kSlowTxIntervalUs;
  std::uint32_t required_min_rx_interval = kSlowTxIntervalUs;
  // Echo function (§6.4). Required Min Echo RX Interval: advertised; nonzero
  // tells the peer it may send us echoes (the adapter loops them back).
  std::uint32_t required_min_echo_rx_interval = 0;
  // Our desired interval between Echo packets (no RFC variable: §6.8.9 leaves
  // transmission to the implementation); 0 = never send echoes.
  std::uint32_t desired_min_echo_tx_interval = 0;
  // §6.8.3: "When the Echo function is active, a system SHOULD set
  // bfd.RequiredMinRxInterval to a value of not less than one second": while
  // our echoes run, the advertised Required Min RX Interval is raised to at
  // least this (0 disables the slowdown; a configured 0 stays 0).
  std::uint32_t echo_control_rx_interval = kSlowTxIntervalUs;
  std::uint8_t detect_mult = 3;                      // bfd.DetectMult, nonzero
  bool control_plane_independent = false;            // the C bit
  AuthConfig auth;                                   // bfd.AuthType and its key
  // RFC 5881 §5: single hop needs TTL/Hop Limit 255 (the default). Multihop
  // (RFC 5883 §5) sets the lowest acceptable value; 0 turns the check off.
  std::uint8_t min_rx_ttl = 255;
  // Shifts the transmit grid (next_transmit_time, timers.h). The engine gives
  // all its sessions one random phase, so they share wake-ups with each other
  // but not with the kernel's scheduler tick.
  Microseconds transmit_grid_phase{0};
};

// A runtime change of the timing parameters (§6.8.10-§6.8.12).
struct TimerSettings {
  std::uint32_t desired_min_tx_interval = kSlowTxIntervalUs;
  std::uint32_t required_min_rx_interval = kSlowTxIntervalUs;
  std::uint8_t detect_mult = 3;
  // §6.8.13: echo settings change at any time, no Poll Sequence.
  std::uint32_t required_min_echo_rx_interval = 0;
  std::uint32_t desired_min_echo_tx_interval = 0;
  friend bool operator==(const TimerSettings&, const TimerSettings&) = default;
};

// What the adapter knows about a received packet beyond its decoded fields.
struct RxMeta {
  std::span<const std::uint8_t> bytes;  // the UDP payload decoded; MD5/SHA1 digest it
  std::optional<std::uint8_t> ttl;      // received TTL / Hop Limit, when the socket reports it
  // When the packet reached the host, if the adapter knows (kernel receive
  // timestamps); never after the `now` it is handled at. The Detection Time
  // runs from there (RFC 5880 §6.8.4: "without receiving a BFD Control
  // packet"): time the packet waited in the socket — a busy loop, the
  // polled receive tick — does not push the peer's deadline later.
  std::optional<TimePoint> arrived;
};

// The state variables of RFC 5880 §6.8.1, named as there.
struct StateVariables {
  State SessionState = State::Down;
  State RemoteSessionState = State::Down;
  std::uint32_t LocalDiscr = 0;
  std::uint32_t RemoteDiscr = 0;
  Diag LocalDiag = Diag::None;
  std::uint32_t DesiredMinTxInterval = kSlowTxIntervalUs;  // as advertised
  std::uint32_t RequiredMinRxInterval = kSlowTxIntervalUs;  // as advertised
  std::uint32_t RemoteMinRxInterval = 1;
  bool DemandMode = false;  // local Demand mode: not implemented, always 0
  bool RemoteDemandMode = false;
  std::uint8_t DetectMult = 3;
  bfd::AuthType AuthType = bfd::AuthType::None;
  std::uint32_t RcvAuthSeq = 0;
  std::uint32_t XmitAuthSeq = 0;  // initialized from the injected Random
  bool AuthSeqKnown = false;
};

class Session {
 public:
  // `random` must outlive the session. Config preconditions (checked by the
  // config layer): local_discriminator != 0, detect_mult != 0, intervals != 0;
  // out-of-range values are clamped to the nearest legal one.
  Session(const SessionConfig& config, Random& random);

  // Begins the session: an Active one transmits at once and arms its
  // transmit timer; a Passive one waits for the peer. Events before start()
  // are ignored (packets count as not_started drops).
  Actions start(TimePoint now);
  // A packet decode() accepted and the engine demultiplexed to this session.
  Actions on_packet(TimePoint now, const ControlPacket& packet, const RxMeta& meta);
  // An Echo packet of ours came back: decode_echo() accepted it and the
  // adapter found this session by its My Discriminator (§6.8.8). Refused
  // (counted as an echo_* RxDrop) unless echoes run and the cookie and a
  // recent sequence number prove we sent it.
  Actions on_echo(TimePoint now, const EchoPacket& packet);
  // A timer armed by an ArmTimer action expired.
  Actions on_timer(TimePoint now, TimerKind kind);
  // The loop is awake for something else, after the `early_from` of this
  // session's Transmit timer: the periodic packet leaves now if its window
  // is still open (§6.8.7: the gap from the last packet stays within it),
  // and the next one is timed from here. A call too early (a packet left
  // since, the interval changed) re-arms the hint instead; a call with no
  // periodic transmission pending, or at or after the aimed instant (the
  // timer itself is due then), does nothing.
  Actions transmit_early(TimePoint now);
  // The adapter's word that the packet this session last handed it left
  // only at `at` (sent in a batch at the end of the event, and the event was
  // held up). The next transmission is then timed from the wire, so no gap
  // between two of our packets is shorter than §6.8.7 allows. A delay of
  // less than a quarter of the transmit grid's step changes nothing.
  Actions transmission_left(TimePoint at);
  // A Passive session becomes Active (§6.1): if it has sent nothing yet it
  // transmits at once, and while not Up its packets carry a Poll from now on
  // (session.cpp, change_state). Nothing for an Active session. The agent
  // starts a BGP neighbor's session Passive and activates it once BGP is up
  // (agent/bfd_sessions.h says why).
  Actions activate(TimePoint now);
  // §6.8.16: hold the session in AdminDown; `diag` is normally
  // AdministrativelyDown (7), or PathDown (5) when the path is known failed.
  Actions admin_down(TimePoint now, Diag diag = Diag::AdministrativelyDown);
  Actions admin_up(TimePoint now);
  // §6.8.3, §6.8.10-§6.8.12: new intervals start a Poll Sequence; a slower
  // transmit interval or a faster receive interval waits for the Final.
  Actions set_timers(TimePoint now, const TimerSettings& timers);

  const StateVariables& variables() const { return bfd_; }
  const SessionCounters& counters() const { return counters_; }
  const SessionConfig& config() const { return config_; }
  const AuthConfig& auth() const { return config_.auth; }

  // Negotiated values in use now (§6.8.2, §6.8.4), microseconds.
  std::uint32_t transmit_interval_us() const;  // 0: peer wants no periodic packets
  std::uint64_t detection_time_us() const;     // 0 before the first packet
  // When the Detection Time expires unless a packet arrives first.
  std::optional<TimePoint> detection_deadline() const;
  bool poll_active() const { return poll_.active; }
  // §6.8: "the remote system has Demand mode active".
  bool remote_demand_active() const;
  // Whether periodic Control packets are being sent (§6.8.7).
  bool periodic_transmission() const;

  // Echo function: whether we are sending echoes ("the Echo function
  // active", §6.8), the interval between them (§6.8.9; 0 = no echo possible)
  // and the time without a returned echo that fails the session (§6.8.5).
  bool echo_active() const { return echo_.active; }
  std::uint32_t echo_transmit_interval_us() const;
  std::uint64_t echo_detection_time_us() const;
  std::uint32_t remote_min_echo_rx_interval_us() const { return remote_min_echo_rx_; }

 private:
  struct Poll {
    bool active = false;          // we are sending P (§6.5)
    bool awaiting_clear = false;  // §6.8.3 choice 3: a packet with F clear before the next Poll
  };

  void drop(RxDrop reason);
  void change_state(State to, Diag diag, bool remote_admin_down, Actions& out);
  void refresh_advertised();
  void start_poll();
  void terminate_poll();
  bool may_transmit() const;
  void send(TimePoint now, bool final, Actions& out);
  ControlPacket make_packet(bool final) const;
  void expire_detection(TimePoint now, Actions& out);
  void forget_remote();  // §6.8.1: no valid packet for a Detection Time
  void retime(TimePoint now, Actions& out);
  void retime_transmit(TimePoint now, Actions& out);
  void retime_detect(Actions& out);
  // The Transmit timer as armed now, with its early_from.
  ArmTimer transmit_timer() const;
  // From when the armed periodic packet may leave early (timers.h,
  // transmit_window_opening), measured from the last packet against the
  // longer of the armed and the current interval; nullopt: not early.
  std::optional<TimePoint> early_from() const;
  // The armed periodic packet leaves now (if transmission has not paused),
  // and the next one is timed.
  void transmit_periodic(TimePoint now, Actions& out);
  // Echo function (session_echo.cpp).
  bool retime_echo(TimePoint now, Actions& out);  // true when echoes started or stopped
  void stop_echo(Actions& out);
  void send_echo(TimePoint now, Actions& out);
  void arm_echo_transmit(TimePoint now, Actions& out);
  TimePoint echo_deadline(TimePoint now) const;
  Actions on_echo_timer(TimePoint now, TimerKind kind);

  SessionConfig config_;
  Random& random_;
  StateVariables bfd_;
  bool started_ = false;

  // Received fields §6.8.4 needs that §6.8.1 has no variable for.
  std::uint32_t remote_desired_min_tx_ = 0;
  std::uint8_t remote_detect_mult_ = 0;
  std::uint32_t remote_min_echo_rx_ = 0;  // §6.8.9: 0 forbids our echoes

  // §6.8.3: the intervals in effect, which lag the advertised ones while a
  // Poll Sequence runs (slower tx and faster rx wait for the Final).
  std::uint32_t desired_min_tx_in_use_ = kSlowTxIntervalUs;
  std::uint32_t required_min_rx_in_use_ = kSlowTxIntervalUs;
  Poll poll_;

  std::optional<TimePoint> tx_armed_at_;
  std::uint32_t tx_armed_interval_ = 0;
  std::optional<TimePoint> detect_armed_at_;
  bool detect_running_ = false;  // a packet arrived since the last expiry
  std::optional<TimePoint> last_rx_;
  std::optional<TimePoint> last_tx_;
  std::optional<TimePoint> gap_anchor_;
  std::optional<ControlPacket> last_sent_;  // Keyed MD5/SHA1 XmitAuthSeq policy

  struct Echo {
    bool active = false;
    std::uint64_t cookie = 0;         // random per session, proves an echo is ours
    std::uint32_t next_sequence = 0;  // random start
    std::optional<TimePoint> tx_armed_at;
    std::optional<TimePoint> detect_armed_at;
    TimePoint last_rx{};  // last accepted echo, or when echoes started
    // When the first echo sent since last_rx left (none yet: unset).
    std::optional<TimePoint> first_unanswered;
  };
  Echo echo_;
  SessionCounters counters_;
};

}  // namespace fbf::bfd
