// Linux implementation of platform/udp.h: IP_RECVTTL / IPV6_RECVHOPLIMIT for
// the GTSM-style TTL check (RFC 5881 §5), IP_PKTINFO / IPV6_RECVPKTINFO for
// the destination address and arrival interface used in demultiplexing,
// SO_TIMESTAMPNS for the arrival time.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

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

// Control-message room for TTL/Hop Limit, PKTINFO (either family) and a
// receive timestamp.
constexpr std::size_t kControlSize = 256;

// Both clocks, read once per receive call at its first stamped datagram:
// converts the kernel's wall-clock arrival stamps to the monotonic clock.
struct ClockPair {
  std::chrono::steady_clock::time_point monotonic = std::chrono::steady_clock::now();
  timespec wall = [] {
    timespec t{};
    ::clock_gettime(CLOCK_REALTIME, &t);
    return t;
  }();

  std::chrono::steady_clock::time_point arrival(const timespec& stamp) const {
    const auto age = std::chrono::seconds(wall.tv_sec - stamp.tv_sec) +
                     std::chrono::nanoseconds(wall.tv_nsec - stamp.tv_nsec);
    // A stamp "after" the reading (the wall clock stepped back): now.
    return monotonic - std::max(std::chrono::nanoseconds(age), std::chrono::nanoseconds(0));
  }
};

// The TTL / Hop Limit, destination address, arrival interface and arrival
// time from a received message's ancillary data.
void read_metadata(msghdr& msg, Datagram& d, std::optional<ClockPair>& clocks) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec stamp;
      std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
      if (!clocks) clocks.emplace();
      d.arrived = clocks->arrival(stamp);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
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
    if (o.traffic_class != 0 && !set_int(s, IPPROTO_IP, IP_TOS, o.traffic_class))
      return std::unexpected(error("IP_TOS"));
    if (o.receive_metadata && (!set_int(s, IPPROTO_IP, IP_RECVTTL, 1) ||
                               !set_int(s, IPPROTO_IP, IP_PKTINFO, 1)))
      return std::unexpected(error("IP_RECVTTL/IP_PKTINFO"));
  } else {
    if (!set_int(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, o.send_ttl))
      return std::unexpected(error("IPV6_UNICAST_HOPS"));
    if (o.traffic_class != 0 && !set_int(s, IPPROTO_IPV6, IPV6_TCLASS, o.traffic_class))
      return std::unexpected(error("IPV6_TCLASS"));
    if (o.receive_metadata && (!set_int(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) ||
                               !set_int(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)))
      return std::unexpected(error("IPV6_RECVHOPLIMIT/IPV6_RECVPKTINFO"));
  }
  // The kernel then stamps every packet it receives, on any socket: a clock
  // read per packet (what chrony and ptp4l turn on anyway).
  if (o.receive_timestamp && !set_int(s, SOL_SOCKET, SO_TIMESTAMPNS, 1))
    return std::unexpected(error("SO_TIMESTAMPNS"));
  if (o.receive_buffer > 0 && !set_int(s, SOL_SOCKET, SO_RCVBUFFORCE, o.receive_buffer))
    set_int(s, SOL_SOCKET, SO_RCVBUF, o.receive_buffer);  // capped at rmem_max: still the most we may
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
  alignas(cmsghdr) std::uint8_t control[kControlSize];
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
  std::optional<ClockPair> clocks;
  read_metadata(msg, d, clocks);
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
  return from_sockaddr(ss);
}

struct DatagramBatch::Storage {
  std::vector<std::uint8_t> buffers;
  std::vector<std::array<std::uint8_t, kControlSize>> controls;
  std::vector<sockaddr_storage> sources;
  std::vector<iovec> iovs;
  std::vector<mmsghdr> messages;
  std::vector<Datagram> datagrams;
  std::size_t buffer_size;
};

DatagramBatch::DatagramBatch(std::size_t capacity, std::size_t buffer_size)
    : capacity_(capacity), storage_(std::make_unique<Storage>()) {
  Storage& st = *storage_;
  st.buffer_size = buffer_size;
  st.buffers.resize(capacity * buffer_size);
  st.controls.resize(capacity);
  st.sources.resize(capacity);
  st.iovs.resize(capacity);
  st.messages.resize(capacity);
  st.datagrams.resize(capacity);
}

DatagramBatch::~DatagramBatch() = default;

std::expected<std::span<const Datagram>, UdpError> DatagramBatch::receive(int fd) {
  Storage& st = *storage_;
  for (std::size_t i = 0; i < capacity_; ++i) {
    st.iovs[i] = {st.buffers.data() + i * st.buffer_size, st.buffer_size};
    msghdr& h = st.messages[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &st.sources[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &st.iovs[i];
    h.msg_iovlen = 1;
    h.msg_control = st.controls[i].data();
    h.msg_controllen = kControlSize;
    st.messages[i].msg_len = 0;
  }
  const int n = ::recvmmsg(fd, st.messages.data(), static_cast<unsigned>(capacity_), MSG_DONTWAIT,
                           nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::span<const Datagram>();
    return std::unexpected(error("recvmmsg"));
  }
  std::optional<ClockPair> clocks;
  for (int i = 0; i < n; ++i) {
    Datagram& d = st.datagrams[static_cast<std::size_t>(i)];
    d = Datagram{};
    d.payload = std::span<const std::uint8_t>(st.buffers.data() + static_cast<std::size_t>(i) * st.buffer_size,
                                              st.messages[static_cast<std::size_t>(i)].msg_len);
    d.source = from_sockaddr(st.sources[static_cast<std::size_t>(i)]);
    read_metadata(st.messages[static_cast<std::size_t>(i)].msg_hdr, d, clocks);
  }
  return std::span<const Datagram>(st.datagrams.data(), static_cast<std::size_t>(n));
}

}  // namespace fbf::platform
