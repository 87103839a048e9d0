#include "platform/linux/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace fbf::platform::linux_detail {

socklen_t to_sockaddr(const Endpoint& ep, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (ep.address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(ep.port);
    std::memcpy(&sin->sin_addr, ep.address.bytes().data(), 4);
    return sizeof *sin;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(ep.port);
  sin6->sin6_scope_id = ep.scope_id;
  std::memcpy(&sin6->sin6_addr, ep.address.bytes().data(), 16);
  return sizeof *sin6;
}

Endpoint from_sockaddr(const sockaddr_storage& ss) {
  Endpoint ep;
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    ep.address = *IpAddress::from_bytes(
        std::span(reinterpret_cast<const std::uint8_t*>(&sin->sin_addr), 4));
    ep.port = ntohs(sin->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr);
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ep.address = std::memcmp(b, kMapped, 12) == 0 ? *IpAddress::from_bytes(std::span(b + 12, 4))
                                                  : *IpAddress::from_bytes(std::span(b, 16));
    ep.port = ntohs(sin6->sin6_port);
    ep.scope_id = sin6->sin6_scope_id;
  }
  return ep;
}

}  // namespace fbf::platform::linux_detail
