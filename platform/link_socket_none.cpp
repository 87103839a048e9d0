// platform/link_socket.h on systems without a link-layer socket seam yet:
// every call fails, so the Echo function is unavailable (reported, not hidden).
#include <cerrno>

#include "platform/link_socket.h"

namespace fbf::platform {

namespace {
UdpError unsupported() { return {ENOTSUP, "link-layer sockets are not supported on this system"}; }
}  // namespace

std::expected<UniqueFd, UdpError> open_link_udp(Family, std::uint32_t, std::uint16_t) {
  return std::unexpected(unsupported());
}
std::expected<std::optional<LinkFrame>, UdpError> receive_link(int, std::span<std::uint8_t>) {
  return std::unexpected(unsupported());
}
std::expected<void, UdpError> send_link(int, Family, std::uint32_t, std::span<const std::uint8_t>,
                                        const LinkAddress&) {
  return std::unexpected(unsupported());
}
std::optional<LinkAddress> neighbor_link_address(std::uint32_t, const IpAddress&) {
  return std::nullopt;
}
std::optional<bool> interface_forwards(std::uint32_t, Family) { return std::nullopt; }

}  // namespace fbf::platform
