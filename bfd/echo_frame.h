#pragma once
// The IP + UDP packet around an Echo payload, built and parsed by hand
// because RFC 5881 §4 echoes cannot go through the ordinary UDP socket path:
// they are addressed to the sender itself ("the destination address MUST be
// chosen in such a way as to cause the remote system to forward the packet
// back") yet must leave through the interface towards the peer, and a
// returning echo carries one of our own addresses as its source, which the
// IPv4 stack drops as a martian. The adapter moves these packets through a
// link-layer socket (platform/link_socket.h). Pure functions, no heap.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "platform/ip.h"

namespace fbf::bfd {

using platform::IpAddress;

inline constexpr std::size_t kIpv4HeaderSize = 20;
inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::size_t kUdpHeaderSize = 8;
// Largest packet build_udp_frame() writes for an Echo payload.
inline constexpr std::size_t kMaxEchoFrameSize = kIpv6HeaderSize + kUdpHeaderSize + 64;

struct UdpFrame {
  IpAddress source;
  IpAddress destination;
  std::uint8_t ttl = 0;  // TTL / Hop Limit
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::span<const std::uint8_t> payload;  // points into the parsed bytes
};

enum class FrameError : std::uint8_t {
  too_short,
  bad_version,
  bad_header,        // IPv4 IHL/length fields inconsistent
  bad_checksum,      // IPv4 header or UDP checksum
  not_udp,           // another protocol, IPv6 extension headers, or a fragment
};
std::string_view to_string(FrameError);

// Writes an IPv4 (DF, no options) or IPv6 packet with a UDP header around
// `payload` into `out`; returns the length written, 0 if `out` is too small
// or the addresses are of different families. TOS/Traffic Class 0xC0
// (Internet Control, as routing protocols use). UDP checksum always set.
std::size_t build_udp_frame(const IpAddress& source, const IpAddress& destination,
                            std::uint8_t ttl, std::uint16_t source_port,
                            std::uint16_t destination_port, std::span<const std::uint8_t> payload,
                            std::span<std::uint8_t> out);

// Parses an IP packet carrying UDP, checking lengths and checksums.
std::expected<UdpFrame, FrameError> parse_udp_frame(std::span<const std::uint8_t> packet);

// What a router does to a packet it forwards: TTL / Hop Limit minus one, the
// IPv4 header checksum adjusted (RFC 1624). False, packet untouched, when the
// TTL is already 1 or less (a router would drop it).
bool forward_hop(std::span<std::uint8_t> packet);

}  // namespace fbf::bfd
