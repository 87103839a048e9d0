#pragma once
// The control socket: a unix stream socket carrying newline-delimited JSON
// (control_protocol.h). Many clients at once, each with bounded buffers; a
// malformed or oversized request gets an error reply and its connection is
// closed. Nothing a client sends can stop the loop.
//
// Who may do what (docs/security.md): anyone who can connect (the socket is
// 0660) may read (command_is_read_only); a command that changes the agent
// is run only for a peer that may_change_agent() admits, judged on the
// credentials the kernel recorded at connect (SO_PEERCRED), and is logged
// with the peer's uid and pid. Others get `permission_denied`, counted in
// fbf_control_denied_total.

#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/control_protocol.h"
#include "agent/metrics.h"
#include "platform/peer_credentials.h"

namespace fbf::agent {

// Pure: may `peer` run commands that change the agent? Yes for uid 0, for
// fbfd's own uid, and for a peer whose primary or supplementary groups
// include the socket file's group (`socket_gid`, nullopt when unknown).
bool may_change_agent(const platform::PeerCredentials& peer, uid_t own_uid,
                      std::optional<gid_t> socket_gid);

class ControlServer {
 public:
  static constexpr std::size_t kMaxClients = 64;
  static constexpr std::size_t kMaxPendingOutput = 4 * 1024 * 1024;

  // Creates the parent directory, replaces a stale socket file (never a live
  // socket or a non-socket file), binds with mode 0660 and listens.
  static std::expected<std::unique_ptr<ControlServer>, std::string> start(
      event_base* base, const std::filesystem::path& path, const CommandTable& commands,
      Metrics& metrics);
  ~ControlServer();  // closes clients and unlinks the socket file
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    bufferevent* bev = nullptr;
    bool closing = false;  // reply queued, close once written
    // A reply of at least platform::kLargeTransientBytes is queued: once it
    // is written (or the client is gone) the heap it used goes back.
    bool large_reply = false;
    std::optional<platform::PeerCredentials> peer;  // nullopt: the kernel did not say
  };
  ControlServer(event_base* base, evconnlistener* listener, std::filesystem::path path,
                const CommandTable& commands, Metrics& metrics);

  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* self);
  static void on_read(bufferevent* bev, void* self);
  static void on_write(bufferevent* bev, void* self);
  static void on_event(bufferevent* bev, short what, void* self);
  void handle_input(Client& client);
  std::expected<void, CommandError> authorize(const Client& client, const Request& request);
  void close_after_reply(Client& client, const std::string& reply);
  void queue_reply(Client& client, const std::string& reply);
  void drop(bufferevent* bev);

  event_base* base_;
  evconnlistener* listener_;
  std::filesystem::path path_;
  const CommandTable& commands_;
  Metrics& metrics_;
  std::map<bufferevent*, Client> clients_;
  Counter& requests_ok_;
  Counter& requests_error_;
  Counter& rejected_malformed_;
  Counter& rejected_too_long_;
  Counter& rejected_busy_;
  Counter& denied_;
};

}  // namespace fbf::agent
