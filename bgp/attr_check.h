#pragma once
// Per-attribute receive checks: RFC 4271 §6.3 as revised by RFC 7606 §3 (c),
// §7 and the attributes' own RFCs. One table entry per known type code (after
// BIRD's bgp_attr_table): expected Optional/Transitive flags, eBGP-only
// discard, and a value check that names its rule. Nothing here allocates.
//
// MP_REACH_NLRI / MP_UNREACH_NLRI carry NLRI and are checked by the UPDATE
// walker (update_check.cpp); duplicates, the §4 length overruns and missing
// attributes are also the walker's.

#include <cstdint>
#include <string_view>

#include "bgp/errors.h"
#include "bgp/reader.h"

namespace fbf::bgp {

struct AttrContext {
  bool four_octet_as = true;  // RFC 6793 capability advertised and received
  bool ibgp = false;          // RFC 7606 §7.5, §7.9, §7.10
};

struct Verdict {
  ErrorAction action = ErrorAction::none;
  UpdateSubcode subcode = UpdateSubcode::unspecific;
  std::string_view rule;
  bool accepted() const { return action == ErrorAction::none; }
};

// Whether `type` has a table entry (everything else is "unrecognized").
bool is_known_attribute(std::uint8_t type);

// The Optional/Transitive bits RFC 4271 §5 / the attribute's RFC specifies;
// only meaningful for known types.
std::uint8_t expected_flags(std::uint8_t type);

// Checks one attribute that is not MP_REACH_NLRI / MP_UNREACH_NLRI.
// accepted(): keep it (known, or unknown optional: RFC 4271 §5 says to ignore
// an unrecognized optional non-transitive one and pass on a transitive one,
// which we never re-advertise). attribute_discard: drop it and carry on.
// treat_as_withdraw: the UPDATE's routes are to be withdrawn.
Verdict check_attribute(std::uint8_t flags, std::uint8_t type, Bytes value,
                        const AttrContext& context);

// AS_PATH / AS4_PATH segment syntax (RFC 7606 §7.2, RFC 6793 §6) with
// `asn_size` 2 or 4; returns an empty view when well formed, else the rule.
std::string_view check_as_path_segments(Bytes value, std::size_t asn_size);

}  // namespace fbf::bgp
