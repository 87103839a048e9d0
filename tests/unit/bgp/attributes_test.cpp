// Byte-exact path attribute encodings (RFC 4271 §4.3, §5; RFC 1997;
// RFC 4760 §3, §4; RFC 8092) and their decoding.
#include "bgp/attributes.h"

#include <gtest/gtest.h>

#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using platform::IpAddress;
using platform::Prefix;
using test::Buf;

template <class F>
Buf encoded(F f) {
  Buf out;
  Writer w(out);
  f(w);
  return out;
}

PathAttributes decoded(const Buf& attribute, bool four_octet_as = true) {
  PathAttributes a;
  Reader r(attribute);
  std::uint8_t flags = *r.u8();
  std::uint8_t type = *r.u8();
  std::size_t len = (flags & 0x10) ? *r.u16() : *r.u8();
  EXPECT_TRUE(decode_attribute(a, flags, type, *r.take(len), four_octet_as));
  return a;
}

TEST(Attributes, Origin) {
  // flags 0x40 (well-known transitive), type 1, length 1, IGP.
  EXPECT_EQ(encoded([](Writer& w) { encode_origin(w, Origin::igp); }), (Buf{0x40, 0x01, 0x01, 0x00}));
  EXPECT_EQ(encoded([](Writer& w) { encode_origin(w, Origin::incomplete); }),
            (Buf{0x40, 0x01, 0x01, 0x02}));
  EXPECT_EQ(decoded({0x40, 0x01, 0x01, 0x01}).origin, Origin::egp);
}

TEST(Attributes, AsPathFourOctet) {
  // AS_SEQUENCE of 65001 4200000001 with 4-octet AS numbers (RFC 6793 §4.1).
  const Buf expected{0x40, 0x02, 0x0a,                    // flags, AS_PATH, length 10
                     0x02, 0x02,                          // AS_SEQUENCE, 2 ASNs
                     0x00, 0x00, 0xfd, 0xe9,              // 65001
                     0xfa, 0x56, 0xea, 0x01};             // 4200000001
  AsPath path = as_sequence({65001, 4200000001u});
  EXPECT_EQ(encoded([&](Writer& w) { encode_as_path(w, path); }), expected);
  EXPECT_EQ(decoded(expected).as_path, path);
  // An empty AS_PATH (iBGP origination) is a zero-length attribute.
  EXPECT_EQ(encoded([](Writer& w) { encode_as_path(w, {}); }), (Buf{0x40, 0x02, 0x00}));
}

TEST(Attributes, AsPathTwoOctetUsesAsTrans) {
  // RFC 6793 §4.2.2: non-mappable ASNs become AS_TRANS (23456 = 0x5BA0).
  const Buf expected{0x40, 0x02, 0x06, 0x02, 0x02, 0xfd, 0xe9, 0x5b, 0xa0};
  EXPECT_EQ(encoded([](Writer& w) { encode_as_path(w, as_sequence({65001, 4200000001u}), false); }),
            expected);
  EXPECT_EQ(decoded(expected, false).as_path, as_sequence({65001, 23456}));
}

TEST(Attributes, AsPathSetAndLongSegmentsSplit) {
  AsPath path{{AsSegmentType::as_sequence, {}}, {AsSegmentType::as_set, {1, 2}}};
  const Buf expected{0x40, 0x02, 0x0a, 0x01, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
  EXPECT_EQ(encoded([&](Writer& w) { encode_as_path(w, path); }), expected);  // empty one left out

  std::vector<std::uint32_t> many(300, 64512);
  Buf b = encoded([&](Writer& w) { encode_as_path(w, as_sequence(many)); });
  // 2 segments: 2 + 255*4 + 2 + 45*4 = 1204 octets: Extended Length.
  EXPECT_EQ(b[0], 0x50);
  EXPECT_EQ((b[2] << 8) | b[3], 1204);
  EXPECT_EQ(b[4], 0x02);
  EXPECT_EQ(b[5], 255);
  auto d = decoded(b).as_path;
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[1].asns.size(), 45u);
}

TEST(Attributes, NextHop) {
  const Buf expected{0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01};  // 192.0.2.1
  EXPECT_EQ(encoded([](Writer& w) { (void)encode_next_hop(w, *IpAddress::parse("192.0.2.1")); }),
            expected);
  EXPECT_EQ(decoded(expected).next_hop, IpAddress::parse("192.0.2.1"));
  Buf out;
  Writer w(out);
  EXPECT_FALSE(encode_next_hop(w, *IpAddress::parse("2001:db8::1")));
  EXPECT_TRUE(out.empty());
}

TEST(Attributes, MultiExitDisc) {
  // flags 0x80: optional non-transitive.
  const Buf expected{0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x64};
  EXPECT_EQ(encoded([](Writer& w) { encode_med(w, 100); }), expected);
  EXPECT_EQ(decoded(expected).med, 100u);
}

TEST(Attributes, LocalPref) {
  const Buf expected{0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0xc8};
  EXPECT_EQ(encoded([](Writer& w) { encode_local_pref(w, 200); }), expected);
  EXPECT_EQ(decoded(expected).local_pref, 200u);
}

TEST(Attributes, AtomicAggregateAndAggregator) {
  EXPECT_EQ(encoded([](Writer& w) { encode_atomic_aggregate(w); }), (Buf{0x40, 0x06, 0x00}));
  EXPECT_TRUE(decoded({0x40, 0x06, 0x00}).atomic_aggregate);
  Aggregator a{65001, *IpAddress::parse("192.0.2.1")};
  const Buf four{0xc0, 0x07, 0x08, 0x00, 0x00, 0xfd, 0xe9, 0xc0, 0x00, 0x02, 0x01};
  const Buf two{0xc0, 0x07, 0x06, 0xfd, 0xe9, 0xc0, 0x00, 0x02, 0x01};
  EXPECT_EQ(encoded([&](Writer& w) { (void)encode_aggregator(w, a, true); }), four);
  EXPECT_EQ(encoded([&](Writer& w) { (void)encode_aggregator(w, a, false); }), two);
  EXPECT_EQ(decoded(four).aggregator, a);
  EXPECT_EQ(decoded(two, false).aggregator, a);
}

TEST(Attributes, Communities) {
  // RFC 1997: optional transitive, 4 octets each: 65001:100 and NO_EXPORT.
  const Buf expected{0xc0, 0x08, 0x08, 0xfd, 0xe9, 0x00, 0x64, 0xff, 0xff, 0xff, 0x01};
  std::vector<std::uint32_t> c{0xfde90064, community::no_export};
  EXPECT_EQ(encoded([&](Writer& w) { encode_communities(w, c); }), expected);
  EXPECT_EQ(decoded(expected).communities, c);
  EXPECT_TRUE(encoded([](Writer& w) { encode_communities(w, {}); }).empty());
}

TEST(Attributes, CommunitiesAbove255OctetsUseExtendedLength) {
  std::vector<std::uint32_t> c(64, community::graceful_shutdown);  // 256 octets
  Buf b = encoded([&](Writer& w) { encode_communities(w, c); });
  ASSERT_EQ(b.size(), 4u + 256u);
  EXPECT_EQ((Buf{b[0], b[1], b[2], b[3]}), (Buf{0xd0, 0x08, 0x01, 0x00}));  // 0xC0 | 0x10
  EXPECT_EQ(decoded(b).communities, c);
  // 63 communities = 252 octets: one length octet.
  c.pop_back();
  Buf s = encoded([&](Writer& w) { encode_communities(w, c); });
  EXPECT_EQ((Buf{s[0], s[1], s[2]}), (Buf{0xc0, 0x08, 0xfc}));
}

TEST(Attributes, LargeCommunity) {
  // RFC 8092: 12 octets each, 65001:1:2.
  const Buf expected{0xc0, 0x20, 0x0c, 0x00, 0x00, 0xfd, 0xe9, 0x00, 0x00,
                     0x00, 0x01, 0x00, 0x00, 0x00, 0x02};
  std::vector<LargeCommunity> c{{65001, 1, 2}};
  EXPECT_EQ(encoded([&](Writer& w) { encode_large_communities(w, c); }), expected);
  EXPECT_EQ(decoded(expected).large_communities, c);
}

TEST(Attributes, MpReachIpv6) {
  // RFC 4760 §3: AFI 2, SAFI 1, next hop 2001:db8::1 (16), Reserved,
  // 2001:db8:100::/40.
  const Buf expected{0x80, 0x0e, 0x1b,  // optional non-transitive, type 14, length 27
                     0x00, 0x02, 0x01, 0x10,
                     0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
                     0x00,
                     0x28, 0x20, 0x01, 0x0d, 0xb8, 0x01};
  MpReach reach{kIpv6Unicast, *IpAddress::parse("2001:db8::1"), std::nullopt,
                {*Prefix::parse("2001:db8:100::/40")}};
  EXPECT_EQ(encoded([&](Writer& w) { (void)encode_mp_reach(w, reach); }), expected);
  EXPECT_EQ(decoded(expected).mp_reach, reach);
}

TEST(Attributes, MpReachIpv6WithLinkLocalNextHop) {
  // 32-octet next hop: global + link-local (fe80::1).
  MpReach reach{kIpv6Unicast, *IpAddress::parse("2001:db8::1"), IpAddress::parse("fe80::1"),
                {*Prefix::parse("::/0")}};
  Buf b = encoded([&](Writer& w) { (void)encode_mp_reach(w, reach); });
  ASSERT_EQ(b.size(), 3u + 3u + 1u + 32u + 1u + 1u);
  EXPECT_EQ(b[6], 32);
  EXPECT_EQ((Buf{b[23], b[24]}), (Buf{0xfe, 0x80}));
  EXPECT_EQ(b.back(), 0);  // ::/0 is just its length octet
  EXPECT_EQ(decoded(b).mp_reach, reach);
}

TEST(Attributes, MpReachRejectsWrongFamilies) {
  Buf out;
  Writer w(out);
  MpReach v6_with_v4_hop{kIpv6Unicast, *IpAddress::parse("192.0.2.1"), std::nullopt, {}};
  EXPECT_EQ(encode_mp_reach(w, v6_with_v4_hop).error(), EncodeError::family_mismatch);
  MpReach v6_with_v4_prefix{kIpv6Unicast, *IpAddress::parse("2001:db8::1"), std::nullopt,
                            {*Prefix::parse("10.0.0.0/8")}};
  EXPECT_EQ(encode_mp_reach(w, v6_with_v4_prefix).error(), EncodeError::family_mismatch);
  EXPECT_TRUE(out.empty());
}

TEST(Attributes, MpUnreachIpv6) {
  const Buf expected{0x80, 0x0f, 0x09, 0x00, 0x02, 0x01, 0x28, 0x20, 0x01, 0x0d, 0xb8, 0x01};
  MpUnreach unreach{kIpv6Unicast, {*Prefix::parse("2001:db8:100::/40")}};
  EXPECT_EQ(encoded([&](Writer& w) { (void)encode_mp_unreach(w, unreach); }), expected);
  EXPECT_EQ(decoded(expected).mp_unreach, unreach);
}

TEST(Attributes, PathAttributesPutMpFirstThenTypeOrder) {
  PathAttributes a;
  a.origin = Origin::igp;
  a.med = 5;
  a.mp_unreach = MpUnreach{kIpv6Unicast, {}};
  Buf b = encoded([&](Writer& w) { ASSERT_TRUE(encode_path_attributes(w, a)); });
  EXPECT_EQ(b, (Buf{0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,            // MP_UNREACH first
                    0x40, 0x01, 0x01, 0x00,                        // ORIGIN
                    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x05}));   // MED
}

TEST(Attributes, ReceivedOnlyAttributesDecode) {
  PathAttributes a;
  EXPECT_TRUE(decode_attribute(a, 0x80, 9, Buf{10, 0, 0, 1}, true));
  EXPECT_EQ(a.originator_id, 0x0a000001u);
  EXPECT_TRUE(decode_attribute(a, 0xc0, 16, Buf{0, 2, 0xfd, 0xe9, 0, 0, 0, 7}, true));
  EXPECT_EQ(a.extended_communities, (std::vector<std::uint64_t>{0x0002fde900000007ull}));
  // RFC 6793 §6: AS_CONFED_SEQUENCE in AS4_PATH is dropped.
  EXPECT_TRUE(decode_attribute(a, 0xc0, 17, Buf{3, 1, 0, 0, 0, 1, 2, 1, 0, 0, 0, 2}, true));
  EXPECT_EQ(a.as4_path, as_sequence({2}));
  EXPECT_TRUE(decode_attribute(a, 0xe0, 99, Buf{1, 2, 3}, true));
  EXPECT_EQ(a.unknown, (std::vector<UnknownAttribute>{{0xe0, 99, 3}}));
}

}  // namespace
}  // namespace fbf::bgp
