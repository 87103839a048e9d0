#pragma once
// NLRI prefix encoding (RFC 4271 §4.3 "Network Layer Reachability
// Information", RFC 4760 §5): a length in bits, then the fewest octets that
// hold it. Counting walks a field without allocating (the receive path);
// decoding into platform::Prefix values is for tests, `show` and fuzzing.

#include <cstdint>
#include <optional>
#include <vector>

#include "bgp/reader.h"
#include "platform/ip.h"

namespace fbf::bgp {

// RFC 7606 §5.3 "syntactically incorrect" NLRI fields.
enum class NlriError : std::uint8_t {
  none = 0,
  prefix_too_long,  // a length above 32 (IPv4) or 128 (IPv6)
  overrun,          // the last prefix runs past the end of the field
};

struct NlriCount {
  std::uint32_t prefixes = 0;
  NlriError error = NlriError::none;
};

inline std::uint8_t max_prefix_bits(platform::Family family) {
  return family == platform::Family::v4 ? 32 : 128;
}

// Counts the prefixes in `field`; stops at the first error.
inline NlriCount count_prefixes(Bytes field, std::uint8_t max_bits) {
  NlriCount c;
  Reader r(field);
  while (!r.empty()) {
    std::uint8_t bits = *r.u8();
    if (bits > max_bits) {
      c.error = NlriError::prefix_too_long;
      return c;
    }
    if (!r.skip((bits + 7u) / 8u)) {
      c.error = NlriError::overrun;
      return c;
    }
    ++c.prefixes;
  }
  return c;
}

// A prefix from its wire form; bits past the length are cleared (RFC 4271
// §4.3 calls them irrelevant). nullopt if the octets do not match the length.
std::optional<platform::Prefix> prefix_from_wire(platform::Family family, std::uint8_t bits,
                                                 Bytes octets);

// Appends every prefix of `field` to `out`; false (and `out` unspecified) on
// the errors count_prefixes reports.
bool decode_prefixes(Bytes field, platform::Family family, std::vector<platform::Prefix>& out);

std::size_t encoded_size(const platform::Prefix& prefix);
void encode_prefix(Writer& w, const platform::Prefix& prefix);

}  // namespace fbf::bgp
