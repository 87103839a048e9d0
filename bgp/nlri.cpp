#include "bgp/nlri.h"

#include <algorithm>
#include <array>

namespace fbf::bgp {

std::optional<platform::Prefix> prefix_from_wire(platform::Family family, std::uint8_t bits,
                                                 Bytes octets) {
  if (bits > max_prefix_bits(family) || octets.size() != (bits + 7u) / 8u) return std::nullopt;
  std::array<std::uint8_t, 16> buf{};
  std::copy(octets.begin(), octets.end(), buf.begin());
  if (bits % 8 != 0) buf[bits / 8] &= static_cast<std::uint8_t>(0xff << (8 - bits % 8));
  platform::IpAddress address;
  if (family == platform::Family::v4) {
    address = platform::IpAddress::v4({buf[0], buf[1], buf[2], buf[3]});
  } else {
    address = platform::IpAddress::v6(buf);
  }
  return platform::Prefix::make(address, bits);
}

bool decode_prefixes(Bytes field, platform::Family family, std::vector<platform::Prefix>& out) {
  Reader r(field);
  while (!r.empty()) {
    std::uint8_t bits = *r.u8();
    if (bits > max_prefix_bits(family)) return false;
    auto octets = r.take((bits + 7u) / 8u);
    if (!octets) return false;
    auto p = prefix_from_wire(family, bits, *octets);
    if (!p) return false;
    out.push_back(*p);
  }
  return true;
}

std::size_t encoded_size(const platform::Prefix& prefix) {
  return 1 + (prefix.length() + 7u) / 8u;
}

void encode_prefix(Writer& w, const platform::Prefix& prefix) {
  w.u8(prefix.length());
  w.bytes(prefix.address().bytes().first((prefix.length() + 7u) / 8u));
}

}  // namespace fbf::bgp
