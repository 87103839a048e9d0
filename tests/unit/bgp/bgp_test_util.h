#pragma once
// Builders for hand-made BGP byte strings in the unit tests.

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "bgp/message.h"

namespace fbf::bgp::test {

using Buf = std::vector<std::uint8_t>;

inline Buf cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const Buf& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// One path attribute; a 2-octet length when flags has Extended Length (0x10).
inline Buf attr(std::uint8_t flags, std::uint8_t type, const Buf& value) {
  Buf out{flags, type};
  if (flags & 0x10) out.push_back(static_cast<std::uint8_t>(value.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

inline Buf update(const Buf& withdrawn, const Buf& attrs, const Buf& nlri) {
  return encode_update_frame(withdrawn, attrs, nlri);
}

// 16 marker octets, length, type.
inline Buf header(std::uint16_t length, std::uint8_t type) {
  Buf out(16, 0xff);
  out.push_back(static_cast<std::uint8_t>(length >> 8));
  out.push_back(static_cast<std::uint8_t>(length));
  out.push_back(type);
  return out;
}

inline const Buf kOriginIgp{0x40, 0x01, 0x01, 0x00};
// AS_SEQUENCE [65001 65002], 4-octet ASNs.
inline const Buf kAsPath{0x40, 0x02, 0x0a, 0x02, 0x02, 0x00, 0x00, 0xfd, 0xe9, 0x00, 0x00, 0xfd, 0xea};
inline const Buf kNextHop{0x40, 0x03, 0x04, 192, 0, 2, 1};
inline Buf mandatory() { return cat({kOriginIgp, kAsPath, kNextHop}); }
inline const Buf kNlri{24, 198, 51, 100};  // 198.51.100.0/24

}  // namespace fbf::bgp::test
