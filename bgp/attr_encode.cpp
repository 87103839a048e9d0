// Encoders for the path attributes we send (RFC 4271 §4.3, §5; RFC 1997;
// RFC 4760; RFC 8092).
#include <algorithm>

#include "bgp/attributes.h"
#include "bgp/nlri.h"

namespace fbf::bgp {

namespace {

constexpr std::uint8_t kWellKnown = attr_flag::transitive;
constexpr std::uint8_t kOptional = attr_flag::optional;
constexpr std::uint8_t kOptionalTransitive = attr_flag::optional | attr_flag::transitive;

std::unexpected<EncodeError> error(EncodeError e) { return std::unexpected(e); }

}  // namespace

AsPath as_sequence(std::vector<std::uint32_t> asns) {
  AsPath path;
  if (!asns.empty()) path.push_back({AsSegmentType::as_sequence, std::move(asns)});
  return path;
}

std::size_t begin_attribute(Writer& w, std::uint8_t flags, AttrType type) {
  std::size_t start = w.size();
  w.u8(flags | attr_flag::extended_length);  // cleared by end_attribute if short
  w.u8(static_cast<std::uint8_t>(type));
  w.u16(0);
  return start;
}

bool end_attribute(Writer& w, std::size_t start) {
  std::size_t len = w.size() - start - 4;
  if (len > 0xffff) {
    w.truncate(start);
    return false;
  }
  if (len <= 255) {
    // RFC 4271 §4.3: one length octet unless the Extended Length bit is set.
    w.patch_u8(start, static_cast<std::uint8_t>(w.at(start) & ~attr_flag::extended_length));
    w.erase_byte(start + 2);
    w.patch_u8(start + 2, static_cast<std::uint8_t>(len));
    return true;
  }
  w.patch_u16(start + 2, static_cast<std::uint16_t>(len));
  return true;
}

void encode_origin(Writer& w, Origin origin) {
  std::size_t at = begin_attribute(w, kWellKnown, AttrType::origin);
  w.u8(static_cast<std::uint8_t>(origin));
  end_attribute(w, at);
}

bool encode_as_path(Writer& w, const AsPath& path, bool four_octet_as) {
  std::size_t at = begin_attribute(w, kWellKnown, AttrType::as_path);
  for (const AsPathSegment& seg : path) {
    // A segment holds at most 255 AS numbers: longer ones are split; empty
    // ones are left out (RFC 7606 §7.2 calls them malformed).
    for (std::size_t i = 0; i < seg.asns.size(); i += 255) {
      std::size_t n = std::min<std::size_t>(seg.asns.size() - i, 255);
      w.u8(static_cast<std::uint8_t>(seg.type));
      w.u8(static_cast<std::uint8_t>(n));
      for (std::size_t k = i; k < i + n; ++k) {
        std::uint32_t asn = seg.asns[k];
        if (four_octet_as) {
          w.u32(asn);
        } else {
          w.u16(asn > 0xffff ? 23456 : static_cast<std::uint16_t>(asn));  // AS_TRANS
        }
      }
    }
  }
  return end_attribute(w, at);
}

std::expected<void, EncodeError> encode_next_hop(Writer& w, const platform::IpAddress& next_hop) {
  if (!next_hop.is_v4()) return error(EncodeError::family_mismatch);
  std::size_t at = begin_attribute(w, kWellKnown, AttrType::next_hop);
  w.bytes(next_hop.bytes());
  end_attribute(w, at);
  return {};
}

void encode_med(Writer& w, std::uint32_t med) {
  std::size_t at = begin_attribute(w, kOptional, AttrType::multi_exit_disc);
  w.u32(med);
  end_attribute(w, at);
}

void encode_local_pref(Writer& w, std::uint32_t local_pref) {
  std::size_t at = begin_attribute(w, kWellKnown, AttrType::local_pref);
  w.u32(local_pref);
  end_attribute(w, at);
}

void encode_atomic_aggregate(Writer& w) {
  end_attribute(w, begin_attribute(w, kWellKnown, AttrType::atomic_aggregate));
}

std::expected<void, EncodeError> encode_aggregator(Writer& w, const Aggregator& a, bool four_octet_as) {
  if (!a.address.is_v4()) return error(EncodeError::family_mismatch);
  std::size_t at = begin_attribute(w, kOptionalTransitive, AttrType::aggregator);
  if (four_octet_as) {
    w.u32(a.asn);
  } else {
    w.u16(a.asn > 0xffff ? 23456 : static_cast<std::uint16_t>(a.asn));
  }
  w.bytes(a.address.bytes());
  end_attribute(w, at);
  return {};
}

bool encode_communities(Writer& w, const std::vector<std::uint32_t>& communities) {
  if (communities.empty()) return true;  // RFC 7606 §7.8: an empty one is malformed
  std::size_t at = begin_attribute(w, kOptionalTransitive, AttrType::communities);
  for (std::uint32_t c : communities) w.u32(c);
  return end_attribute(w, at);
}

bool encode_large_communities(Writer& w, const std::vector<LargeCommunity>& communities) {
  if (communities.empty()) return true;  // RFC 8092 §6: an empty one is malformed
  std::size_t at = begin_attribute(w, kOptionalTransitive, AttrType::large_community);
  for (const LargeCommunity& c : communities) {
    w.u32(c.global_admin);
    w.u32(c.local1);
    w.u32(c.local2);
  }
  return end_attribute(w, at);
}

namespace {

std::optional<platform::Family> unicast_family(AfiSafi f) {
  if (f == kIpv4Unicast) return platform::Family::v4;
  if (f == kIpv6Unicast) return platform::Family::v6;
  return std::nullopt;
}

std::expected<void, EncodeError> encode_prefixes(Writer& w, const std::vector<platform::Prefix>& prefixes,
                                          platform::Family family) {
  for (const platform::Prefix& p : prefixes) {
    if (p.family() != family) return error(EncodeError::family_mismatch);
    encode_prefix(w, p);
  }
  return {};
}

}  // namespace

std::expected<void, EncodeError> encode_mp_reach(Writer& w, const MpReach& reach) {
  auto family = unicast_family(reach.family);
  if (!family) return error(EncodeError::family_mismatch);
  // IPv6 needs an IPv6 next hop (16 octets, or 32 with a link-local one);
  // IPv4 takes 4 octets, or an IPv6 next hop (RFC 8950).
  if (*family == platform::Family::v6 && !reach.next_hop.is_v6()) {
    return error(EncodeError::family_mismatch);
  }
  if (reach.link_local_next_hop && (!reach.next_hop.is_v6() || !reach.link_local_next_hop->is_v6())) {
    return error(EncodeError::bad_next_hop);
  }
  std::size_t start = w.size();
  std::size_t at = begin_attribute(w, kOptional, AttrType::mp_reach_nlri);
  w.u16(reach.family.afi);
  w.u8(reach.family.safi);
  w.u8(static_cast<std::uint8_t>(reach.next_hop.bytes().size() +
                                 (reach.link_local_next_hop ? 16 : 0)));
  w.bytes(reach.next_hop.bytes());
  if (reach.link_local_next_hop) w.bytes(reach.link_local_next_hop->bytes());
  w.u8(0);  // Reserved (RFC 4760 §3)
  if (auto r = encode_prefixes(w, reach.nlri, *family); !r) {
    w.truncate(start);
    return r;
  }
  if (!end_attribute(w, at)) return error(EncodeError::attribute_too_long);
  return {};
}

std::expected<void, EncodeError> encode_mp_unreach(Writer& w, const MpUnreach& unreach) {
  auto family = unicast_family(unreach.family);
  if (!family) return error(EncodeError::family_mismatch);
  std::size_t start = w.size();
  std::size_t at = begin_attribute(w, kOptional, AttrType::mp_unreach_nlri);
  w.u16(unreach.family.afi);
  w.u8(unreach.family.safi);
  if (auto r = encode_prefixes(w, unreach.withdrawn, *family); !r) {
    w.truncate(start);
    return r;
  }
  if (!end_attribute(w, at)) return error(EncodeError::attribute_too_long);
  return {};
}

std::expected<void, EncodeError> encode_path_attributes(Writer& w, const PathAttributes& a,
                                                 const EncodeOptions& options) {
  // RFC 7606 §5.1: MP_REACH_NLRI / MP_UNREACH_NLRI first.
  if (a.mp_reach) {
    if (auto r = encode_mp_reach(w, *a.mp_reach); !r) return r;
  }
  if (a.mp_unreach) {
    if (auto r = encode_mp_unreach(w, *a.mp_unreach); !r) return r;
  }
  if (a.origin) encode_origin(w, *a.origin);
  if (a.as_path && !encode_as_path(w, *a.as_path, options.four_octet_as)) {
    return error(EncodeError::attribute_too_long);
  }
  if (a.next_hop) {
    if (auto r = encode_next_hop(w, *a.next_hop); !r) return r;
  }
  if (a.med) encode_med(w, *a.med);
  if (a.local_pref) encode_local_pref(w, *a.local_pref);
  if (a.atomic_aggregate) encode_atomic_aggregate(w);
  if (a.aggregator) {
    if (auto r = encode_aggregator(w, *a.aggregator, options.four_octet_as); !r) return r;
  }
  if (!encode_communities(w, a.communities) || !encode_large_communities(w, a.large_communities)) {
    return error(EncodeError::attribute_too_long);
  }
  return {};
}

}  // namespace fbf::bgp
