// OpenBSD implementation of platform/tcp.h except TCP-MD5 (tcp_md5_openbsd.cpp):
// IP_TTL / IP_MINTTL (ip(4)) and IPV6_UNICAST_HOPS / IPV6_MINHOPCOUNT (ip6(4))
// for GTSM, non-blocking connect, accept4(2). Every option used here is one
// pledge(2) "inet" allows, so reloads may open sockets after start-up.
// UNTESTED: never compiled or run (docs/openbsd.md).
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

#include "platform/openbsd/openbsd_detail.h"
#include "platform/tcp.h"

namespace fbf::platform {

namespace {

TcpError error(const std::string& what) { return {errno, what + ": " + std::strerror(errno)}; }

socklen_t fill(const IpAddress& a, std::uint16_t port, sockaddr_storage& ss) {
  return openbsd_detail::to_sockaddr(Endpoint{a, port, 0}, ss);
}

bool set_int(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

std::expected<UniqueFd, TcpError> make_socket(const TcpOptions& o) {
  const bool v4 = o.family == Family::v4;
  UniqueFd fd(::socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(error("socket"));
  // OpenBSD never maps IPv4 into IPv6 sockets; setting it states the intent.
  if (!v4 && !set_int(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1))
    return std::unexpected(error("IPV6_V6ONLY"));
  if (auto ok = set_ttl(fd.get(), o.family, o.ttl, o.min_ttl); !ok)
    return std::unexpected(ok.error());
  // BGP messages are small and latency matters more than segment count.
  set_int(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1);
  if (o.bind_address || o.bind_port) {
    if (o.bind_port && !set_int(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1))
      return std::unexpected(error("SO_REUSEADDR"));
    const IpAddress local = o.bind_address.value_or(v4 ? IpAddress() : *IpAddress::parse("::"));
    sockaddr_storage ss;
    const socklen_t len = fill(local, o.bind_port, ss);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      TcpError e = error("bind " + local.to_string() + ":" + std::to_string(o.bind_port));
      // Ports below 1024 need root on OpenBSD: there are no capabilities to keep.
      if (e.errno_value == EACCES && o.bind_port < 1024)
        e.what += " (ports below 1024 need root; after start-up fbfd runs as its user)";
      return std::unexpected(e);
    }
  }
  return fd;
}

}  // namespace

std::expected<void, TcpError> set_ttl(int fd, Family family, int ttl, int min_ttl) {
  if (family == Family::v4) {
    if (!set_int(fd, IPPROTO_IP, IP_TTL, ttl)) return std::unexpected(error("IP_TTL"));
    if (min_ttl > 0 && !set_int(fd, IPPROTO_IP, IP_MINTTL, min_ttl))
      return std::unexpected(error("IP_MINTTL"));
  } else {
    if (!set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl))
      return std::unexpected(error("IPV6_UNICAST_HOPS"));
    if (min_ttl > 0 && !set_int(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, min_ttl))
      return std::unexpected(error("IPV6_MINHOPCOUNT"));
  }
  return {};
}

std::expected<UniqueFd, TcpError> start_connect(const TcpOptions& options, const Endpoint& peer,
                                                const std::string& md5_key) {
  auto fd = make_socket(options);
  if (!fd) return std::unexpected(fd.error());
  if (!md5_key.empty()) {
    // Before connect(): the SYN must already carry the signature.
    if (auto ok = set_md5_key(fd->get(), peer.address, md5_key); !ok)
      return std::unexpected(ok.error());
  }
  sockaddr_storage ss;
  const socklen_t len = openbsd_detail::to_sockaddr(peer, ss);
  if (::connect(fd->get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS)
    return std::unexpected(error("connect " + peer.address.to_string()));
  return std::move(*fd);
}

std::expected<void, TcpError> connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return std::unexpected(error("SO_ERROR"));
  if (err != 0) return std::unexpected(TcpError{err, std::string("connect: ") + std::strerror(err)});
  return {};
}

std::expected<UniqueFd, TcpError> listen_tcp(const TcpOptions& options, int backlog) {
  auto fd = make_socket(options);
  if (!fd) return std::unexpected(fd.error());
  if (::listen(fd->get(), backlog) != 0) return std::unexpected(error("listen"));
  return std::move(*fd);
}

std::expected<std::optional<std::pair<UniqueFd, Endpoint>>, TcpError> accept_tcp(int listen_fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
      return std::nullopt;
    return std::unexpected(error("accept"));
  }
  return std::make_pair(UniqueFd(fd), openbsd_detail::from_sockaddr(reinterpret_cast<sockaddr*>(&ss)));
}

std::expected<Endpoint, TcpError> tcp_peer_endpoint(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return std::unexpected(error("getpeername"));
  return openbsd_detail::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
}

std::expected<Endpoint, TcpError> tcp_local_endpoint(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return std::unexpected(error("getsockname"));
  return openbsd_detail::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
}

}  // namespace fbf::platform
