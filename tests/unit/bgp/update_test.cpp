// Byte-exact UPDATE messages (RFC 4271 §4.3, RFC 4760) and the two decoders.
#include "bgp/update.h"

#include <gtest/gtest.h>

#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using platform::IpAddress;
using platform::Prefix;
using test::Buf;

const Buf kMarker(16, 0xff);

TEST(Update, Ipv4NlriByteExact) {
  const Buf expected = test::cat({
      kMarker,
      {0x00, 0x42},                          // length 66
      {0x02},                                // UPDATE
      {0x00, 0x00},                          // Withdrawn Routes Length 0
      {0x00, 0x22},                          // Total Path Attribute Length 34
      {0x40, 0x01, 0x01, 0x00},              // ORIGIN IGP
      {0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9},  // AS_PATH (65001)
      {0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01},              // NEXT_HOP 192.0.2.1
      {0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x64},              // MED 100
      {0xc0, 0x08, 0x04, 0xfd, 0xe9, 0x00, 0x64},              // COMMUNITIES 65001:100
      {0x18, 0xc6, 0x33, 0x64},              // 198.51.100.0/24
      {0x19, 0xcb, 0x00, 0x71, 0x80},        // 203.0.113.128/25
  });
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = as_sequence({65001});
  u.attributes.next_hop = IpAddress::parse("192.0.2.1");
  u.attributes.med = 100;
  u.attributes.communities = {0xfde90064};
  u.nlri = {*Prefix::parse("198.51.100.0/24"), *Prefix::parse("203.0.113.128/25")};
  auto m = encode_update(u);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, expected);

  DecodedUpdate d = decode_update(expected);
  EXPECT_TRUE(d.consistent);
  EXPECT_EQ(d.update, u);
  EXPECT_EQ(d.summary.action, ErrorAction::none);
  EXPECT_EQ(d.summary.ipv4_announced, 2u);
  EXPECT_EQ(d.summary.attributes, 5u);
}

TEST(Update, MpReachIpv6ByteExact) {
  const Buf expected = test::cat({
      kMarker,
      {0x00, 0x42, 0x02},                    // length 66, UPDATE
      {0x00, 0x00, 0x00, 0x2b},              // no withdrawn; attributes 43
      {0x80, 0x0e, 0x1b, 0x00, 0x02, 0x01, 0x10,  // MP_REACH_NLRI: AFI 2 SAFI 1 NH len 16
       0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  // 2001:db8::1
       0x00,                                  // Reserved
       0x28, 0x20, 0x01, 0x0d, 0xb8, 0x01},   // 2001:db8:100::/40
      {0x40, 0x01, 0x01, 0x00},              // ORIGIN IGP
      {0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9},  // AS_PATH (65001)
  });
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = as_sequence({65001});
  u.attributes.mp_reach = MpReach{kIpv6Unicast, *IpAddress::parse("2001:db8::1"), std::nullopt,
                                  {*Prefix::parse("2001:db8:100::/40")}};
  auto m = encode_update(u);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, expected);

  DecodedUpdate d = decode_update(expected);
  EXPECT_TRUE(d.consistent);
  EXPECT_EQ(d.update, u);
  EXPECT_EQ(d.summary.ipv6_announced, 1u);
  EXPECT_EQ(d.summary.action, ErrorAction::none);  // no NEXT_HOP needed (RFC 4760 §3)
}

TEST(Update, Ipv4WithdrawalByteExact) {
  const Buf expected = test::cat({
      kMarker,
      {0x00, 0x1b, 0x02},          // length 27
      {0x00, 0x04},                // Withdrawn Routes Length 4
      {0x18, 0xc6, 0x33, 0x64},    // 198.51.100.0/24
      {0x00, 0x00},                // no attributes
  });
  Update u;
  u.withdrawn = {*Prefix::parse("198.51.100.0/24")};
  auto m = encode_update(u);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, expected);
  UpdateSummary s = summarize_update(expected);
  EXPECT_EQ(s.ipv4_withdrawn, 1u);
  EXPECT_EQ(s.action, ErrorAction::none);  // withdrawals need no attributes
  EXPECT_EQ(decode_update(expected).update, u);
}

TEST(Update, MpUnreachIpv6WithdrawalByteExact) {
  const Buf expected = test::cat({
      kMarker,
      {0x00, 0x23, 0x02},          // length 35
      {0x00, 0x00, 0x00, 0x0c},    // attributes 12
      {0x80, 0x0f, 0x09, 0x00, 0x02, 0x01, 0x28, 0x20, 0x01, 0x0d, 0xb8, 0x01},
  });
  Update u;
  u.attributes.mp_unreach = MpUnreach{kIpv6Unicast, {*Prefix::parse("2001:db8:100::/40")}};
  auto m = encode_update(u);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, expected);
  UpdateSummary s = summarize_update(expected);
  EXPECT_EQ(s.ipv6_withdrawn, 1u);
  EXPECT_EQ(s.action, ErrorAction::none);
  EXPECT_FALSE(s.end_of_rib);
}

TEST(Update, Rfc4724_2_EndOfRib) {
  const Buf v4 = test::cat({kMarker, {0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00}});
  EXPECT_EQ(encode_end_of_rib(kIpv4Unicast), v4);
  UpdateSummary s4 = summarize_update(v4);
  EXPECT_TRUE(s4.end_of_rib);
  EXPECT_EQ(s4.end_of_rib_family, kIpv4Unicast);

  const Buf v6 = test::cat({kMarker, {0x00, 0x1d, 0x02, 0x00, 0x00, 0x00, 0x06},
                            {0x80, 0x0f, 0x03, 0x00, 0x02, 0x01}});
  EXPECT_EQ(encode_end_of_rib(kIpv6Unicast), v6);
  UpdateSummary s6 = summarize_update(v6);
  EXPECT_TRUE(s6.end_of_rib);
  EXPECT_EQ(s6.end_of_rib_family, kIpv6Unicast);
}

TEST(Update, EncodeRefusesOversizeAndWrongFamily) {
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = as_sequence({65001});
  u.attributes.next_hop = IpAddress::parse("192.0.2.1");
  for (int i = 0; i < 1100; ++i) {
    u.nlri.push_back(*Prefix::make(IpAddress::v4({10, static_cast<std::uint8_t>(i >> 8),
                                                  static_cast<std::uint8_t>(i), 0}),
                                   24));
  }
  auto m = encode_update(u);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error(), EncodeError::message_too_long);
  EXPECT_TRUE(encode_update(u, {.max_length = kMaxExtendedMessageLength}));
  Update bad;
  bad.nlri = {*Prefix::parse("2001:db8::/32")};
  EXPECT_EQ(encode_update(bad).error(), EncodeError::family_mismatch);
}

TEST(Update, SummaryCountsBothFamiliesInOneMessage) {
  Buf mp_reach = test::attr(0x80, 14, test::cat({{0x00, 0x02, 0x01, 0x10},
                                                 {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                                 {0x00, 0x20, 0x20, 0x01, 0x0d, 0xb8, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01}}));
  Buf mp_unreach = test::attr(0x80, 15, {0x00, 0x01, 0x01, 0x08, 0x0a});
  Buf m = test::update({0x10, 0xac, 0x10}, test::cat({mp_reach, mp_unreach, test::mandatory()}),
                       test::cat({test::kNlri, {0x00}}));
  UpdateSummary s = summarize_update(m);
  EXPECT_EQ(s.action, ErrorAction::none) << (s.error ? s.error->rule : "");
  EXPECT_EQ(s.ipv4_announced, 2u);  // 198.51.100.0/24 and 0.0.0.0/0
  EXPECT_EQ(s.ipv4_withdrawn, 2u);  // 172.16/16 and 10/8 via MP_UNREACH
  EXPECT_EQ(s.ipv6_announced, 2u);  // 2001:db8::/32, 2001:db8:1::/48
  EXPECT_EQ(s.announced(), 4u);
  EXPECT_EQ(s.withdrawn(), 2u);

  DecodedUpdate d = decode_update(m);
  EXPECT_TRUE(d.consistent);
  ASSERT_TRUE(d.update.attributes.mp_reach);
  EXPECT_EQ(d.update.attributes.mp_reach->nlri[1], *Prefix::parse("2001:db8:1::/48"));
  EXPECT_EQ(d.update.withdrawn, (std::vector<Prefix>{*Prefix::parse("172.16.0.0/16")}));
}

TEST(Update, HostBitsPastThePrefixLengthAreCleared) {
  Buf m = test::update({}, test::mandatory(), {0x17, 0xc6, 0x33, 0x65});  // /23 with bit 24 set
  DecodedUpdate d = decode_update(m);
  ASSERT_EQ(d.update.nlri.size(), 1u);
  EXPECT_EQ(d.update.nlri[0], *Prefix::parse("198.51.100.0/23"));
}

TEST(Update, OtherFamiliesAreSkippedAndCounted) {
  // AFI 1 SAFI 128 (VPN): not parsed, located by the attribute length.
  Buf vpn = test::attr(0x80, 14, {0x00, 0x01, 0x80, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1, 0, 0x58, 1, 2});
  Buf m = test::update({}, test::cat({vpn, test::kOriginIgp, test::kAsPath}), {});
  DecodedUpdate d = decode_update(m);
  EXPECT_EQ(d.summary.action, ErrorAction::none);
  EXPECT_EQ(d.summary.other_families, 1u);
  EXPECT_EQ(d.summary.announced(), 0u);
  ASSERT_TRUE(d.update.attributes.mp_reach);
  EXPECT_EQ(d.update.attributes.mp_reach->family, (AfiSafi{1, 128}));
}

}  // namespace
}  // namespace fbf::bgp
