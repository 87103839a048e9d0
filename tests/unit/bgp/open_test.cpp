// OPEN (RFC 4271 §4.2, §6.2; RFC 5492; RFC 6793; RFC 9072).
#include <gtest/gtest.h>

#include "bgp/message.h"
#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using test::Buf;

Capabilities our_caps() {
  Capabilities c;
  c.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  c.route_refresh = true;
  c.enhanced_route_refresh = true;
  return c;
}

// AS 65001, hold 90, id 192.0.2.1, MP v4+v6, Route Refresh, 4-octet AS,
// Enhanced Route Refresh.
const Buf kOpen65001{
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x35,              // length 53 = 19 + 10 + 24
    0x01,                    // OPEN
    0x04,                    // version 4
    0xfd, 0xe9,              // My AS 65001
    0x00, 0x5a,              // hold time 90
    0xc0, 0x00, 0x02, 0x01,  // BGP Identifier 192.0.2.1
    0x18,                    // Optional Parameters Length 24
    0x02, 0x16,              // parameter type 2 (Capabilities), length 22
    0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  // MP: AFI 1, Res, SAFI 1 (RFC 4760 §8)
    0x01, 0x04, 0x00, 0x02, 0x00, 0x01,  // MP: AFI 2, Res, SAFI 1
    0x02, 0x00,                          // Route Refresh (RFC 2918 §2)
    0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9,  // 4-octet AS 65001 (RFC 6793 §3)
    0x46, 0x00,                          // Enhanced Route Refresh (RFC 7313 §3.1)
};

TEST(Open, EncodesByteExactWithCapabilities) {
  OpenMessage open = make_open(65001, 90, 0xc0000201, our_caps());
  EXPECT_EQ(encode_open(open), kOpen65001);
  auto d = decode_open(kOpen65001);
  ASSERT_TRUE(d) << d.error().rule;
  EXPECT_EQ(*d, open);
  EXPECT_EQ(peer_as(*d), 65001u);
}

TEST(Open, Rfc6793_FourOctetAsPutsAsTransInMyAs) {
  // AS 4200000001 = 0xFA56EA01 does not fit two octets: My AS = AS_TRANS.
  const Buf expected{
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0x00, 0x2b,              // length 43 = 19 + 10 + 14
      0x01, 0x04,
      0x5b, 0xa0,              // My AS 23456 (AS_TRANS, RFC 6793 §9)
      0x00, 0xb4,              // hold time 180
      0x0a, 0x00, 0x00, 0x01,  // 10.0.0.1
      0x0e, 0x02, 0x0c,
      0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  // MP IPv4 unicast
      0x41, 0x04, 0xfa, 0x56, 0xea, 0x01,  // 4-octet AS 4200000001
  };
  Capabilities c;
  c.multiprotocol = {kIpv4Unicast};
  OpenMessage open = make_open(4200000001u, 180, 0x0a000001, c);
  EXPECT_EQ(open.my_as, kAsTrans);
  EXPECT_EQ(encode_open(open), expected);
  auto d = decode_open(expected);
  ASSERT_TRUE(d);
  EXPECT_EQ(peer_as(*d), 4200000001u);  // RFC 6793 §4.1: the capability wins
}

TEST(Open, EncodesWithoutCapabilities) {
  OpenMessage open;
  open.my_as = 64512;
  open.hold_time = 0;
  open.bgp_identifier = 1;
  Buf m = encode_open(open);
  ASSERT_EQ(m.size(), 29u);
  EXPECT_EQ(m[28], 0);  // Optional Parameters Length
  auto d = decode_open(m);
  ASSERT_TRUE(d);
  EXPECT_EQ(peer_as(*d), 64512u);
}

TEST(Open, Rfc6793_4_1_PeerAsFromCapability) {
  OpenMessage m;
  m.my_as = 65010;
  EXPECT_EQ(peer_as(m), 65010u);
  m.capabilities.four_octet_as = 65010;
  EXPECT_EQ(peer_as(m), 65010u);
}

Buf with(Buf m, std::size_t at, std::uint8_t v) {
  m[at] = v;
  return m;
}

TEST(Open, Rfc4271_6_2_UnsupportedVersionSaysWhichWeSupport) {
  auto d = decode_open(with(kOpen65001, 19, 3));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::open_message);
  EXPECT_EQ(d.error().subcode, static_cast<std::uint8_t>(OpenSubcode::unsupported_version_number));
  EXPECT_EQ(d.error().data, (Buf{0x00, 0x04}));
}

TEST(Open, Rfc4271_6_2_HoldTimeOneOrTwoIsUnacceptable) {
  for (std::uint8_t hold : {1, 2}) {
    auto d = decode_open(with(kOpen65001, 23, hold));
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().subcode, static_cast<std::uint8_t>(OpenSubcode::unacceptable_hold_time));
  }
  EXPECT_TRUE(decode_open(with(kOpen65001, 23, 0)));  // 0: no keepalives
  EXPECT_TRUE(decode_open(with(kOpen65001, 23, 3)));
}

TEST(Open, Rfc6286_2_2_ZeroIdentifierIsBadBgpIdentifier) {
  Buf m = kOpen65001;
  for (int i = 24; i < 28; ++i) m[static_cast<std::size_t>(i)] = 0;
  auto d = decode_open(m);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().subcode, static_cast<std::uint8_t>(OpenSubcode::bad_bgp_identifier));
}

TEST(Open, Rfc4271_6_2_UnknownOptionalParameterIsUnsupported) {
  Buf m = with(kOpen65001, 29, 1);  // parameter type 1 (deprecated Authentication)
  auto d = decode_open(m);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().subcode,
            static_cast<std::uint8_t>(OpenSubcode::unsupported_optional_parameter));
}

TEST(Open, Rfc4271_6_2_MalformedCapabilityIsUnspecific) {
  Buf m = with(kOpen65001, 32, 0x05);  // first MP capability claims length 5
  auto d = decode_open(m);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::open_message);
  EXPECT_EQ(d.error().subcode, static_cast<std::uint8_t>(OpenSubcode::unspecific));
}

TEST(Open, OptionalParametersLengthMustMatchTheMessage) {
  auto d = decode_open(with(kOpen65001, 28, 0x17));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::message_header);
  EXPECT_EQ(d.error().subcode, static_cast<std::uint8_t>(HeaderSubcode::bad_message_length));
  EXPECT_EQ(d.error().data, (Buf{0x00, 0x35}));
}

TEST(Open, Rfc9072_ExtendedOptionalParametersRoundTrip) {
  Capabilities c = our_caps();
  for (std::uint8_t code = 128; code < 200; ++code) c.unknown.push_back({code, {1, 2}});
  OpenMessage open = make_open(65001, 90, 1, c);
  Buf m = encode_open(open);
  ASSERT_GT(m.size(), 29u + 255u);
  EXPECT_EQ(m[28], 255);  // Non-Ext OP Len
  EXPECT_EQ(m[29], 255);  // Non-Ext OP Type
  auto d = decode_open(m);
  ASSERT_TRUE(d) << d.error().rule;
  EXPECT_EQ(*d, open);
}

TEST(Open, SeveralCapabilityParametersAreMerged) {
  // Two parameters, one capability each (RFC 5492 §4 allows either form).
  Buf m = test::cat({test::header(37, 1),
                     {0x04, 0xfd, 0xe9, 0x00, 0x5a, 0xc0, 0x00, 0x02, 0x01, 0x08},
                     {0x02, 0x02, 0x02, 0x00},
                     {0x02, 0x02, 0x46, 0x00}});
  auto d = decode_open(m);
  ASSERT_TRUE(d) << d.error().rule;
  EXPECT_TRUE(d->capabilities.route_refresh);
  EXPECT_TRUE(d->capabilities.enhanced_route_refresh);
}

}  // namespace
}  // namespace fbf::bgp
