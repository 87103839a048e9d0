#include "agent/control_server.h"

#include <event2/buffer.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "platform/heap.h"
#include "platform/unique_fd.h"

namespace fbf::agent {

namespace {

using platform::UniqueFd;

std::string errno_text(int err) { return std::strerror(err); }

std::expected<sockaddr_un, std::string> unix_address(const std::filesystem::path& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof sun.sun_path)
    return std::unexpected("path longer than " + std::to_string(sizeof sun.sun_path - 1) +
                           " bytes");
  std::memcpy(sun.sun_path, p.c_str(), p.size() + 1);
  return sun;
}

// A socket file left by a crashed fbfd is removed; one a running fbfd still
// answers on, or a file that is not a socket, is left alone and reported.
std::expected<void, std::string> clear_stale(const std::filesystem::path& path,
                                             const sockaddr_un& sun) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return std::unexpected(errno_text(errno));
  }
  if (!S_ISSOCK(st.st_mode)) return std::unexpected("exists and is not a socket; not replacing it");
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return std::unexpected(errno_text(errno));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) == 0)
    return std::unexpected("another fbfd is answering on it");
  if (errno != ECONNREFUSED && errno != ENOENT) return std::unexpected(errno_text(errno));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return std::unexpected(errno_text(errno));
  spdlog::info("control: removed stale socket {}", path.string());
  return {};
}

std::string uid_text(const std::optional<platform::PeerCredentials>& peer) {
  return peer ? std::to_string(peer->uid) : std::string("unknown");
}

std::string pid_text(const std::optional<platform::PeerCredentials>& peer) {
  return peer && peer->pid > 0 ? std::to_string(peer->pid) : std::string("unknown");
}

}  // namespace

bool may_change_agent(const platform::PeerCredentials& peer, uid_t own_uid,
                      std::optional<gid_t> socket_gid) {
  if (peer.uid == 0 || peer.uid == own_uid) return true;
  if (!socket_gid) return false;
  return peer.gid == *socket_gid ||
         std::find(peer.groups.begin(), peer.groups.end(), *socket_gid) != peer.groups.end();
}

std::expected<std::unique_ptr<ControlServer>, std::string> ControlServer::start(
    event_base* base, const std::filesystem::path& path, const CommandTable& commands,
    Metrics& metrics) {
  auto fail = [&](const std::string& why) {
    return std::unexpected("control socket " + path.string() + ": " + why);
  };
  auto sun = unix_address(path);
  if (!sun) return fail(sun.error());
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return fail("cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  if (auto cleared = clear_stale(path, *sun); !cleared) return fail(cleared.error());

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return fail(errno_text(errno));
  // Bind under a umask that yields 0660 directly: no window in which other
  // users could connect before a chmod.
  const mode_t old_mask = ::umask(0117);
  const int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*sun), sizeof *sun);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (rc != 0) return fail(errno_text(bind_errno));
  if (::listen(fd.get(), 64) != 0) return fail(errno_text(errno));

  evconnlistener* listener = evconnlistener_new(base, &ControlServer::on_accept, nullptr,
                                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
                                                -1, fd.get());
  if (listener == nullptr) return fail("cannot watch the socket");
  fd.release();  // the listener owns it now
  auto server = std::unique_ptr<ControlServer>(
      new ControlServer(base, listener, path, commands, metrics));
  evconnlistener_set_cb(listener, &ControlServer::on_accept, server.get());
  return server;
}

ControlServer::ControlServer(event_base* base, evconnlistener* listener,
                             std::filesystem::path path, const CommandTable& commands,
                             Metrics& metrics)
    : base_(base),
      listener_(listener),
      path_(std::move(path)),
      commands_(commands),
      metrics_(metrics),
      requests_ok_(metrics.counter("fbf_control_requests_total",
                                   "Control socket requests answered, by result",
                                   {{"result", "ok"}})),
      requests_error_(metrics.counter("fbf_control_requests_total",
                                      "Control socket requests answered, by result",
                                      {{"result", "error"}})),
      rejected_malformed_(metrics.counter("fbf_control_rejected_total",
                                          "Control connections closed for bad input, by reason",
                                          {{"reason", "malformed"}})),
      rejected_too_long_(metrics.counter("fbf_control_rejected_total",
                                         "Control connections closed for bad input, by reason",
                                         {{"reason", "too_long"}})),
      rejected_busy_(metrics.counter("fbf_control_rejected_total",
                                     "Control connections closed for bad input, by reason",
                                     {{"reason", "busy"}})),
      denied_(metrics.counter("fbf_control_denied_total",
                              "Control requests refused: the peer may not change the agent",
                              {})) {
  metrics_.gauge_fn("fbf_control_clients", "Control socket clients connected now", {},
                    [this] { return static_cast<double>(clients_.size()); });
}

ControlServer::~ControlServer() {
  metrics_.remove("fbf_control_clients", {});
  for (auto& [bev, client] : clients_) bufferevent_free(bev);
  evconnlistener_free(listener_);
  ::unlink(path_.c_str());
}

void ControlServer::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* self_ptr) {
  auto* self = static_cast<ControlServer*>(self_ptr);
  evutil_make_socket_nonblocking(fd);
  bufferevent* bev = bufferevent_socket_new(self->base_, fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    ::close(fd);
    return;
  }
  auto& client = self->clients_[bev];
  client.bev = bev;
  if (auto peer = platform::peer_credentials(fd)) {
    client.peer = std::move(*peer);
  } else {
    // Such a client may still read; anything that changes the agent is refused.
    spdlog::warn("control: cannot tell who connected ({})", peer.error());
  }
  bufferevent_setcb(bev, &ControlServer::on_read, &ControlServer::on_write,
                    &ControlServer::on_event, self);
  if (self->clients_.size() > kMaxClients) {
    self->rejected_busy_.inc();
    self->close_after_reply(client, encode_reply_error(nullptr, {std::string(error_code::busy),
                                                                 "too many control clients", {}}));
    return;
  }
  // Stop reading a client whose request has outgrown the limit: the read
  // callback then sees a full buffer without a newline and rejects it.
  bufferevent_setwatermark(bev, EV_READ, 0, kMaxRequestBytes + 1);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void ControlServer::on_read(bufferevent* bev, void* self_ptr) {
  auto* self = static_cast<ControlServer*>(self_ptr);
  auto it = self->clients_.find(bev);
  if (it != self->clients_.end()) self->handle_input(it->second);
}

void ControlServer::handle_input(Client& client) {
  evbuffer* in = bufferevent_get_input(client.bev);
  while (!client.closing) {
    std::size_t len = 0;
    char* line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
    if (line == nullptr) break;
    std::string_view text(line, len);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t") == std::string_view::npos) {
      std::free(line);
      continue;  // blank lines are ignored
    }
    auto result = dispatch(commands_, text, [this, &client](const Request& request) {
      return authorize(client, request);
    });
    std::free(line);
    if (result.close_connection) {
      rejected_malformed_.inc();
      spdlog::warn("control: closing a client after a malformed request");
      close_after_reply(client, result.reply);
      return;
    }
    (result.ok ? requests_ok_ : requests_error_).inc();
    bufferevent* bev = client.bev;
    if (evbuffer_get_length(bufferevent_get_output(bev)) > kMaxPendingOutput) {
      // A client that sends requests but never reads the replies.
      drop(bev);
      return;
    }
    queue_reply(client, result.reply);
  }
  if (!client.closing && evbuffer_get_length(in) > kMaxRequestBytes) {
    rejected_too_long_.inc();
    spdlog::warn("control: closing a client whose request exceeds {} bytes", kMaxRequestBytes);
    close_after_reply(client, encode_reply_error(nullptr, {std::string(error_code::too_long),
                                                           "request longer than " +
                                                               std::to_string(kMaxRequestBytes) +
                                                               " bytes",
                                                           {}}));
  }
}

std::expected<void, CommandError> ControlServer::authorize(const Client& client,
                                                           const Request& request) {
  if (command_is_read_only(request.command)) return {};
  std::optional<gid_t> socket_gid;
  // The socket file's group as it is now: fbfd hands the socket to [agent]
  // user after start (privileges.cpp), and an operator may chgrp it.
  if (struct stat st; ::lstat(path_.c_str(), &st) == 0) socket_gid = st.st_gid;
  const uid_t own_uid = ::geteuid();
  if (client.peer && may_change_agent(*client.peer, own_uid, socket_gid)) {
    spdlog::info("control: '{}' from uid {} pid {}", request.command, client.peer->uid,
                 pid_text(client.peer));
    return {};
  }
  denied_.inc();
  spdlog::warn("control: denied '{}' to uid {} pid {} (not root, not uid {}, not in group {})",
               request.command, uid_text(client.peer), pid_text(client.peer), own_uid,
               socket_gid ? std::to_string(*socket_gid) : std::string("unknown"));
  return std::unexpected(CommandError{
      std::string(error_code::permission_denied),
      "permission denied: uid " + uid_text(client.peer) + " may not run '" + request.command +
          "' (it needs uid 0, uid " + std::to_string(own_uid) + " or group " +
          (socket_gid ? std::to_string(*socket_gid) : std::string("of the socket")) + ")",
      {}});
}

void ControlServer::close_after_reply(Client& client, const std::string& reply) {
  client.closing = true;
  bufferevent_disable(client.bev, EV_READ);
  queue_reply(client, reply);
  bufferevent_enable(client.bev, EV_WRITE);
}

void ControlServer::queue_reply(Client& client, const std::string& reply) {
  bufferevent_write(client.bev, reply.data(), reply.size());
  // The document behind a reply this large (`show bfd` with 1000 sessions)
  // is freed by now; its text goes when written (platform/heap.h).
  if (reply.size() >= platform::kLargeTransientBytes) client.large_reply = true;
}

// Called when the client's output has been written out in full.
void ControlServer::on_write(bufferevent* bev, void* self_ptr) {
  auto* self = static_cast<ControlServer*>(self_ptr);
  auto it = self->clients_.find(bev);
  if (it == self->clients_.end()) return;
  if (it->second.large_reply) {
    it->second.large_reply = false;
    platform::release_free_heap();
  }
  if (it->second.closing) self->drop(bev);
}

void ControlServer::on_event(bufferevent* bev, short, void* self_ptr) {
  // EOF, error or timeout: the client is gone.
  static_cast<ControlServer*>(self_ptr)->drop(bev);
}

void ControlServer::drop(bufferevent* bev) {
  auto it = clients_.find(bev);
  const bool large_reply = it != clients_.end() && it->second.large_reply;
  if (it != clients_.end()) clients_.erase(it);
  bufferevent_free(bev);  // with whatever of a reply the client never read
  if (large_reply) platform::release_free_heap();
}

}  // namespace fbf::agent
