// Framing (RFC 4271 §4.1, §6.1), KEEPALIVE (§4.4) and ROUTE-REFRESH
// (RFC 2918 §3, RFC 7313 §3.2, §5).
#include "bgp/message.h"

#include <gtest/gtest.h>

#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using test::Buf;
using test::header;

constexpr auto kHdr = static_cast<std::uint8_t>(ErrorCode::message_header);

TEST(Keepalive, EncodesByteExact) {
  // RFC 4271 §4.4: just the header, length 19, type 4.
  const Buf expected{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // marker
                     0x00, 0x13,                                      // length 19
                     0x04};                                           // KEEPALIVE
  EXPECT_EQ(encode_keepalive(), expected);
  EXPECT_TRUE(decode_keepalive(expected));
  auto m = decode_message(expected);
  ASSERT_TRUE(m);
  EXPECT_TRUE(std::holds_alternative<Keepalive>(*m));
}

TEST(Header, PeekWaitsForNineteenOctets) {
  Buf ka = encode_keepalive();
  auto partial = peek_header(Bytes(ka).first(18));
  ASSERT_TRUE(partial);
  EXPECT_FALSE(partial->has_value());
  Buf two = test::cat({ka, ka});
  auto full = peek_header(two);
  ASSERT_TRUE(full && full->has_value());
  EXPECT_EQ((*full)->length, 19);
  EXPECT_EQ((*full)->type, MessageType::keepalive);
}

TEST(Header, Rfc4271_6_1_MarkerNotAllOnesIsConnectionNotSynchronized) {
  Buf m = encode_keepalive();
  m[7] = 0xfe;
  auto h = decode_header(m);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ErrorCode::message_header);
  EXPECT_EQ(h.error().subcode, static_cast<std::uint8_t>(HeaderSubcode::connection_not_synchronized));
  EXPECT_TRUE(h.error().data.empty());
  EXPECT_EQ(h.error().action, ErrorAction::session_reset);
}

TEST(Header, Rfc4271_6_1_LengthBelow19IsBadMessageLengthWithTheLength) {
  auto h = decode_header(header(18, 4));
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().subcode, static_cast<std::uint8_t>(HeaderSubcode::bad_message_length));
  EXPECT_EQ(h.error().data, (Buf{0x00, 0x12}));
}

TEST(Header, Rfc4271_6_1_LengthAbove4096IsBadMessageLength) {
  auto h = decode_header(header(4097, 2));
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().subcode, static_cast<std::uint8_t>(HeaderSubcode::bad_message_length));
  EXPECT_EQ(h.error().data, (Buf{0x10, 0x01}));
}

TEST(Header, Rfc8654_ExtendedMessageRaisesTheLimitExceptForOpen) {
  EXPECT_TRUE(decode_header(header(65535, 2), kMaxExtendedMessageLength));
  EXPECT_TRUE(decode_header(header(5000, 3), kMaxExtendedMessageLength));
  auto open = decode_header(header(4097, 1), kMaxExtendedMessageLength);
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().subcode, static_cast<std::uint8_t>(HeaderSubcode::bad_message_length));
}

TEST(Header, Rfc4271_6_1_UnknownTypeIsBadMessageTypeWithTheType) {
  for (std::uint8_t type : {0, 6, 255}) {
    auto h = decode_header(header(19, type));
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, ErrorCode::message_header);
    EXPECT_EQ(h.error().subcode, static_cast<std::uint8_t>(HeaderSubcode::bad_message_type));
    EXPECT_EQ(h.error().data, (Buf{type}));
  }
}

TEST(Header, Rfc4271_6_1_PerTypeMinimumLengths) {
  struct Case {
    std::uint8_t type;
    std::uint16_t bad, good;
  };
  for (Case c : {Case{1, 28, 29}, Case{2, 22, 23}, Case{3, 20, 21}, Case{5, 22, 23}}) {
    auto bad = decode_header(header(c.bad, c.type));
    ASSERT_FALSE(bad) << int(c.type);
    EXPECT_EQ(bad.error().subcode, static_cast<std::uint8_t>(HeaderSubcode::bad_message_length));
    EXPECT_EQ(bad.error().data, (Buf{0, static_cast<std::uint8_t>(c.bad)}));
    EXPECT_TRUE(decode_header(header(c.good, c.type))) << int(c.type);
  }
}

TEST(Header, Rfc4271_6_1_KeepaliveMustBeExactly19) {
  auto h = decode_header(header(20, 4));
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ErrorCode::message_header);
  EXPECT_EQ(h.error().subcode, static_cast<std::uint8_t>(HeaderSubcode::bad_message_length));
  Buf m = test::cat({header(20, 4), {0}});
  EXPECT_FALSE(decode_keepalive(m));
}

TEST(Header, MessageShorterThanItsLengthFieldIsRejected) {
  Buf m = test::update({}, {}, {});
  m.pop_back();
  auto d = decode_message(m);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::message_header);
  EXPECT_FALSE(decode_header(Bytes(m).first(10)));
}

TEST(RouteRefresh, EncodesNormalRequestByteExact) {
  // RFC 2918 §3: AFI 1 (IPv4), Reserved/subtype 0, SAFI 1 (unicast).
  const Buf expected = test::cat({header(23, 5), {0x00, 0x01, 0x00, 0x01}});
  RouteRefresh rr{kIpv4Unicast, 0};
  EXPECT_EQ(encode_route_refresh(rr), expected);
  auto d = decode_route_refresh(expected, false);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, rr);
}

TEST(RouteRefresh, Rfc7313_3_2_EncodesBorrAndEorrByteExact) {
  const Buf borr = test::cat({header(23, 5), {0x00, 0x02, 0x01, 0x01}});  // IPv6 unicast, BoRR
  const Buf eorr = test::cat({header(23, 5), {0x00, 0x02, 0x02, 0x01}});  // IPv6 unicast, EoRR
  EXPECT_EQ(encode_route_refresh({kIpv6Unicast, 1}), borr);
  EXPECT_EQ(encode_route_refresh({kIpv6Unicast, 2}), eorr);
  auto d = decode_route_refresh(borr, true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->subtype, static_cast<std::uint8_t>(RouteRefreshSubtype::borr));
  EXPECT_EQ(d->family, kIpv6Unicast);
}

TEST(RouteRefresh, Rfc7313_5_BorrWithWrongLengthIsInvalidMessageLength) {
  const Buf m = test::cat({header(24, 5), {0x00, 0x01, 0x01, 0x01, 0x00}});
  auto d = decode_route_refresh(m, true);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::route_refresh);
  EXPECT_EQ(d.error().subcode, 1);
  EXPECT_EQ(d.error().data, m);  // the complete ROUTE-REFRESH message
}

TEST(RouteRefresh, Rfc7313_5_UnknownSubtypeIsIgnoredNotAnError) {
  const Buf m = test::cat({header(23, 5), {0x00, 0x01, 0x07, 0x01}});
  auto d = decode_route_refresh(m, true);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->known());
}

TEST(RouteRefresh, Rfc2918_3_WithoutEnhancedTheSubtypeIsReserved) {
  const Buf m = test::cat({header(24, 5), {0x00, 0x01, 0x01, 0x01, 0x00}});
  auto d = decode_route_refresh(m, false);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->subtype, 0);
}

TEST(UpdateFrame, SplitsTheThreeFields) {
  Buf m = test::update({24, 10, 0, 0}, test::kOriginIgp, test::kNlri);
  auto f = frame_update(m);
  ASSERT_TRUE(f);
  EXPECT_EQ(Buf(f->withdrawn.begin(), f->withdrawn.end()), (Buf{24, 10, 0, 0}));
  EXPECT_EQ(Buf(f->attributes.begin(), f->attributes.end()), test::kOriginIgp);
  EXPECT_EQ(Buf(f->nlri.begin(), f->nlri.end()), test::kNlri);
}

TEST(DecodeMessage, DispatchesOnType) {
  auto rr = decode_message(encode_route_refresh({kIpv4Unicast, 0}));
  ASSERT_TRUE(rr);
  EXPECT_TRUE(std::holds_alternative<RouteRefresh>(*rr));
  Buf u = test::update({}, {}, {});
  auto up = decode_message(u);
  ASSERT_TRUE(up);
  EXPECT_TRUE(std::holds_alternative<UpdateMessage>(*up));
  auto ext = decode_message(test::header(5000, 2), {.max_length = 4096});
  ASSERT_FALSE(ext);
  EXPECT_EQ(ext.error().code, ErrorCode::message_header);
  (void)kHdr;
}

}  // namespace
}  // namespace fbf::bgp
