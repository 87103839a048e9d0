#include "agent/checks/target.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include "agent/metrics_http.h"  // parse_host_port: the parser the config check uses

namespace fbf::agent::checks {

std::expected<platform::IpAddress, std::string> resolve_host(const std::string& host) {
  if (auto ip = platform::IpAddress::parse(host)) return *ip;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list); rc != 0)
    return std::unexpected("cannot resolve " + host + ": " + ::gai_strerror(rc));
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(list, &::freeaddrinfo);
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    // Copied out rather than cast: ai_addr is only guaranteed sockaddr-aligned.
    if (a->ai_family == AF_INET && a->ai_addrlen >= sizeof(sockaddr_in)) {
      sockaddr_in sin;
      std::memcpy(&sin, a->ai_addr, sizeof sin);
      return *platform::IpAddress::from_bytes(
          std::span(reinterpret_cast<const std::uint8_t*>(&sin.sin_addr), 4));
    }
    if (a->ai_family == AF_INET6 && a->ai_addrlen >= sizeof(sockaddr_in6)) {
      sockaddr_in6 sin6;
      std::memcpy(&sin6, a->ai_addr, sizeof sin6);
      return *platform::IpAddress::from_bytes(
          std::span(reinterpret_cast<const std::uint8_t*>(&sin6.sin6_addr), 16));
    }
  }
  return std::unexpected("cannot resolve " + host + ": no IPv4 or IPv6 address");
}

std::expected<platform::Endpoint, std::string> resolve_host_port(std::string_view host_port) {
  auto hp = parse_host_port(host_port);
  if (!hp) return std::unexpected("target \"" + std::string(host_port) + "\": " + hp.error());
  auto ip = resolve_host(hp->host);
  if (!ip) return std::unexpected(ip.error());
  return platform::Endpoint{*ip, hp->port, 0};
}

}  // namespace fbf::agent::checks
