#pragma once
// Packing prefixes into UPDATE messages for the Adj-RIB-Out: as many per
// message as the maximum length allows, one kind of NLRI field per message
// (RFC 7606 §5.1). The messages are built by the codec (encode_update).

#include <cstddef>
#include <expected>
#include <span>

#include "bgp/adj_rib_out.h"
#include "bgp/attributes.h"

namespace fbf::bgp {

struct PackOptions {
  std::size_t max_length = 4096;  // Negotiated::max_message_length()
  bool four_octet_as = true;      // RFC 6793 §4.1 negotiated
};

// The path attributes of `attributes` for routes of `family` (NEXT_HOP for
// IPv4; MP_REACH_NLRI with an empty NLRI list for IPv6).
PathAttributes to_path_attributes(const RouteAttributes& attributes, platform::Family family);

// UPDATEs withdrawing `prefixes`, all of `family`: the Withdrawn Routes field
// for IPv4, MP_UNREACH_NLRI for IPv6 (RFC 4760 §4).
std::expected<void, EncodeError> pack_withdrawals(std::span<const platform::Prefix> prefixes,
                                                  platform::Family family,
                                                  const PackOptions& options, UpdateMessages& out);

// UPDATEs announcing `prefixes`, all of `family`, with `attributes`.
std::expected<void, EncodeError> pack_announcements(const RouteAttributes& attributes,
                                                    std::span<const platform::Prefix> prefixes,
                                                    platform::Family family,
                                                    const PackOptions& options,
                                                    UpdateMessages& out);

}  // namespace fbf::bgp
