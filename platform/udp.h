#pragma once
// UDP sockets with the per-packet metadata BFD needs (RFC 5881 §5, RFC 5883
// §5): the received TTL / Hop Limit, the destination address and the arrival
// interface; transmission with a chosen TTL from a chosen source address and
// port. The OS-specific ancillary-data handling lives behind this seam
// (platform/linux/udp_linux.cpp), so bfd/ stays portable and testable.

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "platform/ip.h"
#include "platform/unique_fd.h"

namespace fbf::platform {

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint32_t scope_id = 0;  // IPv6 link-local: interface index
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct UdpOptions {
  Family family = Family::v4;
  std::optional<IpAddress> bind_address;  // unset: wildcard of `family`
  std::uint16_t port = 0;                 // 0: any
  std::string interface;                  // SO_BINDTODEVICE when set
  int send_ttl = 255;                     // IP_TTL / IPV6_UNICAST_HOPS
  int traffic_class = 0;                  // IP_TOS / IPV6_TCLASS of what is sent
  // No minimum-TTL option: Linux applies IP_MINTTL to TCP only, so BFD checks
  // Datagram::ttl itself (RFC 5881 §5, RFC 5883 §5).
  bool receive_metadata = true;           // TTL, destination, interface on receive
  // When the kernel received each datagram (SO_TIMESTAMPNS): Datagram::arrived.
  // Linux only; elsewhere `arrived` stays unset.
  bool receive_timestamp = false;
  bool reuse_address = false;
  // Receive buffer in bytes, 0 = the system default. Raised past the
  // system's cap (net.core.rmem_max) when the process may (CAP_NET_ADMIN);
  // otherwise as far as the cap allows — never an error.
  int receive_buffer = 0;
};

struct Datagram {
  std::span<const std::uint8_t> payload;  // points into the caller's buffer
  Endpoint source;
  std::optional<IpAddress> destination;
  std::uint32_t interface_index = 0;
  int ttl = -1;  // received TTL / Hop Limit; -1 when the kernel did not say
  // When the kernel received it (UdpOptions::receive_timestamp), on the
  // monotonic clock: the kernel stamps the wall clock, converted here with
  // one reading of both clocks per receive call. A step of the wall clock
  // between arrival and reading moves it by the step: callers bound it.
  std::optional<std::chrono::steady_clock::time_point> arrived;
};

struct UdpError {
  int errno_value = 0;
  std::string what;  // "bind 192.0.2.1:3784: Address already in use"
};

std::expected<UniqueFd, UdpError> open_udp(const UdpOptions& options);

// Non-blocking receive into `buffer`; nullopt when nothing is queued.
std::expected<std::optional<Datagram>, UdpError> receive_datagram(int fd,
                                                                  std::span<std::uint8_t> buffer);

// Several datagrams per system call (recvmmsg on Linux) into buffers
// allocated once, for receive paths that must not pay a system call per
// packet (the BFD listeners).
class DatagramBatch {
 public:
  DatagramBatch(std::size_t capacity, std::size_t buffer_size);
  ~DatagramBatch();
  DatagramBatch(const DatagramBatch&) = delete;
  DatagramBatch& operator=(const DatagramBatch&) = delete;

  // Non-blocking: what is queued, up to capacity(); empty when nothing is.
  // The datagrams point into this object and stay valid until the next call.
  // Fewer than capacity() means the socket was drained.
  std::expected<std::span<const Datagram>, UdpError> receive(int fd);
  std::size_t capacity() const { return capacity_; }

 private:
  struct Storage;  // per OS
  std::size_t capacity_;
  std::unique_ptr<Storage> storage_;
};

std::expected<void, UdpError> send_datagram(int fd, std::span<const std::uint8_t> payload,
                                            const Endpoint& to);

// Fixes the socket's peer (connect(2)). The kernel then keeps the route, so
// each send_connected() skips a route lookup and a source-address check —
// the BFD transmit path, one socket per session. Fails (e.g. no route yet)
// without changing the socket: keep using send_datagram() then.
std::expected<void, UdpError> connect_udp(int fd, const Endpoint& to);

// Sends on a connected socket. An ICMP error queued by an earlier packet
// (port unreachable: the peer's BFD is not running yet) fails the next send
// once with ECONNREFUSED; that send is retried so the packet is not lost.
std::expected<void, UdpError> send_connected(int fd, std::span<const std::uint8_t> payload);

// The port the socket is bound to (after binding to port 0).
std::expected<Endpoint, UdpError> local_endpoint(int fd);

std::uint32_t interface_index(const std::string& name);  // 0 if unknown

}  // namespace fbf::platform
