#include "bfd/echo.h"

namespace fbf::bfd {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {'f', 'b', 'f', 'E'};

std::uint64_t get(std::span<const std::uint8_t> b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v << 8 | b[at + i];
  return v;
}

void put(std::span<std::uint8_t> b, std::size_t at, std::size_t n, std::uint64_t v) {
  for (std::size_t i = n; i-- > 0; v >>= 8) b[at + i] = static_cast<std::uint8_t>(v);
}

}  // namespace

std::string_view to_string(EchoDecodeError e) {
  switch (e) {
    case EchoDecodeError::too_short: return "too_short";
    case EchoDecodeError::not_ours: return "not_ours";
    case EchoDecodeError::bad_version: return "bad_version";
    case EchoDecodeError::zero_discriminator: return "zero_discriminator";
  }
  return "unknown";
}

void encode_echo(const EchoPacket& p, std::span<std::uint8_t, kEchoPacketSize> out) {
  for (std::size_t i = 0; i < kMagic.size(); ++i) out[i] = kMagic[i];
  out[4] = kEchoVersion;
  out[5] = out[6] = out[7] = 0;
  put(out, 8, 4, p.my_discriminator);
  put(out, 12, 4, p.sequence);
  put(out, 16, 8, p.tx_time_us);
  put(out, 24, 8, p.cookie);
}

std::array<std::uint8_t, kEchoPacketSize> encode_echo(const EchoPacket& packet) {
  std::array<std::uint8_t, kEchoPacketSize> out{};
  encode_echo(packet, out);
  return out;
}

bool is_fbf_echo(std::span<const std::uint8_t> b) {
  if (b.size() < kMagic.size()) return false;
  for (std::size_t i = 0; i < kMagic.size(); ++i)
    if (b[i] != kMagic[i]) return false;
  return true;
}

std::expected<EchoPacket, EchoDecodeError> decode_echo(std::span<const std::uint8_t> b) {
  if (b.size() < kEchoPacketSize) return std::unexpected(EchoDecodeError::too_short);
  if (!is_fbf_echo(b)) return std::unexpected(EchoDecodeError::not_ours);
  if (b[4] != kEchoVersion) return std::unexpected(EchoDecodeError::bad_version);
  EchoPacket p;
  p.my_discriminator = static_cast<std::uint32_t>(get(b, 8, 4));
  p.sequence = static_cast<std::uint32_t>(get(b, 12, 4));
  p.tx_time_us = get(b, 16, 8);
  p.cookie = get(b, 24, 8);
  if (p.my_discriminator == 0) return std::unexpected(EchoDecodeError::zero_discriminator);
  return p;
}

}  // namespace fbf::bfd
