#pragma once
// UTF-8 well-formedness (RFC 3629 §4, "shortest form" as RFC 9003 §2 requires):
// no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.

#include <cstdint>
#include <span>

namespace fbf::bgp {

bool is_valid_utf8(std::span<const std::uint8_t> bytes);

}  // namespace fbf::bgp
