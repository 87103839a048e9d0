#include "bfd/echo_frame.h"

#include <algorithm>

namespace fbf::bfd {
namespace {

constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kTosInternetControl = 0xc0;  // IPTOS_PREC_INTERNETCONTROL

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

void put16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

// RFC 1071 one's complement sum of 16-bit words, not yet folded or inverted.
std::uint32_t sum16(std::span<const std::uint8_t> b, std::uint32_t acc = 0) {
  std::size_t i = 0;
  for (; i + 1 < b.size(); i += 2) acc += get16(b, i);
  if (i < b.size()) acc += static_cast<std::uint32_t>(b[i]) << 8;
  return acc;
}

std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

// The UDP checksum over the pseudo-header (RFC 768, RFC 8200 §8.1) and the
// UDP header + payload in `udp` (with its checksum field as it is).
std::uint32_t udp_sum(const IpAddress& src, const IpAddress& dst,
                      std::span<const std::uint8_t> udp) {
  std::uint32_t acc = sum16(src.bytes());
  acc = sum16(dst.bytes(), acc);
  acc += kProtoUdp;
  acc += static_cast<std::uint32_t>(udp.size());
  return sum16(udp, acc);
}

}  // namespace

std::string_view to_string(FrameError e) {
  switch (e) {
    case FrameError::too_short: return "too_short";
    case FrameError::bad_version: return "bad_version";
    case FrameError::bad_header: return "bad_header";
    case FrameError::bad_checksum: return "bad_checksum";
    case FrameError::not_udp: return "not_udp";
  }
  return "unknown";
}

std::size_t build_udp_frame(const IpAddress& src, const IpAddress& dst, std::uint8_t ttl,
                            std::uint16_t sport, std::uint16_t dport,
                            std::span<const std::uint8_t> payload, std::span<std::uint8_t> out) {
  if (src.family() != dst.family()) return 0;
  const std::size_t ip_len = src.is_v4() ? kIpv4HeaderSize : kIpv6HeaderSize;
  const std::size_t udp_len = kUdpHeaderSize + payload.size();
  const std::size_t total = ip_len + udp_len;
  if (out.size() < total || total > 0xffff) return 0;
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(total), std::uint8_t{0});
  if (src.is_v4()) {
    out[0] = 0x45;  // version 4, IHL 5
    out[1] = kTosInternetControl;
    put16(out, 2, static_cast<std::uint16_t>(total));
    out[6] = 0x40;  // DF: an echo is never fragmented
    out[8] = ttl;
    out[9] = kProtoUdp;
    std::copy(src.bytes().begin(), src.bytes().end(), out.begin() + 12);
    std::copy(dst.bytes().begin(), dst.bytes().end(), out.begin() + 16);
    put16(out, 10, fold(sum16(out.first(kIpv4HeaderSize))));
  } else {
    out[0] = 0x60 | kTosInternetControl >> 4;  // version 6, traffic class high nibble
    out[1] = static_cast<std::uint8_t>((kTosInternetControl & 0x0f) << 4);
    put16(out, 4, static_cast<std::uint16_t>(udp_len));
    out[6] = kProtoUdp;
    out[7] = ttl;
    std::copy(src.bytes().begin(), src.bytes().end(), out.begin() + 8);
    std::copy(dst.bytes().begin(), dst.bytes().end(), out.begin() + 24);
  }
  auto udp = out.subspan(ip_len, udp_len);
  put16(udp, 0, sport);
  put16(udp, 2, dport);
  put16(udp, 4, static_cast<std::uint16_t>(udp_len));
  std::copy(payload.begin(), payload.end(), udp.begin() + kUdpHeaderSize);
  std::uint16_t check = fold(udp_sum(src, dst, udp));
  if (check == 0) check = 0xffff;  // RFC 768: a computed 0 is sent as all ones
  put16(udp, 6, check);
  return total;
}

std::expected<UdpFrame, FrameError> parse_udp_frame(std::span<const std::uint8_t> b) {
  if (b.empty()) return std::unexpected(FrameError::too_short);
  UdpFrame f;
  std::span<const std::uint8_t> udp;
  const std::uint8_t version = b[0] >> 4;
  if (version == 4) {
    if (b.size() < kIpv4HeaderSize) return std::unexpected(FrameError::too_short);
    const std::size_t ihl = std::size_t{b[0] & 0x0fu} * 4;
    const std::size_t total = get16(b, 2);
    if (ihl < kIpv4HeaderSize || total < ihl || total > b.size())
      return std::unexpected(FrameError::bad_header);
    if (fold(sum16(b.first(ihl))) != 0) return std::unexpected(FrameError::bad_checksum);
    if (b[9] != kProtoUdp || (get16(b, 6) & 0x3fff) != 0)  // MF or a fragment offset
      return std::unexpected(FrameError::not_udp);
    f.ttl = b[8];
    f.source = IpAddress::v4({b[12], b[13], b[14], b[15]});
    f.destination = IpAddress::v4({b[16], b[17], b[18], b[19]});
    udp = b.subspan(ihl, total - ihl);
  } else if (version == 6) {
    if (b.size() < kIpv6HeaderSize) return std::unexpected(FrameError::too_short);
    const std::size_t plen = get16(b, 4);
    if (kIpv6HeaderSize + plen > b.size()) return std::unexpected(FrameError::bad_header);
    if (b[6] != kProtoUdp) return std::unexpected(FrameError::not_udp);
    f.ttl = b[7];
    f.source = *IpAddress::from_bytes(b.subspan(8, 16));
    f.destination = *IpAddress::from_bytes(b.subspan(24, 16));
    udp = b.subspan(kIpv6HeaderSize, plen);
  } else {
    return std::unexpected(FrameError::bad_version);
  }
  if (udp.size() < kUdpHeaderSize) return std::unexpected(FrameError::too_short);
  const std::size_t udp_len = get16(udp, 4);
  if (udp_len < kUdpHeaderSize || udp_len > udp.size())
    return std::unexpected(FrameError::bad_header);
  udp = udp.first(udp_len);
  // IPv4 may omit the UDP checksum (0); IPv6 may not (RFC 8200 §8.1).
  if ((f.source.is_v6() || get16(udp, 6) != 0) && fold(udp_sum(f.source, f.destination, udp)) != 0)
    return std::unexpected(FrameError::bad_checksum);
  f.source_port = get16(udp, 0);
  f.destination_port = get16(udp, 2);
  f.payload = udp.subspan(kUdpHeaderSize);
  return f;
}

bool forward_hop(std::span<std::uint8_t> b) {
  if (b.empty()) return false;
  const std::uint8_t version = b[0] >> 4;
  if (version == 4 && b.size() >= kIpv4HeaderSize) {
    if (b[8] <= 1) return false;
    // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m the 16-bit word TTL|protocol.
    const std::uint16_t old_word = get16(b, 8);
    --b[8];
    const std::uint16_t new_word = get16(b, 8);
    std::uint32_t acc = static_cast<std::uint16_t>(~get16(b, 10));
    acc += static_cast<std::uint16_t>(~old_word);
    acc += new_word;
    put16(b, 10, fold(acc));
    return true;
  }
  if (version == 6 && b.size() >= kIpv6HeaderSize) {
    if (b[7] <= 1) return false;
    --b[7];  // no header checksum in IPv6; TTL is not in the UDP pseudo-header
    return true;
  }
  return false;
}

}  // namespace fbf::bfd
