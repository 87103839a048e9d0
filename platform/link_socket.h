#pragma once
// Link-layer packet sockets for the BFD Echo function (RFC 5881 §4): an echo
// is addressed to its sender's own address yet must leave through the
// interface towards the peer, to the peer's link-layer address ("the
// destination datalink address corresponds to the remote system"), and the
// returning echo carries one of our addresses as source, which the IPv4
// stack drops as a martian. Both need the IP layer bypassed, as RFC 5881 §4
// says: this seam sends and receives whole IP packets on one interface.
// Ethernet-style links only (6-octet addresses).

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>

#include "platform/ip.h"
#include "platform/udp.h"
#include "platform/unique_fd.h"

namespace fbf::platform {

using LinkAddress = std::array<std::uint8_t, 6>;

struct LinkFrame {
  std::span<const std::uint8_t> packet;  // the IP packet, in the caller's buffer
  LinkAddress source{};                  // sender's link-layer address
  std::uint32_t interface_index = 0;
};

// A socket receiving the IP packets of `family` that arrive on interface
// `ifindex`, addressed to this host's link-layer address, carrying UDP to
// `udp_port` (filtered in the kernel); our own transmissions are not seen.
// Sends with send_link(). Needs CAP_NET_RAW.
std::expected<UniqueFd, UdpError> open_link_udp(Family family, std::uint32_t ifindex,
                                                std::uint16_t udp_port);

// Non-blocking; nullopt when nothing is queued.
std::expected<std::optional<LinkFrame>, UdpError> receive_link(int fd,
                                                               std::span<std::uint8_t> buffer);

// Sends the IP packet `packet` out of `ifindex` to the link-layer address `to`.
std::expected<void, UdpError> send_link(int fd, Family family, std::uint32_t ifindex,
                                        std::span<const std::uint8_t> packet,
                                        const LinkAddress& to);

// The neighbor table's link-layer address for `address` on `ifindex`
// (ARP / Neighbor Discovery resolved it), nullopt when unknown or failed.
std::optional<LinkAddress> neighbor_link_address(std::uint32_t ifindex, const IpAddress& address);

// Whether the kernel forwards packets of `family` arriving on `ifindex`
// (net.ipv4.conf.<if>.forwarding / net.ipv6.conf.<if>.forwarding); nullopt
// when it cannot be read.
std::optional<bool> interface_forwards(std::uint32_t ifindex, Family family);

}  // namespace fbf::platform
