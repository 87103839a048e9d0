#pragma once
// The BFD adapter: owns the sockets and timers, feeds datagrams and timer
// expiries to the sans-I/O Engine/Session, and executes the actions they
// return. One receive socket per (family, port) — 3784 single hop (RFC 5881
// §4), 4784 multihop (RFC 5883 §4) — shared by every session; one transmit
// socket per session with a source port in 49152-65535 and TTL 255, which
// holds the port and picks the route and source address. Transmitting:
// where raw sockets could be opened (root or CAP_NET_RAW at start), the
// packets an event produces are built with their IP and UDP headers (the
// session's own source port) and leave together in one sendmmsg
// (platform/raw_ip.h) when the event ends; otherwise, or for a session
// without a route at start, one send on the session's socket each. The
// Echo function's packets (port 3785) go through EchoIo (echo_io.h).
//
// Timers: every session timer lives in one TimerWheel (bfd/timer_wheel.h)
// behind one platform::DeadlineTimer, armed for the wheel's earliest
// deadline and moved only when that moves; equal deadlines (the transmit
// grid) share a wake-up. Receiving: each wake-up reads a whole batch (recvmmsg).
// Under heavy receive load (above kPollOnRate datagrams/s) the listeners
// stop waking the loop per datagram and are read on a 2 ms tick instead —
// always before any timer of that tick fires, so a Detection Time never
// expires while the packet that refreshes it waits in the socket. The
// listeners ask for kernel receive timestamps: a session's Detection Time
// runs from when its packet reached the host, not from when the loop read
// it (RxMeta::arrived).

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bfd/engine.h"
#include "bfd/timer_wheel.h"
#include "bfd/io/echo_io.h"
#include "platform/deadline_timer.h"
#include "platform/event.h"
#include "platform/raw_ip.h"
#include "platform/udp.h"

namespace fbf::bfd::io {

inline constexpr std::uint16_t kSingleHopPort = 3784;  // RFC 5881 §4
inline constexpr std::uint16_t kMultihopPort = 4784;   // RFC 5883 §4
// Received datagrams per second above which the listeners are polled on a
// 1 ms tick, and below which they wake the loop again (hysteresis).
inline constexpr std::uint64_t kPollOnRate = 2000;
inline constexpr std::uint64_t kPollOffRate = 1000;

struct StateEvent {
  SessionId id;
  const SessionSpec& spec;
  StateChanged change;
};
using StateCallback = std::function<void(const StateEvent&)>;

// How late a wake-up of the timer wheel ran after the time it was armed
// for, counted at these thresholds: the process was not scheduled (CPU
// contention, a virtualised host) or the loop was busy elsewhere. Every
// session due then transmits late by as much; past the lateness margin of
// timers.h (10 % of the interval: 5 ms at 50 ms, 1 ms at 10 ms) its packet
// leaves outside the RFC 5880 §6.8.7 window.
inline constexpr std::array<std::chrono::microseconds, 3> kLateWakeupThresholds = {
    std::chrono::milliseconds(1), std::chrono::milliseconds(5), std::chrono::milliseconds(25)};

struct IoCounters {
  std::uint64_t send_errors = 0;
  std::uint64_t send_calls = 0;     // system calls that sent Control packets
  std::uint64_t batched_send_calls = 0;  // of which sendmmsg on the raw sockets
  std::uint64_t receive_errors = 0;
  std::uint64_t wakeups = 0;        // timer wake-ups of the wheel
  // Periodic packets sent early, in a wake-up the loop had anyway
  // (Session::transmit_early): each one a wake-up saved.
  std::uint64_t early_transmissions = 0;
  std::uint64_t receive_calls = 0;  // batched reads (each one system call)
  // Periodic packets sent by keep_up(), from inside a long task of the agent
  // (each one a packet that would otherwise have left late).
  std::uint64_t kept_up_transmissions = 0;
  bool polled = false;              // listeners read on the tick, not per datagram
  // Wake-ups at least kLateWakeupThresholds[i] late, and the latest one.
  std::array<std::uint64_t, kLateWakeupThresholds.size()> late_wakeups{};
  std::chrono::microseconds worst_lateness{0};
};
using LateWakeupCallback = std::function<void(std::chrono::microseconds lateness)>;

enum class TransmitPath { batched, per_session };

class Service {
 public:
  // The callback runs inside the loop; it must not remove sessions itself.
  // State changes are reported when their event ends, after its packets
  // have left: the peer learns of a Down (RFC 5880 §6.8.6: it follows us
  // there) before the agent's reaction — log lines, route withdrawals — runs,
  // and when many sessions fail in one wake-up no Down packet waits for the
  // other sessions' reactions.
  // `path` batched: raw sockets if they open (else per-session, see
  // transmit_path()); per_session: never raw.
  Service(event_base* base, Random& random, StateCallback on_state,
          TransmitPath path = TransmitPath::batched);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Creates and starts a session: opens its sockets (a bind failure is an
  // error value naming the address) and sends its first packet.
  std::expected<SessionId, std::string> add(const SessionSpec& spec);
  // New intervals at runtime: a Poll Sequence (RFC 5880 §6.8.3).
  void set_timers(SessionId id, const TimerSettings& timers);
  // Signals AdminDown (diag 7) to the peer, then forgets the session.
  void remove(SessionId id);
  // Every session to AdminDown with diag 7, sent now (graceful stop).
  void admin_down_all();
  // One session to AdminDown (diag 7) or back to Down to come up again
  // (RFC 5880 §6.8.16), e.g. while maintenance holds its BGP session closed.
  void set_admin_down(SessionId id, bool down);
  // Session::activate(): a Passive session becomes Active.
  void activate(SessionId id);
  // Binds a single-hop session to the interface its packets must arrive on
  // (RFC 5881 §3), in place; see Engine::set_ifindex.
  bool set_ifindex(SessionId id, std::uint32_t ifindex) { return engine_.set_ifindex(id, ifindex); }

  const Engine& engine() const { return engine_; }
  // When the session last changed state (for uptime in show bfd).
  std::optional<std::chrono::steady_clock::time_point> since(SessionId id) const;
  std::uint16_t source_port(SessionId id) const;
  const IoCounters& io_counters() const { return io_; }
  // How Control packets leave, and why not batched when they do not.
  TransmitPath transmit_path() const { return raw_ ? TransmitPath::batched : TransmitPath::per_session; }
  const std::string& per_session_reason() const { return per_session_reason_; }
  // Whether this session's packets go through the batch (false: its own socket).
  bool batched(SessionId id) const;
  const EchoCounters& echo_counters() const { return echo_.counters(); }
  // System calls that moved the wheel's wake-up (DeadlineTimer::rearms).
  std::uint64_t wakeup_rearms() const { return wakeup_.rearms(); }
  // Sends the periodic packets that have fallen due while the agent runs one
  // long task on the loop — `show bfd` or a metrics scrape over thousands of
  // sessions takes tens of milliseconds, and a peer that sees no packet for
  // that long plus a transmit interval, then a burst of a thousand, drops
  // some and declares sessions Down. Cheap when nothing is due (one look at
  // the wheel): call it once per item of such a task. Only Transmit timers
  // run here. A Detection Time waits for the next wake-up, which reads the
  // listeners before checking it (on_timer), and nothing changes state
  // inside the caller's task.
  void keep_up();
  // Called (inside the loop) for each wake-up that ran at least the last of
  // kLateWakeupThresholds late: the agent logs it.
  void on_late_wakeup(LateWakeupCallback callback) { on_late_wakeup_ = std::move(callback); }

 private:
  struct Link {
    SessionId id = 0;
    platform::UniqueFd tx;
    bool connected = false;  // tx is connect()ed to peer: send_connected()
    platform::Endpoint peer;
    // Set when packets go through raw_: tx's address and port (fixed by
    // connect), and the interface tx is bound to (0: the route decides).
    std::optional<platform::Endpoint> raw_source;
    std::uint32_t raw_ifindex = 0;
    std::uint16_t source_port = 0;
    std::array<WheelTimer, kTimerKindCount> timers;  // by TimerKind; cookie = &link
    WheelTimer transmit_early;  // in early_: the Transmit timer's early_from
    TimePoint since;
    Session* session = nullptr;  // the engine's, stable while the link exists
    bool echo = false;           // Echo configured: EchoIo learns its path
  };
  struct Listener {
    platform::UniqueFd fd;
    std::unique_ptr<platform::FdWatch> watch;
    bool multihop = false;
    TimePoint empty_at;  // when a read last found the socket empty
  };

  // The link a wheel timer belongs to (its cookie), and which of its timers it is.
  static Link& link_of(const WheelTimer& timer);
  static TimerKind kind_of(const Link& link, const WheelTimer& timer);
  std::expected<void, std::string> ensure_listener(platform::Family family, bool multihop);
  std::expected<platform::UniqueFd, std::string> open_transmit(const SessionSpec& spec,
                                                                std::uint16_t& port);
  void on_readable(Listener& listener);
  // Reads and delivers queued datagrams: a few batches, or until none is left.
  void drain(Listener& listener, TimePoint now, bool to_empty);
  void on_wakeup(TimePoint due);
  // Every listener read until empty, once per wake-up (drained_this_wakeup_).
  void drain_all(TimePoint now);
  void count_lateness(std::chrono::microseconds lateness);
  void on_timer(WheelTimer& timer, TimePoint now);
  // At the end of a wake-up: the periodic packets whose early_from has come
  // leave now, so their own timers need not wake the loop (off in polled
  // mode, where the tick and the transmit grid already share wake-ups).
  void transmit_early(TimePoint now);
  void execute(SessionId id, Link& link, const Actions& actions, TimePoint now);
  // Queues (batched path) or sends one Control packet; false if it failed.
  bool transmit(Link& link, std::span<const std::uint8_t> payload, TimePoint now);
  bool queue_framed(const Link& link, std::span<const std::uint8_t> payload);
  bool send_through_socket(const Link& link, std::span<const std::uint8_t> payload);
  // Sends what is queued (one system call per family); a session whose
  // packet waited tells its session when it really left
  // (Session::transmission_left).
  void send_queued();
  // The end of every event: send_queued(), report_state_changes(), then the
  // wake-up is re-armed.
  void finish_event(TimePoint now);
  // Hands the event's state changes to on_state_, in the order they happened.
  void report_state_changes();
  void schedule_wakeup(TimePoint now);
  void update_receive_mode(TimePoint now);
  void execute(SessionId id, const Actions& actions, TimePoint now);
  // An event from outside the loop (admin state, activation) on one session:
  // run it now and send what it produced.
  void control(SessionId id, const std::function<Actions(Session&, TimePoint)>& event);

  event_base* base_;
  Random& random_;
  StateCallback on_state_;
  LateWakeupCallback on_late_wakeup_;
  Engine engine_;
  EchoIo echo_;
  std::unordered_map<SessionId, Link> links_;  // node-based: the wheel holds pointers into it
  std::unique_ptr<platform::RawIpSender> raw_;  // null: per-session sends
  std::string per_session_reason_;
  struct Queued {
    Link* link;
    TimePoint at;  // when the session sent it
  };
  // The batched path's packets of this event, in order. The first one waits
  // here unframed (first_payload_): when it stays alone it leaves through
  // its session's connected socket — the same one system call, without the
  // raw socket's route lookup per packet. A second packet frames it into
  // raw_ (first_framed_) and they leave together.
  std::vector<Queued> queued_;
  std::array<std::uint8_t, kMaxPacketLength> first_payload_{};
  std::size_t first_size_ = 0;
  bool first_framed_ = false;
  struct PendingChange {
    SessionId id;
    StateChanged change;
  };
  std::vector<PendingChange> state_changes_;  // this event's, not yet reported
  bool reporting_ = false;
  bool drained_this_wakeup_ = false;
  std::map<std::pair<platform::Family, bool>, Listener> listeners_;
  platform::DatagramBatch batch_;
  TimerWheel wheel_;
  // The Transmit timers' early_from, by session. Never waited for: read at
  // the end of wake-ups that happen anyway (transmit_early).
  TimerWheel early_;
  platform::DeadlineTimer wakeup_;
  // Receive-rate estimate for the polled mode: datagrams since window_start_.
  std::uint64_t window_datagrams_ = 0;
  TimePoint window_start_;
  IoCounters io_;
};

}  // namespace fbf::bfd::io
