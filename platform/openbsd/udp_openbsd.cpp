// OpenBSD implementation of platform/udp.h (ip(4), ip6(4)). Differences from
// platform/linux/udp_linux.cpp:
//   - IPv4 metadata: IP_RECVTTL (a one-octet TTL), IP_RECVDSTADDR (struct
//     in_addr) and IP_RECVIF (struct sockaddr_dl) instead of IP_PKTINFO;
//     IPv6 is the same RFC 3542 API (IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO).
//   - No SO_BINDTODEVICE: `interface` is checked to exist but the socket is
//     not bound to it; single-hop sessions still learn the arrival interface
//     from IP_RECVIF / IPV6_PKTINFO, and IPv6 link-local peers are reached
//     through the endpoint's scope_id.
//   - pledge(2) allows IP_RECVDSTADDR but not IP_RECVTTL or IP_RECVIF after
//     start-up: an IPv4 socket with metadata opened then would kill fbfd, so
//     it is refused with an error instead (restart fbfd to add one).
// UNTESTED: never compiled or run (docs/openbsd.md).
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <net/if.h>
#include <net/if_dl.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

#include "platform/openbsd/openbsd_detail.h"
#include "platform/udp.h"

namespace fbf::platform {

using openbsd_detail::from_sockaddr;
using openbsd_detail::to_sockaddr;

namespace {

UdpError error(const std::string& what) { return {errno, what + ": " + std::strerror(errno)}; }

bool set_int(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

}  // namespace

std::uint32_t interface_index(const std::string& name) { return if_nametoindex(name.c_str()); }

std::expected<UniqueFd, UdpError> open_udp(const UdpOptions& o) {
  const bool v4 = o.family == Family::v4;
  if (v4 && o.receive_metadata && openbsd_detail::confined())
    return std::unexpected(UdpError{
        EPERM, "IPv4 receive socket: IP_RECVTTL and IP_RECVIF are not allowed under pledge(2) "
               "after start-up; restart fbfd to open it"});
  if (!o.interface.empty() && if_nametoindex(o.interface.c_str()) == 0)
    return std::unexpected(UdpError{ENXIO, "interface " + o.interface + ": no such interface"});
  UniqueFd fd(::socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(error("socket"));
  const int s = fd.get();
  if (!v4 && !set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) return std::unexpected(error("IPV6_V6ONLY"));
  if (o.reuse_address && !set_int(s, SOL_SOCKET, SO_REUSEADDR, 1))
    return std::unexpected(error("SO_REUSEADDR"));
  if (v4) {
    if (!set_int(s, IPPROTO_IP, IP_TTL, o.send_ttl)) return std::unexpected(error("IP_TTL"));
    if (o.traffic_class != 0 && !set_int(s, IPPROTO_IP, IP_TOS, o.traffic_class))
      return std::unexpected(error("IP_TOS"));
    if (o.receive_metadata && (!set_int(s, IPPROTO_IP, IP_RECVTTL, 1) ||
                               !set_int(s, IPPROTO_IP, IP_RECVDSTADDR, 1) ||
                               !set_int(s, IPPROTO_IP, IP_RECVIF, 1)))
      return std::unexpected(error("IP_RECVTTL/IP_RECVDSTADDR/IP_RECVIF"));
  } else {
    if (!set_int(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, o.send_ttl))
      return std::unexpected(error("IPV6_UNICAST_HOPS"));
    if (o.traffic_class != 0 && !set_int(s, IPPROTO_IPV6, IPV6_TCLASS, o.traffic_class))
      return std::unexpected(error("IPV6_TCLASS"));
    if (o.receive_metadata && (!set_int(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) ||
                               !set_int(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)))
      return std::unexpected(error("IPV6_RECVHOPLIMIT/IPV6_RECVPKTINFO"));
  }
  if (o.receive_buffer > 0) set_int(s, SOL_SOCKET, SO_RCVBUF, o.receive_buffer);  // best effort
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
  d.source = from_sockaddr(reinterpret_cast<const sockaddr*>(&from));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    const std::size_t data_len = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVTTL && data_len >= 1) {
      std::uint8_t ttl;  // ip(4): one octet, unlike Linux's int
      std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      d.ttl = ttl;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVDSTADDR &&
               data_len >= sizeof(in_addr)) {
      d.destination = IpAddress::from_bytes(std::span(CMSG_DATA(c), 4));
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVIF &&
               data_len >= offsetof(sockaddr_dl, sdl_index) + sizeof(u_short)) {
      sockaddr_dl sdl;
      std::memset(&sdl, 0, sizeof sdl);
      std::memcpy(&sdl, CMSG_DATA(c), data_len < sizeof sdl ? data_len : sizeof sdl);
      d.interface_index = sdl.sdl_index;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT &&
               data_len >= sizeof(int)) {
      int hops;
      std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
      d.ttl = hops;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               data_len >= sizeof(in6_pktinfo)) {
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

std::expected<void, UdpError> connect_udp(int fd, const Endpoint& to) {
  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(to, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return std::unexpected(error("connect " + to.address.to_string()));
  return {};
}

std::expected<void, UdpError> send_connected(int fd, std::span<const std::uint8_t> payload) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::send(fd, payload.data(), payload.size(), MSG_DONTWAIT) >= 0) return {};
    if (errno != ECONNREFUSED) break;
  }
  return std::unexpected(error("send"));
}

std::expected<Endpoint, UdpError> local_endpoint(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return std::unexpected(error("getsockname"));
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&ss));
}

// No recvmmsg before OpenBSD 7.2: one recvmsg per datagram, the same
// contract (capacity at most, fewer means drained).
struct DatagramBatch::Storage {
  std::vector<std::uint8_t> buffers;
  std::vector<Datagram> datagrams;
  std::size_t buffer_size;
};

DatagramBatch::DatagramBatch(std::size_t capacity, std::size_t buffer_size)
    : capacity_(capacity), storage_(std::make_unique<Storage>()) {
  storage_->buffer_size = buffer_size;
  storage_->buffers.resize(capacity * buffer_size);
  storage_->datagrams.resize(capacity);
}

DatagramBatch::~DatagramBatch() = default;

std::expected<std::span<const Datagram>, UdpError> DatagramBatch::receive(int fd) {
  Storage& st = *storage_;
  std::size_t n = 0;
  while (n < capacity_) {
    auto got = receive_datagram(
        fd, std::span<std::uint8_t>(st.buffers.data() + n * st.buffer_size, st.buffer_size));
    if (!got) {
      if (n == 0) return std::unexpected(got.error());
      break;
    }
    if (!*got) break;
    st.datagrams[n++] = **got;
  }
  return std::span<const Datagram>(st.datagrams.data(), n);
}

}  // namespace fbf::platform
