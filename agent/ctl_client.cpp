#include "agent/ctl_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "platform/unique_fd.h"

namespace fbf::agent {

namespace {

ClientError unreachable(const std::string& path, const std::string& why) {
  return {ClientError::Kind::unreachable, "cannot reach fbfd at " + path + ": " + why};
}

}  // namespace

std::expected<Reply, ClientError> call_agent(const std::string& socket_path,
                                             const Request& request,
                                             std::chrono::milliseconds timeout) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof sun.sun_path)
    return std::unexpected(unreachable(socket_path, "socket path too long"));
  std::memcpy(sun.sun_path, socket_path.c_str(), socket_path.size() + 1);

  platform::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(unreachable(socket_path, std::strerror(errno)));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) != 0)
    return std::unexpected(unreachable(socket_path, std::strerror(errno)));

  const std::string line = encode_request(request);
  for (std::size_t sent = 0; sent < line.size();) {
    const ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(unreachable(socket_path, std::strerror(errno)));
    sent += static_cast<std::size_t>(n);
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string reply;
  char buf[8192];
  while (reply.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::unexpected(unreachable(socket_path, "no reply within " +
                                                          std::to_string(timeout.count()) + " ms"));
    pollfd pfd{fd.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // loop re-checks the deadline
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(unreachable(socket_path, std::strerror(errno)));
    if (n == 0) return std::unexpected(unreachable(socket_path, "connection closed before a reply"));
    reply.append(buf, static_cast<std::size_t>(n));
  }
  reply.resize(reply.find('\n'));
  auto parsed = parse_reply(reply);
  if (!parsed) return std::unexpected(ClientError{ClientError::Kind::protocol, parsed.error()});
  return *parsed;
}

}  // namespace fbf::agent
