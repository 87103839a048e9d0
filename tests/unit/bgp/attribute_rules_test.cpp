// Per-attribute error handling: RFC 7606 §7, RFC 6793 §6, RFC 8092 §6,
// RFC 9234 §5, and the NEXT_HOP checks of RFC 4271 §6.3. One test per rule.
#include <gtest/gtest.h>

#include "bgp/update.h"
#include "bgp/update_check.h"
#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using test::Buf;
using test::cat;
using test::kAsPath;
using test::kNextHop;
using test::kNlri;
using test::kOriginIgp;
using test::mandatory;
using test::update;

constexpr auto kWithdraw = ErrorAction::treat_as_withdraw;
constexpr auto kDiscard = ErrorAction::attribute_discard;

// The summary of a valid IPv4 UPDATE plus `extra` attributes.
UpdateSummary with(const Buf& extra, UpdateOptions options = {}) {
  return summarize_update(update({}, cat({mandatory(), extra}), kNlri), options);
}

// The summary with `replacement` in place of ORIGIN, AS_PATH, NEXT_HOP.
UpdateSummary replacing(const Buf& origin, const Buf& as_path, const Buf& next_hop,
                        UpdateOptions options = {}) {
  return summarize_update(update({}, cat({origin, as_path, next_hop}), kNlri), options);
}

void expect(const UpdateSummary& s, ErrorAction action, UpdateSubcode subcode, std::uint8_t type) {
  EXPECT_EQ(s.action, action) << to_string(s.action) << " " << (s.error ? s.error->rule : "");
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->subcode, static_cast<std::uint8_t>(subcode)) << s.error->rule;
  EXPECT_EQ(s.error->attribute, type);
}

void expect_ok(const UpdateSummary& s) {
  EXPECT_EQ(s.action, ErrorAction::none) << (s.error ? s.error->rule : "");
}

TEST(Rfc7606_7_1, OriginLengthNotOneIsTreatAsWithdraw) {
  expect(replacing({0x40, 0x01, 0x02, 0x00, 0x00}, kAsPath, kNextHop), kWithdraw,
         UpdateSubcode::attribute_length_error, 1);
}

TEST(Rfc7606_7_1, OriginUndefinedValueIsTreatAsWithdraw) {
  UpdateSummary s = replacing({0x40, 0x01, 0x01, 0x03}, kAsPath, kNextHop);
  expect(s, kWithdraw, UpdateSubcode::invalid_origin_attribute, 1);
  EXPECT_EQ(s.error->data, (Buf{0x40, 0x01, 0x01, 0x03}));
}

TEST(Rfc7606_7_2, AsPathUnrecognizedSegmentTypeIsTreatAsWithdraw) {
  expect(replacing(kOriginIgp, {0x40, 0x02, 0x06, 0x05, 0x01, 0, 0, 0xfd, 0xe9}, kNextHop), kWithdraw,
         UpdateSubcode::malformed_as_path, 2);
}

TEST(Rfc7606_7_2, AsPathSegmentOverrunIsTreatAsWithdraw) {
  expect(replacing(kOriginIgp, {0x40, 0x02, 0x06, 0x02, 0x02, 0, 0, 0xfd, 0xe9}, kNextHop), kWithdraw,
         UpdateSubcode::malformed_as_path, 2);
}

TEST(Rfc7606_7_2, AsPathSingleOctetUnderrunIsTreatAsWithdraw) {
  expect(replacing(kOriginIgp, {0x40, 0x02, 0x07, 0x02, 0x01, 0, 0, 0xfd, 0xe9, 0x02}, kNextHop),
         kWithdraw, UpdateSubcode::malformed_as_path, 2);
}

TEST(Rfc7606_7_2, AsPathZeroLengthSegmentIsTreatAsWithdraw) {
  expect(replacing(kOriginIgp, {0x40, 0x02, 0x02, 0x02, 0x00}, kNextHop), kWithdraw,
         UpdateSubcode::malformed_as_path, 2);
}

TEST(Rfc7606_7_2, AsPathSizeFollowsTheFourOctetCapability) {
  Buf two_octet{0x40, 0x02, 0x06, 0x02, 0x02, 0xfd, 0xe9, 0xfd, 0xea};
  expect_ok(replacing(kOriginIgp, two_octet, kNextHop, {.four_octet_as = false}));
  // The same octets read with 4-octet ASNs overrun the attribute.
  expect(replacing(kOriginIgp, two_octet, kNextHop), kWithdraw, UpdateSubcode::malformed_as_path, 2);
  // Confederation segments (RFC 5065) are recognized types.
  expect_ok(replacing(kOriginIgp, {0x40, 0x02, 0x06, 0x03, 0x01, 0, 0, 0xfd, 0xe9}, kNextHop));
}

TEST(Rfc7606_7_3, NextHopLengthNotFourIsTreatAsWithdraw) {
  expect(replacing(kOriginIgp, kAsPath, {0x40, 0x03, 0x05, 192, 0, 2, 1, 0}), kWithdraw,
         UpdateSubcode::attribute_length_error, 3);
}

TEST(Rfc4271_6_3, NextHopNotAValidHostAddressIsTreatAsWithdraw) {
  for (std::uint8_t first : {0, 127, 224, 255}) {
    UpdateSummary s = replacing(kOriginIgp, kAsPath, {0x40, 0x03, 0x04, first, 0, 0, 1});
    expect(s, kWithdraw, UpdateSubcode::invalid_next_hop_attribute, 3);
    EXPECT_EQ(s.error->data, (Buf{0x40, 0x03, 0x04, first, 0, 0, 1}));
  }
}

TEST(Rfc4271_6_3, NextHopEqualToOurAddressIsIgnoredWithoutNotification) {
  UpdateOptions o{.local_address = platform::IpAddress::parse("192.0.2.1")};
  UpdateSummary s = replacing(kOriginIgp, kAsPath, kNextHop, o);
  expect(s, kWithdraw, UpdateSubcode::invalid_next_hop_attribute, 3);
}

TEST(Rfc4760_3, NextHopIsNotCheckedWithoutIpv4Nlri) {
  // RFC 4760 §3: SHOULD be ignored when only MP_REACH_NLRI carries routes.
  Buf m = update({}, cat({kOriginIgp, kAsPath, {0x40, 0x03, 0x04, 0, 0, 0, 0},
                          test::attr(0x80, 14, {0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
                                                0, 0, 0, 1, 0, 0x20, 0x20, 1, 0xd, 0xb8})}),
                 {});
  expect_ok(summarize_update(m));
}

TEST(Rfc4760_3, MpNextHopNotAValidAddressIsTreatAsWithdraw) {
  // ff02::1 (multicast) as IPv6 next hop.
  Buf reach = test::attr(0x80, 14, {0, 2, 1, 16, 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 0, 1, 0, 0x20, 0x20, 1, 0xd, 0xb8});
  UpdateSummary s = summarize_update(update({}, cat({reach, kOriginIgp, kAsPath}), {}));
  expect(s, kWithdraw, UpdateSubcode::invalid_next_hop_attribute, 14);
}

TEST(Rfc7606_7_4, MedLengthNotFourIsTreatAsWithdraw) {
  expect(with({0x80, 0x04, 0x02, 0x00, 0x01}), kWithdraw, UpdateSubcode::attribute_length_error, 4);
}

TEST(Rfc7606_7_5, LocalPrefFromExternalPeerIsDiscarded) {
  Buf lp{0x40, 0x05, 0x04, 0, 0, 0, 100};
  UpdateSummary s = with(lp);
  expect(s, kDiscard, UpdateSubcode::unspecific, 5);
  // Even a malformed one: discarded, not withdrawn.
  expect(with({0x40, 0x05, 0x02, 0, 100}), kDiscard, UpdateSubcode::unspecific, 5);
  DecodedUpdate d = decode_update(update({}, cat({mandatory(), lp}), kNlri));
  EXPECT_FALSE(d.update.attributes.local_pref);
}

TEST(Rfc7606_7_5, LocalPrefFromInternalPeerLengthNotFourIsTreatAsWithdraw) {
  expect_ok(with({0x40, 0x05, 0x04, 0, 0, 0, 100}, {.ibgp = true}));
  expect(with({0x40, 0x05, 0x02, 0, 100}, {.ibgp = true}), kWithdraw,
         UpdateSubcode::attribute_length_error, 5);
}

TEST(Rfc7606_7_6, AtomicAggregateLengthNotZeroIsDiscarded) {
  expect(with({0x40, 0x06, 0x01, 0x00}), kDiscard, UpdateSubcode::attribute_length_error, 6);
}

TEST(Rfc7606_7_7, AggregatorLengthNotEightWithFourOctetAsIsDiscarded) {
  expect(with({0xc0, 0x07, 0x06, 0xfd, 0xe9, 192, 0, 2, 1}), kDiscard,
         UpdateSubcode::attribute_length_error, 7);
}

TEST(Rfc7606_7_7, AggregatorLengthNotSixWithTwoOctetAsIsDiscarded) {
  UpdateOptions old{.four_octet_as = false};
  Buf two_octet_path{0x40, 0x02, 0x04, 0x02, 0x01, 0xfd, 0xe9};
  auto s = summarize_update(update({}, cat({kOriginIgp, two_octet_path, kNextHop,
                                            {0xc0, 0x07, 0x08, 0, 0, 0xfd, 0xe9, 192, 0, 2, 1}}),
                                   kNlri),
                            old);
  expect(s, kDiscard, UpdateSubcode::attribute_length_error, 7);
}

TEST(Rfc7606_7_8, CommunitiesLengthNotMultipleOfFourIsTreatAsWithdraw) {
  expect(with({0xc0, 0x08, 0x06, 0, 0, 0, 1, 0, 2}), kWithdraw,
         UpdateSubcode::optional_attribute_error, 8);
  expect(with({0xc0, 0x08, 0x00}), kWithdraw, UpdateSubcode::optional_attribute_error, 8);
}

TEST(Rfc7606_7_9, OriginatorIdFromExternalPeerIsDiscarded) {
  expect(with({0x80, 0x09, 0x04, 10, 0, 0, 1}), kDiscard, UpdateSubcode::unspecific, 9);
}

TEST(Rfc7606_7_9, OriginatorIdFromInternalPeerLengthNotFourIsTreatAsWithdraw) {
  expect_ok(with({0x80, 0x09, 0x04, 10, 0, 0, 1}, {.ibgp = true}));
  expect(with({0x80, 0x09, 0x03, 10, 0, 0}, {.ibgp = true}), kWithdraw,
         UpdateSubcode::attribute_length_error, 9);
}

TEST(Rfc7606_7_10, ClusterListFromExternalPeerIsDiscarded) {
  expect(with({0x80, 0x0a, 0x04, 10, 0, 0, 1}), kDiscard, UpdateSubcode::unspecific, 10);
}

TEST(Rfc7606_7_10, ClusterListFromInternalPeerBadLengthIsTreatAsWithdraw) {
  expect_ok(with({0x80, 0x0a, 0x08, 10, 0, 0, 1, 10, 0, 0, 2}, {.ibgp = true}));
  expect(with({0x80, 0x0a, 0x06, 10, 0, 0, 1, 0, 0}, {.ibgp = true}), kWithdraw,
         UpdateSubcode::attribute_length_error, 10);
}

TEST(Rfc7606_7_11, MpReachNextHopLengthInconsistentIsAfiSafiDisable) {
  // IPv6 unicast with a 4-octet next hop.
  Buf reach = test::attr(0x80, 14, {0, 2, 1, 4, 192, 0, 2, 1, 0, 0x20, 0x20, 1, 0xd, 0xb8});
  UpdateSummary s = summarize_update(update({}, cat({reach, kOriginIgp, kAsPath}), {}));
  expect(s, ErrorAction::afisafi_disable, UpdateSubcode::optional_attribute_error, 14);
  EXPECT_EQ(s.error->afi, 2);
  EXPECT_EQ(s.error->safi, 1);
}

TEST(Rfc7606_7_11, Ipv4UnicastAcceptsAnIpv6NextHop) {
  // RFC 7606 §7.11 cites RFC 5549 (now RFC 8950): 16 octets is expected too.
  Buf reach = test::attr(0x80, 14, {0, 1, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 0, 1, 0, 24, 198, 51, 100});
  UpdateSummary s = summarize_update(update({}, cat({reach, kOriginIgp, kAsPath}), {}));
  expect_ok(s);
  EXPECT_EQ(s.ipv4_announced, 1u);
}

TEST(Rfc7606_7_14, ExtendedCommunitiesLengthNotMultipleOfEightIsTreatAsWithdraw) {
  expect_ok(with({0xc0, 0x10, 0x08, 0, 2, 0xfd, 0xe9, 0, 0, 0, 1}));
  expect(with({0xc0, 0x10, 0x07, 0, 2, 0xfd, 0xe9, 0, 0, 0}), kWithdraw,
         UpdateSubcode::optional_attribute_error, 16);
}

TEST(Rfc7606_7_15, Ipv6ExtendedCommunitiesLengthNotMultipleOf20IsTreatAsWithdraw) {
  expect(with(test::attr(0xc0, 25, Buf(19, 0))), kWithdraw, UpdateSubcode::optional_attribute_error,
         25);
  expect_ok(with(test::attr(0xc0, 25, Buf(20, 0))));
}

TEST(Rfc8092_6, LargeCommunityLengthNotMultipleOf12IsTreatAsWithdraw) {
  expect(with(test::attr(0xc0, 32, Buf(13, 0))), kWithdraw, UpdateSubcode::optional_attribute_error, 32);
  expect(with(test::attr(0xc0, 32, {})), kWithdraw, UpdateSubcode::optional_attribute_error, 32);
  // §6: duplicate values are not an error.
  expect_ok(with(test::attr(0xc0, 32, cat({Buf(12, 1), Buf(12, 1)}))));
}

TEST(Rfc6793_6, MalformedAs4PathFromOldSpeakerIsDiscarded) {
  UpdateOptions old{.four_octet_as = false};
  Buf two_octet_path{0x40, 0x02, 0x04, 0x02, 0x01, 0x5b, 0xa0};
  Buf good_as4{0xc0, 0x11, 0x06, 0x02, 0x01, 0xfa, 0x56, 0xea, 0x01};
  Buf bad_as4{0xc0, 0x11, 0x06, 0x02, 0x00, 0xfa, 0x56, 0xea, 0x01};  // segment length 0
  auto run = [&](const Buf& as4) {
    return summarize_update(update({}, cat({kOriginIgp, two_octet_path, kNextHop, as4}), kNlri), old);
  };
  expect_ok(run(good_as4));
  expect(run(bad_as4), kDiscard, UpdateSubcode::optional_attribute_error, 17);
  expect(run({0xc0, 0x11, 0x05, 0x02, 0x01, 0xfa, 0x56, 0xea}), kDiscard,
         UpdateSubcode::optional_attribute_error, 17);  // odd length
  DecodedUpdate d = decode_update(update({}, cat({kOriginIgp, two_octet_path, kNextHop, good_as4}), kNlri), old);
  EXPECT_EQ(d.update.attributes.as4_path, as_sequence({4200000001u}));
}

TEST(Rfc6793_6, MalformedAs4AggregatorIsDiscarded) {
  expect(summarize_update(update({}, cat({kOriginIgp, {0x40, 0x02, 0x00}, kNextHop,
                                          {0xc0, 0x12, 0x06, 0, 1, 192, 0, 2, 1}}),
                                 kNlri),
                          {.four_octet_as = false}),
         kDiscard, UpdateSubcode::optional_attribute_error, 18);
}

TEST(Rfc6793_4_1, As4AttributesBetweenNewSpeakersAreDiscarded) {
  expect(with({0xc0, 0x11, 0x06, 0x02, 0x01, 0xfa, 0x56, 0xea, 0x01}), kDiscard,
         UpdateSubcode::unspecific, 17);
  expect(with({0xc0, 0x12, 0x08, 0, 0, 0, 1, 192, 0, 2, 1}), kDiscard, UpdateSubcode::unspecific, 18);
}

TEST(Rfc9234_5, OtcLengthNotFourIsTreatAsWithdraw) {
  expect_ok(with({0xc0, 0x23, 0x04, 0, 0, 0xfd, 0xe9}));
  expect(with({0xc0, 0x23, 0x03, 0, 0xfd, 0xe9}), kWithdraw, UpdateSubcode::optional_attribute_error,
         35);
}

TEST(Rfc7606_3_C, As4PathWithWrongFlagsFromOldSpeakerIsTreatAsWithdraw) {
  // AS4_PATH sent as well-known: RFC 6793 §6 says nothing about flags, so
  // §3 (c) applies.
  UpdateOptions old{.four_octet_as = false};
  Buf two_octet_path{0x40, 0x02, 0x04, 0x02, 0x01, 0x5b, 0xa0};
  expect(summarize_update(update({}, cat({kOriginIgp, two_octet_path, kNextHop,
                                          {0x40, 0x11, 0x06, 0x02, 0x01, 0xfa, 0x56, 0xea, 0x01}}),
                                 kNlri),
                          old),
         kWithdraw, UpdateSubcode::attribute_flags_error, 17);
}

TEST(Rfc7606_3_C, AtomicAggregateWithWrongFlagsIsTreatAsWithdraw) {
  // §3 (c) replaced the flag rule for every attribute; §3 (f) only covers
  // cases that still specify a session reset. Ambiguous: the safe reading.
  expect(with({0xc0, 0x06, 0x00}), kWithdraw, UpdateSubcode::attribute_flags_error, 6);
}

}  // namespace
}  // namespace fbf::bgp
