#pragma once
// The BFD adapter: owns the sockets and timers, feeds datagrams and timer
// expiries to the sans-I/O Engine/Session, and executes the actions they
// return. One receive socket per (family, port) — 3784 single hop (RFC 5881
// §4), 4784 multihop (RFC 5883 §4) — shared by every session; one transmit
// socket per session with a source port in 49152-65535 and TTL 255. The
// Echo function's packets (port 3785) go through EchoIo (echo_io.h).

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "bfd/engine.h"
#include "bfd/io/echo_io.h"
#include "platform/event.h"
#include "platform/udp.h"

namespace fbf::bfd::io {

inline constexpr std::uint16_t kSingleHopPort = 3784;  // RFC 5881 §4
inline constexpr std::uint16_t kMultihopPort = 4784;   // RFC 5883 §4

struct StateEvent {
  SessionId id;
  const SessionSpec& spec;
  StateChanged change;
};
using StateCallback = std::function<void(const StateEvent&)>;

struct IoCounters {
  std::uint64_t send_errors = 0;
  std::uint64_t receive_errors = 0;
};

class Service {
 public:
  // The callback runs inside the loop; it must not remove sessions itself.
  Service(event_base* base, Random& random, StateCallback on_state);
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

  const Engine& engine() const { return engine_; }
  // When the session last changed state (for uptime in show bfd).
  std::optional<std::chrono::steady_clock::time_point> since(SessionId id) const;
  std::uint16_t source_port(SessionId id) const;
  const IoCounters& io_counters() const { return io_; }
  const EchoCounters& echo_counters() const { return echo_.counters(); }

 private:
  struct Link {
    platform::UniqueFd tx;
    platform::Endpoint peer;
    std::uint16_t source_port = 0;
    std::array<std::unique_ptr<platform::Timer>, kTimerKindCount> timers;  // by TimerKind
    TimePoint since;
  };
  struct Listener {
    platform::UniqueFd fd;
    std::unique_ptr<platform::FdWatch> watch;
    bool multihop = false;
  };

  std::expected<void, std::string> ensure_listener(platform::Family family, bool multihop);
  std::expected<platform::UniqueFd, std::string> open_transmit(const SessionSpec& spec,
                                                                std::uint16_t& port);
  void on_readable(Listener& listener);
  void on_timer(SessionId id, TimerKind kind);
  void execute(SessionId id, const Actions& actions, TimePoint now);

  event_base* base_;
  Random& random_;
  StateCallback on_state_;
  Engine engine_;
  EchoIo echo_;
  std::map<SessionId, Link> links_;
  std::map<std::pair<platform::Family, bool>, Listener> listeners_;
  IoCounters io_;
};

}  // namespace fbf::bfd::io
