#include "bgp/adj_rib_out_pack.h"

#include <utility>
#include <vector>

#include "bgp/nlri.h"
#include "bgp/update.h"

namespace fbf::bgp {

namespace {

// Greedy packing: prefixes in order, a new message when the next one would
// not fit. `make` turns a chunk of prefixes into an Update. `mp_value` is the
// length of the MP attribute's value without NLRI (0 when the prefixes go in
// a plain field): once the value exceeds 255 octets its length field takes
// two octets (RFC 4271 §4.3 Extended Length).
template <typename Make>
std::expected<void, EncodeError> pack(std::span<const platform::Prefix> prefixes, Make make,
                                      std::size_t mp_value, const PackOptions& options,
                                      UpdateMessages& out) {
  if (prefixes.empty()) return {};
  EncodeOptions eo{.four_octet_as = options.four_octet_as, .max_length = options.max_length};
  auto empty = encode_update(make(std::vector<platform::Prefix>{}), eo);
  if (!empty) return std::unexpected(empty.error());
  const std::size_t base = empty->size();
  auto size_with = [&](std::size_t nlri) {
    return base + nlri + (mp_value != 0 && mp_value + nlri > 255 ? 1 : 0);
  };
  std::vector<platform::Prefix> chunk;
  std::size_t nlri = 0;
  auto emit = [&]() -> std::expected<void, EncodeError> {
    auto m = encode_update(make(std::move(chunk)), eo);
    if (!m) return std::unexpected(m.error());
    out.push_back(std::move(*m));
    chunk.clear();
    nlri = 0;
    return {};
  };
  for (const platform::Prefix& p : prefixes) {
    std::size_t size = encoded_size(p);
    if (size_with(size) > options.max_length) return std::unexpected(EncodeError::message_too_long);
    if (!chunk.empty() && size_with(nlri + size) > options.max_length) {
      if (auto r = emit(); !r) return r;
    }
    chunk.push_back(p);
    nlri += size;
  }
  return emit();
}

}  // namespace

PathAttributes to_path_attributes(const RouteAttributes& a, platform::Family family) {
  PathAttributes pa;
  pa.origin = a.origin;
  pa.as_path = a.as_path;  // present even when empty (iBGP, RFC 4271 §5.1.2)
  pa.med = a.med;
  pa.local_pref = a.local_pref;
  pa.communities = a.communities;
  pa.large_communities = a.large_communities;
  if (family == platform::Family::v4) {
    pa.next_hop = a.next_hop;
  } else if (a.next_hop_v6) {
    pa.mp_reach = MpReach{kIpv6Unicast, *a.next_hop_v6, a.link_local_next_hop, {}};
  }
  return pa;
}

std::expected<void, EncodeError> pack_withdrawals(std::span<const platform::Prefix> prefixes,
                                                  platform::Family family,
                                                  const PackOptions& options, UpdateMessages& out) {
  if (family == platform::Family::v4) {
    auto make = [](std::vector<platform::Prefix> chunk) {
      Update u;
      u.withdrawn = std::move(chunk);
      return u;
    };
    return pack(prefixes, make, 0, options, out);
  }
  auto make = [](std::vector<platform::Prefix> chunk) {
    Update u;
    u.attributes.mp_unreach = MpUnreach{kIpv6Unicast, std::move(chunk)};
    return u;
  };
  return pack(prefixes, make, 3, options, out);  // AFI (2) + SAFI (1)
}

std::expected<void, EncodeError> pack_announcements(const RouteAttributes& attributes,
                                                    std::span<const platform::Prefix> prefixes,
                                                    platform::Family family,
                                                    const PackOptions& options,
                                                    UpdateMessages& out) {
  PathAttributes pa = to_path_attributes(attributes, family);
  if (family == platform::Family::v4) {
    if (!pa.next_hop) return std::unexpected(EncodeError::bad_next_hop);
    auto make = [&pa](std::vector<platform::Prefix> chunk) {
      Update u;
      u.attributes = pa;
      u.nlri = std::move(chunk);
      return u;
    };
    return pack(prefixes, make, 0, options, out);
  }
  if (!pa.mp_reach) return std::unexpected(EncodeError::bad_next_hop);
  // AFI, SAFI, next hop length, next hop(s), Reserved (RFC 4760 §3).
  std::size_t mp_value = 5 + pa.mp_reach->next_hop.bytes().size() +
                         (pa.mp_reach->link_local_next_hop ? 16 : 0);
  auto make = [&pa](std::vector<platform::Prefix> chunk) {
    Update u;
    u.attributes = pa;
    u.attributes.mp_reach->nlri = std::move(chunk);
    return u;
  };
  return pack(prefixes, make, mp_value, options, out);
}

}  // namespace fbf::bgp
