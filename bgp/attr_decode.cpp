// Attribute values into PathAttributes (the full decoder; see attributes.h).
#include <utility>

#include "bgp/attributes.h"
#include "bgp/nlri.h"

namespace fbf::bgp {

namespace {

using platform::Family;
using platform::IpAddress;

std::optional<IpAddress> read_v4(Reader& r) {
  auto b = r.take(4);
  if (!b) return std::nullopt;
  return IpAddress::v4({(*b)[0], (*b)[1], (*b)[2], (*b)[3]});
}

std::optional<AsPath> read_as_path(Bytes value, std::size_t asn_size) {
  AsPath path;
  Reader r(value);
  while (!r.empty()) {
    auto type = r.u8();
    auto count = r.u8();
    if (!count || *type < 1 || *type > 4 || *count == 0) return std::nullopt;
    AsPathSegment seg;
    seg.type = static_cast<AsSegmentType>(*type);
    seg.asns.reserve(*count);
    for (int i = 0; i < *count; ++i) {
      std::optional<std::uint32_t> asn;
      if (asn_size == 4) {
        asn = r.u32();
      } else if (auto a = r.u16()) {
        asn = *a;
      }
      if (!asn) return std::nullopt;
      seg.asns.push_back(*asn);
    }
    path.push_back(std::move(seg));
  }
  return path;
}

std::optional<Aggregator> read_aggregator(Bytes value, std::size_t asn_size) {
  if (value.size() != asn_size + 4) return std::nullopt;
  Reader r(value);
  Aggregator a;
  a.asn = asn_size == 4 ? *r.u32() : *r.u16();
  a.address = *read_v4(r);
  return a;
}

template <class T, std::size_t N, class Read>
bool read_list(Bytes value, std::vector<T>& out, Read read) {
  if (value.size() % N != 0) return false;
  Reader r(value);
  out.clear();
  out.reserve(value.size() / N);
  while (!r.empty()) out.push_back(read(r));
  return true;
}

bool decode_mp_reach(PathAttributes& attrs, Bytes value) {
  Reader r(value);
  auto afi = r.u16();
  auto safi = r.u8();
  auto nh_len = r.u8();
  auto nh = nh_len ? r.take(*nh_len) : std::nullopt;
  if (!afi || !safi || !nh || !r.skip(1)) return false;
  MpReach reach;
  reach.family = {*afi, *safi};
  if (reach.family != kIpv4Unicast && reach.family != kIpv6Unicast) {
    attrs.mp_reach = std::move(reach);  // family only: NLRI not parsed
    return true;
  }
  switch (nh->size()) {
    case 4: reach.next_hop = *IpAddress::from_bytes(*nh); break;
    case 16: reach.next_hop = *IpAddress::from_bytes(*nh); break;
    case 32:
      reach.next_hop = *IpAddress::from_bytes(nh->first(16));
      reach.link_local_next_hop = *IpAddress::from_bytes(nh->subspan(16));
      break;
    default: return false;
  }
  if (reach.family == kIpv6Unicast && nh->size() == 4) return false;
  Family f = reach.family == kIpv4Unicast ? Family::v4 : Family::v6;
  if (!decode_prefixes(r.rest(), f, reach.nlri)) return false;
  attrs.mp_reach = std::move(reach);
  return true;
}

bool decode_mp_unreach(PathAttributes& attrs, Bytes value) {
  Reader r(value);
  auto afi = r.u16();
  auto safi = r.u8();
  if (!afi || !safi) return false;
  MpUnreach unreach;
  unreach.family = {*afi, *safi};
  if (unreach.family == kIpv4Unicast || unreach.family == kIpv6Unicast) {
    Family f = unreach.family == kIpv4Unicast ? Family::v4 : Family::v6;
    if (!decode_prefixes(r.rest(), f, unreach.withdrawn)) return false;
  }
  attrs.mp_unreach = std::move(unreach);
  return true;
}

}  // namespace

bool decode_attribute(PathAttributes& attrs, std::uint8_t flags, std::uint8_t type, Bytes value,
                      bool four_octet_as) {
  Reader r(value);
  auto u32_exact = [&]() -> std::optional<std::uint32_t> {
    return value.size() == 4 ? r.u32() : std::nullopt;
  };
  switch (static_cast<AttrType>(type)) {
    case AttrType::origin:
      if (value.size() != 1 || value[0] > 2) return false;
      attrs.origin = static_cast<Origin>(value[0]);
      return true;
    case AttrType::as_path:
      attrs.as_path = read_as_path(value, four_octet_as ? 4 : 2);
      return attrs.as_path.has_value();
    case AttrType::next_hop:
      if (value.size() != 4) return false;
      attrs.next_hop = read_v4(r);
      return true;
    case AttrType::multi_exit_disc:
      attrs.med = u32_exact();
      return attrs.med.has_value();
    case AttrType::local_pref:
      attrs.local_pref = u32_exact();
      return attrs.local_pref.has_value();
    case AttrType::atomic_aggregate:
      attrs.atomic_aggregate = true;
      return value.empty();
    case AttrType::aggregator:
      attrs.aggregator = read_aggregator(value, four_octet_as ? 4 : 2);
      return attrs.aggregator.has_value();
    case AttrType::communities:
      return read_list<std::uint32_t, 4>(value, attrs.communities, [](Reader& x) { return *x.u32(); });
    case AttrType::originator_id:
      attrs.originator_id = u32_exact();
      return attrs.originator_id.has_value();
    case AttrType::cluster_list:
      return read_list<std::uint32_t, 4>(value, attrs.cluster_list, [](Reader& x) { return *x.u32(); });
    case AttrType::mp_reach_nlri: return decode_mp_reach(attrs, value);
    case AttrType::mp_unreach_nlri: return decode_mp_unreach(attrs, value);
    case AttrType::extended_communities:
      return read_list<std::uint64_t, 8>(value, attrs.extended_communities, [](Reader& x) {
        std::uint64_t high = *x.u32();  // two statements: operand order is unspecified
        return (high << 32) | *x.u32();
      });
    case AttrType::as4_path: {
      auto path = read_as_path(value, 4);
      if (!path) return false;
      // RFC 6793 §6: AS_CONFED_* segments in AS4_PATH are dropped.
      std::erase_if(*path, [](const AsPathSegment& s) {
        return s.type == AsSegmentType::as_confed_sequence || s.type == AsSegmentType::as_confed_set;
      });
      attrs.as4_path = std::move(path);
      return true;
    }
    case AttrType::as4_aggregator:
      attrs.as4_aggregator = read_aggregator(value, 4);
      return attrs.as4_aggregator.has_value();
    case AttrType::large_community:
      return read_list<LargeCommunity, 12>(value, attrs.large_communities, [](Reader& x) {
        LargeCommunity c;
        c.global_admin = *x.u32();
        c.local1 = *x.u32();
        c.local2 = *x.u32();
        return c;
      });
    case AttrType::otc:
      attrs.otc = u32_exact();
      return attrs.otc.has_value();
    case AttrType::ipv6_extended_communities:
      return value.size() % 20 == 0;  // checked, not kept
  }
  attrs.unknown.push_back({flags, type, static_cast<std::uint16_t>(value.size())});
  return true;
}

}  // namespace fbf::bgp
