// Linux implementation of platform/udp.h: IP_RECVTTL / IPV6_RECVHOPLIMIT for
// the GTSM-style TTL check (RFC 5881 §5), IP_PKTINFO / IPV6_RECVPKTINFO for
// the destination address and arrival interface used in demultiplexing.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "platform/linux/sockaddr.h"
#include "platform/udp.h"

namespace fbf::platform {

using linux_detail::from_sockaddr;
using linux_detail::to_sockaddr;

namespace {

UdpError error(const std::string& what) { return {errno, what + ": " + std::strerror(errno)}; }

bool set_int(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

}  // namespace

std::uint32_t interface_index(const std::string& name) { return if_nametoindex(name.c_str()); }

std::expected<UniqueFd, UdpError> open_udp(const UdpOptions& o) {
  const bool v4 = o.family == Family::v4;
  UniqueFd fd(::socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(error("socket"));
  const int s = fd.get();
  if (!v4 && !set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) return std::unexpected(error("IPV6_V6ONLY"));
  if (o.reuse_address && !set_int(s, SOL_SOCKET, SO_REUSEADDR, 1))
    return std::unexpected(error("SO_REUSEADDR"));
  if (!o.interface.empty() &&
      ::setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, o.interface.c_str(),
                   static_cast<socklen_t>(o.interface.size())) != 0)
    return std::unexpected(error("bind to interface " + o.interface));
  if (v4) {
    if (!set_int(s, IPPROTO_IP, IP_TTL, o.send_ttl)) return std::unexpected(error("IP_TTL"));
    if (o.receive_metadata && (!set_int(s, IPPROTO_IP, IP_RECVTTL, 1) ||
                               !set_int(s, IPPROTO_IP, IP_PKTINFO, 1)))
      return std::unexpected(error("IP_RECVTTL/IP_PKTINFO"));
  } else {
    if (!set_int(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, o.send_ttl))
      return std::unexpected(error("IPV6_UNICAST_HOPS"));
    if (o.receive_metadata && (!set_int(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) ||
                               !set_int(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)))
      return std::unexpected(error("IPV6_RECVHOPLIMIT/IPV6_RECVPKTINFO"));
  }
  Endpoint local;
  local.address = o.bind_address.value_or(v4 ? IpAddress() : *IpAddress::parse("::"));
  local.port = o.port;
  if (local.address.family() != o.family)
    return std::unexpected(UdpError{EINVAL, "bind address family does not match the socket"});
  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(local, ss);
  if (::bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return std::unexpected(error("bind " + local.address.to_string() + ":" +
                                 std::to_string(local.port)));
  return fd;
}

std::expected<std::optional<Datagram>, UdpError> receive_datagram(
    int fd, std::span<std::uint8_t> buffer) {
  sockaddr_storage from;
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) std::uint8_t control[256];
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
    return std::unexpected(error("recvmsg"));
  }
  Datagram d;
  // A truncated datagram is reported at its truncated size; the codec then
  // sees a length field larger than the payload and drops it.
  d.payload = buffer.first(static_cast<std::size_t>(n));
  d.source = from_sockaddr(from);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      int ttl;
      std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      d.ttl = ttl;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      d.interface_index = static_cast<std::uint32_t>(pi.ipi_ifindex);
      d.destination =
          IpAddress::from_bytes(std::span(reinterpret_cast<const std::uint8_t*>(&pi.ipi_addr), 4));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      int hops;
      std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
      d.ttl = hops;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      d.interface_index = pi.ipi6_ifindex;
      d.destination = IpAddress::from_bytes(
          std::span(reinterpret_cast<const std::uint8_t*>(&pi.ipi6_addr), 16));
    }
  }
  return d;
}

std::expected<void, UdpError> send_datagram(int fd, std::span<const std::uint8_t> payload,
                                            const Endpoint& to) {
  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(to, ss);
  const ssize_t n = ::sendto(fd, payload.data(), payload.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&ss), len);
  if (n < 0) return std::unexpected(error("sendto " + to.address.to_string()));
  return {};
}

std::expected<Endpoint, UdpError> local_endpoint(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return std::unexpected(error("getsockname"));
  return from_sockaddr(ss);
}

}  // namespace fbf::platform
