#pragma once
// TCP sockets for BGP with the options routers expect: source address
// binding, TCP-MD5 signatures (RFC 2385), the TTL for eBGP (1, or the
// multihop value) and GTSM (RFC 5082: send 255, require 255 - (hops - 1)).
// Everything fails closed: a key the kernel refuses is an error, never an
// unauthenticated session. Linux implementation: platform/linux/tcp_linux.cpp.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "platform/udp.h"  // Endpoint, UdpError's shape
#include "platform/unique_fd.h"

namespace fbf::platform {

struct TcpError {
  int errno_value = 0;
  std::string what;
};

struct TcpOptions {
  Family family = Family::v4;
  std::optional<IpAddress> bind_address;
  std::uint16_t bind_port = 0;
  int ttl = 1;          // IP_TTL / IPV6_UNICAST_HOPS on what we send
  int min_ttl = 0;      // IP_MINTTL / IPV6_MINHOPCOUNT (GTSM); 0 = off
};

// Starts a non-blocking connect; completion is signalled by writability,
// then connect_result() tells success or the error.
std::expected<UniqueFd, TcpError> start_connect(const TcpOptions& options, const Endpoint& peer,
                                                const std::string& md5_key);
std::expected<void, TcpError> connect_result(int fd);

std::expected<UniqueFd, TcpError> listen_tcp(const TcpOptions& options, int backlog = 16);
// Accepts one pending connection (nullopt when none is queued).
std::expected<std::optional<std::pair<UniqueFd, Endpoint>>, TcpError> accept_tcp(int listen_fd);

// TCP_MD5SIG for one peer on a socket (a listening socket may hold many);
// an empty key removes it.
std::expected<void, TcpError> set_md5_key(int fd, const IpAddress& peer, const std::string& key);
// Applies TTL / minimum TTL to an accepted socket.
std::expected<void, TcpError> set_ttl(int fd, Family family, int ttl, int min_ttl);

std::expected<Endpoint, TcpError> tcp_local_endpoint(int fd);
std::expected<Endpoint, TcpError> tcp_peer_endpoint(int fd);

}  // namespace fbf::platform
