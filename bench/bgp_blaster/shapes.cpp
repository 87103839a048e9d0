#include "bench/bgp_blaster/shapes.h"

#include <array>

#include "bgp/message.h"
#include "bgp/update.h"

namespace fbf::bench {

std::optional<Shape> shape_named(std::string_view name) {
  using platform::Family;
  if (name == "packed") return Shape{"packed", Family::v4, 1'000'000, 840, 1};
  if (name == "realistic") return Shape{"realistic", Family::v4, 1'000'000, 4, 250'000};
  if (name == "ipv6") return Shape{"ipv6", Family::v6, 200'000, 4, 50'000};
  return std::nullopt;
}

platform::Prefix table_prefix(platform::Family family, std::uint32_t i) {
  if (family == platform::Family::v4) {
    const std::uint32_t a = (1u << 24) + (i << 8);  // 1.0.0.0/24, 1.0.1.0/24, ...
    return *platform::Prefix::make(
        platform::IpAddress::v4({static_cast<std::uint8_t>(a >> 24),
                                 static_cast<std::uint8_t>(a >> 16),
                                 static_cast<std::uint8_t>(a >> 8), 0}),
        24);
  }
  // 2a00:XXXX:XXXX::/48 with i in the 32 bits after 2a00::/16.
  std::array<std::uint8_t, 16> b{0x2a, 0x00, static_cast<std::uint8_t>(i >> 24),
                                 static_cast<std::uint8_t>(i >> 16),
                                 static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
  return *platform::Prefix::make(platform::IpAddress::v6(b), 48);
}

namespace {

// Attribute set k: distinct AS_PATH (its last AS is unique to k), MED and
// communities, 3 to 6 ASNs long, as real paths vary.
bgp::PathAttributes attribute_set(std::uint32_t k, const TableOptions& o) {
  bgp::PathAttributes a;
  a.origin = bgp::Origin::igp;
  std::vector<std::uint32_t> path{o.local_as};
  const std::uint32_t transit[] = {3356, 1299, 174, 2914, 6939, 6453};
  for (std::uint32_t j = 0; j < k % 4; ++j) path.push_back(transit[(k + j) % 6]);
  path.push_back(k == 0 ? 64512 : 100000 + k);  // RFC 6793 4-octet ASNs
  a.as_path = bgp::as_sequence(path);
  a.med = k % 1000;
  a.communities = {(o.local_as << 16) | (k & 0xffff), (65000u << 16) | (k >> 16)};
  return a;
}

}  // namespace

std::optional<EncodedTable> encode_table(const Shape& shape, const TableOptions& options) {
  const bool v4 = shape.family == platform::Family::v4;
  if (options.next_hop.is_v4() != v4 || shape.per_update == 0 || shape.attribute_sets == 0) {
    return std::nullopt;
  }
  EncodedTable out;
  const std::uint32_t updates = (shape.prefixes + shape.per_update - 1) / shape.per_update;
  for (std::uint32_t u = 0, next = 0; u < updates; ++u) {
    bgp::Update update;
    update.attributes = attribute_set(u % shape.attribute_sets, options);
    std::vector<platform::Prefix> nlri;
    for (std::uint32_t n = 0; n < shape.per_update && next < shape.prefixes; ++n) {
      nlri.push_back(table_prefix(shape.family, next++));
    }
    out.prefixes += nlri.size();
    if (v4) {
      update.attributes.next_hop = options.next_hop;
      update.nlri = std::move(nlri);
    } else {
      update.attributes.mp_reach =
          bgp::MpReach{bgp::kIpv6Unicast, options.next_hop, std::nullopt, std::move(nlri)};
    }
    auto message = bgp::encode_update(update);
    if (!message) return std::nullopt;
    out.bytes.insert(out.bytes.end(), message->begin(), message->end());
    ++out.updates;
  }
  auto eor = bgp::encode_end_of_rib(v4 ? bgp::kIpv4Unicast : bgp::kIpv6Unicast);
  out.bytes.insert(out.bytes.end(), eor.begin(), eor.end());
  return out;
}

}  // namespace fbf::bench
