// sockaddr conversions for the OpenBSD seams. Differences from Linux: BSD
// sockaddrs carry their own length (sin_len, sin6_len), and the kernel keeps
// the scope of IPv6 link-local addresses inside the address (bytes 2-3, the
// KAME convention) in what getifaddrs(3) and the routing socket report.
// BSD header order: sys/ first, then netinet/, then arpa/.
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cstddef>
#include <cstring>

#include "platform/openbsd/openbsd_detail.h"

namespace fbf::platform::openbsd_detail {
namespace {

constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// fe80::/10 and ff01::/16, ff02::/16: the scopes the kernel embeds. A
// well-formed link-local address has zeros there, so clearing is safe.
bool scope_embedded(const std::uint8_t* b) {
  const bool link_local = b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
  const bool scoped_multicast = b[0] == 0xff && ((b[1] & 0x0f) == 0x01 || (b[1] & 0x0f) == 0x02);
  return link_local || scoped_multicast;
}

}  // namespace

socklen_t to_sockaddr(const Endpoint& ep, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (ep.address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_len = sizeof *sin;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(ep.port);
    std::memcpy(&sin->sin_addr, ep.address.bytes().data(), 4);
    return sizeof *sin;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_len = sizeof *sin6;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(ep.port);
  sin6->sin6_scope_id = ep.scope_id;
  std::memcpy(&sin6->sin6_addr, ep.address.bytes().data(), 16);
  return sizeof *sin6;
}

Endpoint from_sockaddr(const sockaddr* sa) {
  Endpoint ep;
  if (sa == nullptr) return ep;
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    ep.address =
        *IpAddress::from_bytes(std::span(reinterpret_cast<const std::uint8_t*>(&sin.sin_addr), 4));
    ep.port = ntohs(sin.sin_port);
  } else if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    std::uint8_t b[16];
    std::memcpy(b, &sin6.sin6_addr, 16);
    ep.scope_id = sin6.sin6_scope_id;
    if (scope_embedded(b) && (b[2] != 0 || b[3] != 0)) {
      if (ep.scope_id == 0) ep.scope_id = (std::uint32_t{b[2]} << 8) | b[3];
      b[2] = b[3] = 0;
    }
    ep.address = std::memcmp(b, kMapped, 12) == 0 ? *IpAddress::from_bytes(std::span(b + 12, 4))
                                                  : *IpAddress::from_bytes(std::span(b, 16));
    ep.port = ntohs(sin6.sin6_port);
  }
  return ep;
}

std::expected<IpAddress, std::string> address_of(const sockaddr* sa) {
  if (sa == nullptr) return std::unexpected(std::string("no address"));
  if (sa->sa_family == AF_INET && sa->sa_len >= sizeof(sockaddr_in)) return from_sockaddr(sa).address;
  if (sa->sa_family == AF_INET6 && sa->sa_len >= sizeof(sockaddr_in6))
    return from_sockaddr(sa).address;
  return std::unexpected("address family " + std::to_string(sa->sa_family) + " is not IP");
}

std::uint8_t prefix_length_of(const sockaddr* mask, Family family) {
  const unsigned width = family == Family::v4 ? 32 : 128;
  if (mask == nullptr) return static_cast<std::uint8_t>(width);
  // The mask bytes start where sin_addr / sin6_addr start; sa_len says how
  // many bytes of the sockaddr are present (0: an all-zero mask).
  const std::size_t offset =
      family == Family::v4 ? offsetof(sockaddr_in, sin_addr) : offsetof(sockaddr_in6, sin6_addr);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(mask);
  const std::size_t present = mask->sa_len > offset ? mask->sa_len - offset : 0;
  unsigned length = 0;
  for (std::size_t i = 0; i < width / 8 && i < present; ++i) {
    std::uint8_t byte = bytes[offset + i];
    if (byte == 0xff) {
      length += 8;
      continue;
    }
    while (byte & 0x80) {
      ++length;
      byte = static_cast<std::uint8_t>(byte << 1);
    }
    break;
  }
  return static_cast<std::uint8_t>(length);
}

}  // namespace fbf::platform::openbsd_detail
