#pragma once
// BFD Echo packets (RFC 5880 §5, §6.4, §6.8.5, §6.8.9): the payload codec and
// the timing arithmetic, as pure functions.
//
// "The payload of a BFD Echo packet is a local matter, since only the sending
// system ever processes the content" (§5); "some form of authentication
// SHOULD be included". fbf's payload (32 octets, network order):
//
//   0      4  5      8             12            16                  24                  32
//   | "fbfE" |v |  0  | My Discr    | Sequence    | Tx time (µs)      | Cookie            |
//
// - My Discriminator demultiplexes the returned packet to its session (§6.8.8).
// - Sequence lets the session refuse echoes it did not send recently (replay).
// - Tx time is the sender's monotonic clock, so the round trip is measured.
// - Cookie is a random 64-bit value per session, never sent in Control
//   packets: an off-path host cannot forge an echo that keeps a dead path Up.
//   Echoes cross the peer only at the forwarding plane, so no key is shared.
//
// 32 octets also satisfies FRR bfdd's minimum echo size (24), which matters
// for the IPv6 echo it loops back in userspace.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

namespace fbf::bfd {

inline constexpr std::uint16_t kEchoPort = 3785;  // RFC 5881 §4
inline constexpr std::size_t kEchoPacketSize = 32;
inline constexpr std::uint8_t kEchoVersion = 1;

struct EchoPacket {
  std::uint32_t my_discriminator = 0;
  std::uint32_t sequence = 0;
  std::uint64_t tx_time_us = 0;  // sender's clock, µs since its epoch
  std::uint64_t cookie = 0;
  friend bool operator==(const EchoPacket&, const EchoPacket&) = default;
};

enum class EchoDecodeError : std::uint8_t {
  too_short,       // fewer than 32 octets
  not_ours,        // no "fbfE" magic: another implementation's echo
  bad_version,
  zero_discriminator,
};
std::string_view to_string(EchoDecodeError);

void encode_echo(const EchoPacket& packet, std::span<std::uint8_t, kEchoPacketSize> out);
std::array<std::uint8_t, kEchoPacketSize> encode_echo(const EchoPacket& packet);
std::expected<EchoPacket, EchoDecodeError> decode_echo(std::span<const std::uint8_t> bytes);
// Whether `bytes` starts with fbf's magic (an echo of ours, whoever sent it).
bool is_fbf_echo(std::span<const std::uint8_t> bytes);

// §6.8.9: the interval between our Echo packets is at least the remote's
// Required Min Echo RX Interval; we use the greater of that and our own
// desired echo interval. 0 (no echo) when either is 0: the peer refuses to
// loop echoes back, or we do not want to send any.
constexpr std::uint32_t echo_transmit_interval(std::uint32_t desired_min_echo_tx,
                                               std::uint32_t remote_min_echo_rx) {
  if (desired_min_echo_tx == 0 || remote_min_echo_rx == 0) return 0;
  return desired_min_echo_tx > remote_min_echo_rx ? desired_min_echo_tx : remote_min_echo_rx;
}

// §6.8.5 leaves echo failure detection to the implementation ("any means").
// fbf declares failure when no echo came back for bfd.DetectMult echo
// intervals — the Control packet rule of §6.8.4 applied to our own echoes.
// FRR bfdd multiplies by the *remote* Detect Mult instead; the local one is
// the right knob here because the echoes are ours alone: the operator's
// multiplier says how many of our packets may be lost.
constexpr std::uint64_t echo_detection_time(std::uint8_t detect_mult, std::uint32_t interval) {
  return std::uint64_t{detect_mult} * interval;
}

}  // namespace fbf::bfd
