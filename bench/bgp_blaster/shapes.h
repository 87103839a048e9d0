#pragma once
// Full-table shapes for the BGP receive benchmarks (issue 4): a whole table
// pre-encoded into one buffer of back-to-back UPDATE messages, ending with the
// End-of-RIB marker (RFC 4724 §2), so a sender only has to write bytes.
//
//   packed     1,000,000 IPv4 /24s, 840 per UPDATE, one attribute set
//              (~1,200 UPDATEs, as a route server or table dump packs them)
//   realistic  1,000,000 IPv4 /24s, 4 per UPDATE, 250,000 distinct
//              attribute sets (as a full table from a transit arrives)
//   ipv6       200,000 IPv6 /48s in MP_REACH_NLRI, 4 per UPDATE, 50,000
//              distinct attribute sets
//
// Prefixes: IPv4 /24s counting up from 1.0.0.0, IPv6 /48s from 2a00::/16.
// They only ever exist inside the benchmark's network namespaces.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/ip.h"

namespace fbf::bench {

struct Shape {
  std::string name;
  platform::Family family = platform::Family::v4;
  std::uint32_t prefixes = 0;
  std::uint32_t per_update = 0;      // NLRI per UPDATE (the last one may hold fewer)
  std::uint32_t attribute_sets = 1;  // UPDATE i carries attribute set i % attribute_sets
};

// "packed", "realistic" or "ipv6" with its default size; nullopt otherwise.
std::optional<Shape> shape_named(std::string_view name);

struct TableOptions {
  std::uint32_t local_as = 65010;  // first AS of every AS_PATH (eBGP)
  platform::IpAddress next_hop;    // NEXT_HOP, or MP_REACH_NLRI next hop for IPv6
};

struct EncodedTable {
  std::vector<std::uint8_t> bytes;  // the UPDATEs, then End-of-RIB
  std::uint64_t updates = 0;        // UPDATEs carrying prefixes (End-of-RIB not counted)
  std::uint64_t prefixes = 0;
};

// The i-th prefix of the shape's family.
platform::Prefix table_prefix(platform::Family family, std::uint32_t i);

// Fails (nullopt) if the next hop's family does not suit the shape or a
// message would not fit 4,096 octets.
std::optional<EncodedTable> encode_table(const Shape& shape, const TableOptions& options);

}  // namespace fbf::bench
