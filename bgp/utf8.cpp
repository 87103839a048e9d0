#include "bgp/utf8.h"

#include <cstddef>

namespace fbf::bgp {

bool is_valid_utf8(std::span<const std::uint8_t> s) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::uint8_t b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second octet
    if (b >= 0xc2 && b <= 0xdf) {
      n = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b == 0xe0) lo = 0xa0;  // overlong
      if (b == 0xed) hi = 0x9f;  // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b == 0xf0) lo = 0x90;  // overlong
      if (b == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
      return false;  // continuation octet, 0xc0/0xc1 (overlong) or 0xf5..0xff
    }
    if (s.size() - i <= n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (std::size_t k = 2; k <= n; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace fbf::bgp
