#pragma once
// The BGP adapter for one neighbor: TCP sockets (through platform/tcp.h:
// source binding, TCP-MD5, TTL/GTSM), bufferevents for bounded buffered I/O,
// the Session's six timers, and execution of the Session's actions. Actions
// meant for the agent (state changes, established, down, route refresh) are
// passed to the agent's callback.

#include <event2/bufferevent.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bgp/session.h"
#include "platform/event.h"
#include "platform/tcp.h"

namespace fbf::bgp::io {

inline constexpr std::uint16_t kBgpPort = 179;
// A session whose peer stops reading is torn down rather than buffering
// without bound (our own announcements are small; this only trips on a stuck peer).
inline constexpr std::size_t kMaxPendingOutput = 8 * 1024 * 1024;
// Input is read up to this much at a time and fed to the session at once
// (on_read drains it all), so it is also the input buffer's bound.
inline constexpr std::size_t kMaxSingleRead = 64 * 1024;

struct Transport {
  platform::IpAddress address;
  std::optional<platform::IpAddress> local_address;
  std::string password;                // TCP-MD5 (RFC 2385); empty = none
  std::optional<std::uint8_t> multihop;  // eBGP multihop TTL
  bool ttl_security = false;           // GTSM (RFC 5082)
  bool ibgp = false;
  std::uint16_t port = kBgpPort;

  // RFC 5082 §3: with GTSM send 255 and require 255 - (hops - 1).
  int send_ttl() const;
  int min_ttl() const;
};

class Neighbor {
 public:
  using AgentCallback = std::function<void(const Action&)>;

  Neighbor(event_base* base, SessionConfig config, Transport transport, Random& random,
           AgentCallback on_agent_action);
  ~Neighbor();
  Neighbor(const Neighbor&) = delete;
  Neighbor& operator=(const Neighbor&) = delete;

  void start();
  void stop(CeaseSubcode subcode, std::string_view message);
  void reset(CeaseSubcode subcode, std::string_view message);
  // Session::peer_alive: the peer is up, connect now if waiting to retry.
  void peer_alive(std::string_view why);
  void send_updates(std::span<const std::vector<std::uint8_t>> messages);
  // An inbound connection the listener matched to this neighbor.
  void adopt(platform::UniqueFd fd);

  const Session& session() const { return session_; }
  const Transport& transport() const { return transport_; }
  bool has_connections() const;
  const std::string& last_socket_error() const { return last_socket_error_; }

 private:
  struct Connection {
    bufferevent* bev = nullptr;
    bool closing = false;  // flush, then free
  };

  void execute(const Actions& actions);
  void connect();
  void on_connect_ready();
  void attach(Direction d, platform::UniqueFd fd);
  void on_read(Direction d);
  void on_event(Direction d, short what);
  void on_drained(Direction d);
  void free_connection(Direction d);
  static ConnectionInfo info_of(int fd);

  event_base* base_;
  Transport transport_;
  Session session_;
  AgentCallback on_agent_action_;
  std::array<std::unique_ptr<platform::Timer>, 6> timers_;
  std::array<Connection, 2> connections_;
  // What bufferevent callbacks get: which neighbor, which connection.
  struct CallbackArg {
    Neighbor* self;
    Direction direction;
  };
  std::array<CallbackArg, 2> callback_args_;
  platform::UniqueFd connecting_fd_;
  std::unique_ptr<platform::FdWatch> connecting_watch_;
  std::string last_socket_error_;
};

}  // namespace fbf::bgp::io
