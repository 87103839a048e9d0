#pragma once
// Path attributes (RFC 4271 §4.3, §5): type codes, flags, the value types the
// full decoder fills, and the encoders for the attributes we send.
//
// Validation (RFC 7606) is not here: attr_check.h decides whether an
// attribute is acceptable; decode_attribute() turns an accepted one into
// values.

#include <cstdint>
#include <optional>
#include <vector>

#include "bgp/capabilities.h"
#include "bgp/reader.h"
#include <expected>
#include "platform/ip.h"

namespace fbf::bgp {

// RFC 4271 §4.3 Attribute Flags.
namespace attr_flag {
inline constexpr std::uint8_t optional = 0x80;
inline constexpr std::uint8_t transitive = 0x40;
inline constexpr std::uint8_t partial = 0x20;
inline constexpr std::uint8_t extended_length = 0x10;
}  // namespace attr_flag

enum class AttrType : std::uint8_t {
  origin = 1,             // RFC 4271 §5.1.1
  as_path = 2,            // RFC 4271 §5.1.2
  next_hop = 3,           // RFC 4271 §5.1.3
  multi_exit_disc = 4,    // RFC 4271 §5.1.4
  local_pref = 5,         // RFC 4271 §5.1.5
  atomic_aggregate = 6,   // RFC 4271 §5.1.6
  aggregator = 7,         // RFC 4271 §5.1.7
  communities = 8,        // RFC 1997
  originator_id = 9,      // RFC 4456
  cluster_list = 10,      // RFC 4456
  mp_reach_nlri = 14,     // RFC 4760 §3
  mp_unreach_nlri = 15,   // RFC 4760 §4
  extended_communities = 16,  // RFC 4360
  as4_path = 17,          // RFC 6793 §9
  as4_aggregator = 18,    // RFC 6793 §9
  ipv6_extended_communities = 25,  // RFC 5701
  large_community = 32,   // RFC 8092
  otc = 35,               // RFC 9234 §5
};

enum class Origin : std::uint8_t { igp = 0, egp = 1, incomplete = 2 };

// RFC 4271 §4.3 (1, 2), RFC 5065 (3, 4).
enum class AsSegmentType : std::uint8_t {
  as_set = 1,
  as_sequence = 2,
  as_confed_sequence = 3,
  as_confed_set = 4,
};

struct AsPathSegment {
  AsSegmentType type = AsSegmentType::as_sequence;
  std::vector<std::uint32_t> asns;
  friend bool operator==(const AsPathSegment&, const AsPathSegment&) = default;
};
using AsPath = std::vector<AsPathSegment>;

// A plain AS_SEQUENCE of `asns` (what an announcer usually sends).
AsPath as_sequence(std::vector<std::uint32_t> asns);

struct Aggregator {
  std::uint32_t asn = 0;
  platform::IpAddress address;
  friend bool operator==(const Aggregator&, const Aggregator&) = default;
};

struct LargeCommunity {
  std::uint32_t global_admin = 0;
  std::uint32_t local1 = 0;
  std::uint32_t local2 = 0;
  friend bool operator==(const LargeCommunity&, const LargeCommunity&) = default;
};

// RFC 1997 well-known communities; RFC 8326 §5.
namespace community {
inline constexpr std::uint32_t no_export = 0xFFFFFF01;
inline constexpr std::uint32_t no_advertise = 0xFFFFFF02;
inline constexpr std::uint32_t no_export_subconfed = 0xFFFFFF03;
inline constexpr std::uint32_t graceful_shutdown = 0xFFFF0000;
}  // namespace community

// MP_REACH_NLRI (RFC 4760 §3). For IPv4/IPv6 unicast the next hop is one
// address (4 or 16 octets) or, for 32 octets, a global plus a link-local one.
// Other families are kept as AFI/SAFI only (we do not parse their NLRI).
struct MpReach {
  AfiSafi family;
  platform::IpAddress next_hop;
  std::optional<platform::IpAddress> link_local_next_hop;
  std::vector<platform::Prefix> nlri;
  friend bool operator==(const MpReach&, const MpReach&) = default;
};

// MP_UNREACH_NLRI (RFC 4760 §4).
struct MpUnreach {
  AfiSafi family;
  std::vector<platform::Prefix> withdrawn;
  friend bool operator==(const MpUnreach&, const MpUnreach&) = default;
};

// An attribute we do not know: recorded, not kept (we never re-advertise).
struct UnknownAttribute {
  std::uint8_t flags = 0;
  std::uint8_t type = 0;
  std::uint16_t length = 0;
  friend bool operator==(const UnknownAttribute&, const UnknownAttribute&) = default;
};

struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;
  std::optional<platform::IpAddress> next_hop;
  std::optional<std::uint32_t> med;
  std::optional<std::uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::vector<std::uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  // Received only (never encoded):
  std::optional<std::uint32_t> originator_id;
  std::vector<std::uint32_t> cluster_list;
  std::vector<std::uint64_t> extended_communities;
  std::optional<AsPath> as4_path;  // AS_CONFED_* segments dropped (RFC 6793 §6)
  std::optional<Aggregator> as4_aggregator;
  std::optional<std::uint32_t> otc;
  std::vector<UnknownAttribute> unknown;
  friend bool operator==(const PathAttributes&, const PathAttributes&) = default;
};

// Stores one attribute's value into `attrs`. Meant for attributes that
// check_attribute() (attr_check.h) accepted; still bounds-checked, returns
// false if the value cannot be read. `four_octet_as`: RFC 6793 negotiated, so
// AS_PATH and AGGREGATOR carry 4-octet AS numbers.
bool decode_attribute(PathAttributes& attrs, std::uint8_t flags, std::uint8_t type, Bytes value,
                      bool four_octet_as);

// ---- Encoding ----

enum class EncodeError : std::uint8_t {
  message_too_long,    // does not fit the maximum message length
  attribute_too_long,  // an attribute value above 65535 octets
  family_mismatch,     // a prefix or next hop of the wrong family
  bad_next_hop,        // e.g. a link-local next hop without a global one
};

struct EncodeOptions {
  bool four_octet_as = true;  // RFC 6793 §4.1; else AS_TRANS in 2-octet fields
  std::size_t max_length = 4096;
};

// Attribute header + value; the Extended Length flag is set only when the
// value exceeds 255 octets (RFC 4271 §4.3). begin_attribute returns the
// position end_attribute needs.
std::size_t begin_attribute(Writer& w, std::uint8_t flags, AttrType type);
bool end_attribute(Writer& w, std::size_t start);

void encode_origin(Writer& w, Origin origin);
// 4-octet AS numbers unless !four_octet_as (then AS_TRANS for the ones above
// 65535, RFC 6793 §4.2.2; we do not add AS4_PATH: peers must be NEW speakers).
bool encode_as_path(Writer& w, const AsPath& path, bool four_octet_as = true);
std::expected<void, EncodeError> encode_next_hop(Writer& w, const platform::IpAddress& next_hop);
void encode_med(Writer& w, std::uint32_t med);
void encode_local_pref(Writer& w, std::uint32_t local_pref);
void encode_atomic_aggregate(Writer& w);
std::expected<void, EncodeError> encode_aggregator(Writer& w, const Aggregator& a, bool four_octet_as);
bool encode_communities(Writer& w, const std::vector<std::uint32_t>& communities);
bool encode_large_communities(Writer& w, const std::vector<LargeCommunity>& communities);
std::expected<void, EncodeError> encode_mp_reach(Writer& w, const MpReach& reach);
std::expected<void, EncodeError> encode_mp_unreach(Writer& w, const MpUnreach& unreach);

// All encodable attributes: MP_REACH_NLRI and MP_UNREACH_NLRI first
// (RFC 7606 §5.1), the others by type code. Received-only fields are skipped.
std::expected<void, EncodeError> encode_path_attributes(Writer& w, const PathAttributes& attrs,
                                                 const EncodeOptions& options = {});

}  // namespace fbf::bgp
