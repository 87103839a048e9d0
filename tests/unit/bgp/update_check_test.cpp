// UPDATE error handling, RFC 4271 §6.3 as revised by RFC 7606 §3-§5: one test
// per rule, named after the section. Per-attribute rules (§7) are in
// attribute_rules_test.cpp.
#include "bgp/update_check.h"

#include <gtest/gtest.h>

#include "bgp/update.h"
#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using test::attr;
using test::Buf;
using test::cat;
using test::kNlri;
using test::mandatory;
using test::update;

constexpr auto kReset = ErrorAction::session_reset;
constexpr auto kWithdraw = ErrorAction::treat_as_withdraw;
constexpr auto kDiscard = ErrorAction::attribute_discard;
constexpr auto kDisable = ErrorAction::afisafi_disable;

std::uint8_t sub(UpdateSubcode s) { return static_cast<std::uint8_t>(s); }

void expect(const UpdateSummary& s, ErrorAction action, UpdateSubcode subcode) {
  EXPECT_EQ(s.action, action) << to_string(s.action) << " " << (s.error ? s.error->rule : "");
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->code, ErrorCode::update_message);
  EXPECT_EQ(s.error->subcode, sub(subcode)) << s.error->rule;
  EXPECT_EQ(s.error->action, action);
}

// The IPv6 MP_REACH_NLRI value: 2001:db8::1 next hop, 2001:db8::/32.
Buf mp_reach_v6(std::uint8_t nh_len = 16) {
  Buf v{0x00, 0x02, 0x01, nh_len};
  v.insert(v.end(), {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  v.resize(4 + nh_len);
  v.push_back(0);  // Reserved
  v.insert(v.end(), {0x20, 0x20, 0x01, 0x0d, 0xb8});
  return v;
}

TEST(Rfc7606_3, A_NotificationOnlyWhereSessionResetIsSpecified) {
  // A treat-as-withdraw error still names its code/subcode (for logs), but
  // its action tells the caller not to send a NOTIFICATION.
  UpdateSummary s = summarize_update(update({}, cat({{0x40, 0x01, 0x01, 0x09}, test::kAsPath,
                                                     test::kNextHop}), kNlri));
  EXPECT_EQ(s.action, kWithdraw);
  EXPECT_NE(s.action, kReset);
}

TEST(Rfc7606_3, ValidUpdateHasNoError) {
  UpdateSummary s = summarize_update(update({}, mandatory(), kNlri));
  EXPECT_EQ(s.action, ErrorAction::none);
  EXPECT_FALSE(s.error);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.ipv4_announced, 1u);
}

TEST(Rfc7606_3, B_WithdrawnRoutesLengthTooLargeIsSessionReset) {
  Buf m = update({}, mandatory(), kNlri);
  m[19] = 0x10;  // Withdrawn Routes Length 4096
  UpdateSummary s = summarize_update(m);
  expect(s, kReset, UpdateSubcode::malformed_attribute_list);
}

TEST(Rfc7606_3, B_TotalAttributeLengthTooLargeIsSessionReset) {
  Buf m = update({}, mandatory(), kNlri);
  m[22] = static_cast<std::uint8_t>(m[22] + 5);  // attributes run past the message
  UpdateSummary s = summarize_update(m);
  expect(s, kReset, UpdateSubcode::malformed_attribute_list);
  EXPECT_EQ(to_notification(*s.error), (Notification{3, 1, {}}));
}

TEST(Rfc7606_3, C_OptionalOrTransitiveFlagConflictIsTreatAsWithdraw) {
  // ORIGIN sent as optional (0xC0 instead of 0x40).
  Buf bad_origin{0xc0, 0x01, 0x01, 0x00};
  UpdateSummary s = summarize_update(update({}, cat({bad_origin, test::kAsPath, test::kNextHop}), kNlri));
  expect(s, kWithdraw, UpdateSubcode::attribute_flags_error);
  EXPECT_EQ(s.error->data, bad_origin);  // RFC 4271 §6.3: type, length, value
  EXPECT_EQ(s.error->attribute, 1);
  // MED sent as transitive.
  Buf med{0xc0, 0x04, 0x04, 0, 0, 0, 1};
  expect(summarize_update(update({}, cat({mandatory(), med}), kNlri)), kWithdraw,
         UpdateSubcode::attribute_flags_error);
}

TEST(Rfc7606_3, C_PartialAndExtendedLengthBitsAreNotFlagErrors) {
  Buf origin_partial{0x60, 0x01, 0x01, 0x00};            // Partial bit set
  Buf as_path_ext{0x50, 0x02, 0x00, 0x00};               // Extended Length, empty AS_PATH
  UpdateSummary s = summarize_update(update({}, cat({origin_partial, as_path_ext, test::kNextHop}), kNlri));
  EXPECT_EQ(s.action, ErrorAction::none) << (s.error ? s.error->rule : "");
}

TEST(Rfc7606_3, D_MissingOriginIsTreatAsWithdraw) {
  UpdateSummary s = summarize_update(update({}, cat({test::kAsPath, test::kNextHop}), kNlri));
  expect(s, kWithdraw, UpdateSubcode::missing_well_known_attribute);
  EXPECT_EQ(s.error->data, (Buf{1}));  // RFC 4271 §6.3: the missing type code
}

TEST(Rfc7606_3, D_MissingAsPathIsTreatAsWithdraw) {
  UpdateSummary s = summarize_update(update({}, cat({test::kOriginIgp, test::kNextHop}), kNlri));
  expect(s, kWithdraw, UpdateSubcode::missing_well_known_attribute);
  EXPECT_EQ(s.error->data, (Buf{2}));
}

TEST(Rfc7606_3, D_MissingNextHopWithIpv4NlriIsTreatAsWithdraw) {
  UpdateSummary s = summarize_update(update({}, cat({test::kOriginIgp, test::kAsPath}), kNlri));
  expect(s, kWithdraw, UpdateSubcode::missing_well_known_attribute);
  EXPECT_EQ(s.error->data, (Buf{3}));
}

TEST(Rfc7606_3, D_NextHopIsDiscretionaryForMpReachOnly) {
  // RFC 4760 §3 reclassifies NEXT_HOP: not needed when only MP_REACH_NLRI.
  Buf m = update({}, cat({attr(0x80, 14, mp_reach_v6()), test::kOriginIgp, test::kAsPath}), {});
  UpdateSummary s = summarize_update(m);
  EXPECT_EQ(s.action, ErrorAction::none);
  EXPECT_EQ(s.ipv6_announced, 1u);
  // ... but ORIGIN is still mandatory.
  Buf m2 = update({}, cat({attr(0x80, 14, mp_reach_v6()), test::kAsPath}), {});
  expect(summarize_update(m2), kWithdraw, UpdateSubcode::missing_well_known_attribute);
}

TEST(Rfc7606_3, D_WithdrawalsNeedNoMandatoryAttributes) {
  UpdateSummary s = summarize_update(update({24, 10, 1, 2}, {}, {}));
  EXPECT_EQ(s.action, ErrorAction::none);
  EXPECT_EQ(s.ipv4_withdrawn, 1u);
}

TEST(Rfc7606_3, G_RepeatedAttributeKeepsTheFirstAndDiscardsTheRest) {
  Buf second_origin{0x40, 0x01, 0x01, 0x02};  // INCOMPLETE, ignored
  Buf m = update({}, cat({mandatory(), second_origin}), kNlri);
  UpdateSummary s = summarize_update(m);
  expect(s, kDiscard, UpdateSubcode::malformed_attribute_list);
  EXPECT_EQ(s.discarded_attributes, 1u);
  DecodedUpdate d = decode_update(m);
  EXPECT_EQ(d.update.attributes.origin, Origin::igp);
}

TEST(Rfc7606_3, G_RepeatedMalformedAttributeIsStillOnlyDiscarded) {
  Buf bad_second_med{0x80, 0x04, 0x02, 0, 0};  // would be treat-as-withdraw if first
  Buf med{0x80, 0x04, 0x04, 0, 0, 0, 1};
  UpdateSummary s = summarize_update(update({}, cat({mandatory(), med, bad_second_med}), kNlri));
  EXPECT_EQ(s.action, kDiscard);
}

TEST(Rfc7606_3, G_RepeatedUnknownAttributeIsDiscardedToo) {
  Buf unknown{0xc0, 0x63, 0x01, 0x00};
  UpdateSummary s = summarize_update(update({}, cat({mandatory(), unknown, unknown}), kNlri));
  EXPECT_EQ(s.action, kDiscard);
  EXPECT_EQ(s.unknown_attributes, 1u);
}

TEST(Rfc7606_3, G_RepeatedMpReachIsSessionReset) {
  Buf reach = attr(0x80, 14, mp_reach_v6());
  UpdateSummary s = summarize_update(update({}, cat({reach, reach, test::kOriginIgp, test::kAsPath}), {}));
  expect(s, kReset, UpdateSubcode::malformed_attribute_list);
}

TEST(Rfc7606_3, G_RepeatedMpUnreachIsSessionReset) {
  Buf unreach = attr(0x80, 15, {0x00, 0x02, 0x01});
  UpdateSummary s = summarize_update(update({}, cat({unreach, unreach}), {}));
  expect(s, kReset, UpdateSubcode::malformed_attribute_list);
}

TEST(Rfc7606_3, H_TheStrongestActionWinsAndTheFirstOfItIsReported) {
  Buf bad_atomic{0x40, 0x06, 0x01, 0x00};      // attribute discard (§7.6)
  Buf bad_med{0x80, 0x04, 0x03, 0, 0, 1};      // treat-as-withdraw (§7.4)
  Buf bad_comm{0xc0, 0x08, 0x03, 0, 0, 1};     // treat-as-withdraw (§7.8)
  UpdateSummary s = summarize_update(update({}, cat({mandatory(), bad_atomic, bad_med, bad_comm}), kNlri));
  expect(s, kWithdraw, UpdateSubcode::attribute_length_error);
  EXPECT_EQ(s.error->attribute, 4);  // the MED, the first treat-as-withdraw
  EXPECT_EQ(s.errors, 3u);
  EXPECT_EQ(s.discarded_attributes, 1u);
}

TEST(Rfc7606_3, I_WithdrawnPrefixLongerThan32IsSessionReset) {
  UpdateSummary s = summarize_update(update({33, 10, 0, 0, 0, 0}, {}, {}));
  expect(s, kReset, UpdateSubcode::invalid_network_field);
}

TEST(Rfc7606_3, I_WithdrawnPrefixOverrunIsSessionReset) {
  UpdateSummary s = summarize_update(update({24, 10, 0}, {}, {}));
  expect(s, kReset, UpdateSubcode::invalid_network_field);
}

TEST(Rfc7606_3, J_MpReachCutByTotalAttributeLengthIsSessionReset) {
  // The MP_REACH_NLRI claims more octets than the attributes hold: its NLRI
  // cannot be parsed, so treat-as-withdraw is impossible.
  Buf reach = attr(0x80, 14, mp_reach_v6());
  reach[2] = static_cast<std::uint8_t>(reach[2] + 10);
  UpdateSummary s = summarize_update(update({}, cat({test::kOriginIgp, test::kAsPath, reach}), {}));
  expect(s, kReset, UpdateSubcode::attribute_length_error);
}

TEST(Rfc7606_4, LastAttributeOverrunIsTreatAsWithdrawAndNlriStillFound) {
  Buf med{0x80, 0x04, 0x09, 0, 0, 0, 1};  // claims 9 octets, 4 left
  UpdateSummary s = summarize_update(update({}, cat({mandatory(), med}), cat({kNlri, kNlri})));
  expect(s, kWithdraw, UpdateSubcode::attribute_length_error);
  EXPECT_EQ(s.ipv4_announced, 2u);  // Total Attribute Length located the NLRI
}

TEST(Rfc7606_4, FewerThanThreeOctetsLeftIsTreatAsWithdraw) {
  UpdateSummary s = summarize_update(update({}, cat({mandatory(), {0x40, 0x07}}), kNlri));
  expect(s, kWithdraw, UpdateSubcode::malformed_attribute_list);
  EXPECT_EQ(s.ipv4_announced, 1u);
}

TEST(Rfc7606_4, ExtendedLengthWithFewerThanFourOctetsIsTreatAsWithdraw) {
  UpdateSummary s = summarize_update(update({}, cat({mandatory(), {0xd0, 0x08, 0x00}}), kNlri));
  expect(s, kWithdraw, UpdateSubcode::malformed_attribute_list);
}

TEST(Rfc7606_4, ZeroLengthIsAnErrorExceptForAsPathAndAtomicAggregate) {
  Buf empty_as_path{0x40, 0x02, 0x00};
  Buf atomic{0x40, 0x06, 0x00};
  UpdateSummary ok = summarize_update(
      update({}, cat({test::kOriginIgp, empty_as_path, test::kNextHop, atomic}), kNlri), {.ibgp = true});
  EXPECT_EQ(ok.action, ErrorAction::none);
  Buf empty_med{0x80, 0x04, 0x00};
  expect(summarize_update(update({}, cat({mandatory(), empty_med}), kNlri)), kWithdraw,
         UpdateSubcode::attribute_length_error);
  Buf empty_origin{0x40, 0x01, 0x00};
  expect(summarize_update(update({}, cat({empty_origin, test::kAsPath, test::kNextHop}), kNlri)),
         kWithdraw, UpdateSubcode::attribute_length_error);
}

TEST(Rfc7606_5_1, MpAttributesAreAcceptedInAnyPositionAndCombination) {
  Buf m = update({24, 10, 9, 9}, cat({mandatory(), attr(0x80, 14, mp_reach_v6()),
                                      attr(0x80, 15, {0x00, 0x02, 0x01, 0x10, 0x20, 0x01})}),
                 kNlri);
  UpdateSummary s = summarize_update(m);
  EXPECT_EQ(s.action, ErrorAction::none);
  EXPECT_EQ(s.ipv4_announced, 1u);
  EXPECT_EQ(s.ipv4_withdrawn, 1u);
  EXPECT_EQ(s.ipv6_announced, 1u);
  EXPECT_EQ(s.ipv6_withdrawn, 1u);
}

TEST(Rfc7606_5_2, AttributesWithoutNlriAndAWithdrawErrorIsSessionReset) {
  Buf bad_origin{0x40, 0x01, 0x01, 0x07};
  UpdateSummary s = summarize_update(update({}, cat({bad_origin, test::kAsPath, test::kNextHop}), {}));
  expect(s, kReset, UpdateSubcode::invalid_origin_attribute);
  EXPECT_NE(s.error->rule.find("5.2"), std::string_view::npos);
}

TEST(Rfc7606_5_2, AttributesWithoutNlriAndOnlyDiscardStays) {
  Buf bad_atomic{0x40, 0x06, 0x01, 0x00};
  UpdateSummary s = summarize_update(update({}, cat({mandatory(), bad_atomic}), {}));
  expect(s, kDiscard, UpdateSubcode::attribute_length_error);
}

TEST(Rfc7606_5_2, WithdrawalsWithOnlyMpUnreachAreNotEscalated) {
  // MP_UNREACH_NLRI with a bad prefix is AFI/SAFI disable; no other
  // attribute is present, so §5.2 does not apply.
  Buf unreach = attr(0x80, 15, {0x00, 0x02, 0x01, 0x81});
  UpdateSummary s = summarize_update(update({}, unreach, {}));
  expect(s, kDisable, UpdateSubcode::optional_attribute_error);
}

TEST(Rfc7606_5_3, NlriPrefixLongerThan32IsSessionReset) {
  expect(summarize_update(update({}, mandatory(), {33, 1, 2, 3, 4, 5})), kReset,
         UpdateSubcode::invalid_network_field);
}

TEST(Rfc7606_5_3, NlriOverrunIsSessionReset) {
  expect(summarize_update(update({}, mandatory(), {24, 10, 0})), kReset,
         UpdateSubcode::invalid_network_field);
}

TEST(Rfc7606_5_3, MpReachPrefixTooLongForTheAfiIsAfiSafiDisable) {
  Buf v = mp_reach_v6();
  v.insert(v.end(), {129, 0x20});
  UpdateSummary s = summarize_update(update({}, cat({attr(0x80, 14, v), test::kOriginIgp, test::kAsPath}), {}));
  expect(s, kDisable, UpdateSubcode::optional_attribute_error);
  EXPECT_EQ(s.error->afi, 2);  // RFC 4760 §7: which AFI/SAFI to ignore
  EXPECT_EQ(s.error->safi, 1);
  EXPECT_EQ(s.ipv6_announced, 0u);  // nothing from the bad attribute is counted
}

TEST(Rfc7606_5_3, MpReachIpv4PrefixLongerThan32IsAfiSafiDisable) {
  Buf v{0x00, 0x01, 0x01, 0x04, 192, 0, 2, 1, 0x00, 40, 1, 2, 3, 4, 5};
  UpdateSummary s = summarize_update(update({}, cat({attr(0x80, 14, v), test::kOriginIgp, test::kAsPath}), {}));
  expect(s, kDisable, UpdateSubcode::optional_attribute_error);
  EXPECT_EQ(s.error->afi, 1);
}

TEST(Rfc7606_5_3, MpReachNlriOverrunIsAfiSafiDisable) {
  Buf v = mp_reach_v6();
  v.insert(v.end(), {64, 0x20, 0x01});
  expect(summarize_update(update({}, cat({attr(0x80, 14, v), test::kOriginIgp, test::kAsPath}), {})),
         kDisable, UpdateSubcode::optional_attribute_error);
}

TEST(Rfc7606_5_3, MpUnreachNlriOverrunIsAfiSafiDisable) {
  expect(summarize_update(update({}, attr(0x80, 15, {0x00, 0x01, 0x01, 0x18, 10}), {})), kDisable,
         UpdateSubcode::optional_attribute_error);
}

TEST(Rfc7606_5_3, MpReachFlagsInconsistentWithRfc4760IsAfiSafiDisable) {
  UpdateSummary s = summarize_update(
      update({}, cat({attr(0xc0, 14, mp_reach_v6()), test::kOriginIgp, test::kAsPath}), {}));
  expect(s, kDisable, UpdateSubcode::attribute_flags_error);
  EXPECT_EQ(s.error->afi, 2);
}

TEST(Rfc7606_5_3, MpUnreachFlagsInconsistentIsAfiSafiDisable) {
  expect(summarize_update(update({}, attr(0x40, 15, {0x00, 0x02, 0x01}), {})), kDisable,
         UpdateSubcode::attribute_flags_error);
}

TEST(Rfc7606_5_3, MpUnreachShorterThan3IsSessionReset) {
  expect(summarize_update(update({}, attr(0x80, 15, {0x00, 0x02}), {})), kReset,
         UpdateSubcode::optional_attribute_error);
}

TEST(Rfc7606_5_3, MpReachShorterThan5) {
  // Without AFI/SAFI nothing can be disabled: session reset.
  expect(summarize_update(update({}, cat({attr(0x80, 14, {0x00, 0x02}), test::kOriginIgp}), {})),
         kReset, UpdateSubcode::optional_attribute_error);
  // With them, the AFI/SAFI is disabled.
  expect(summarize_update(update({}, cat({attr(0x80, 14, {0x00, 0x02, 0x01, 0x00}), test::kOriginIgp,
                                          test::kAsPath}),
                                 {})),
         kDisable, UpdateSubcode::optional_attribute_error);
}

TEST(Rfc4760_7, AfiSafiDisableCarriesTheOptionalAttributeErrorNotification) {
  Buf reach = attr(0x80, 14, mp_reach_v6(4));
  UpdateSummary s = summarize_update(update({}, cat({reach, test::kOriginIgp, test::kAsPath}), {}));
  ASSERT_TRUE(s.error);
  Notification n = to_notification(*s.error);
  EXPECT_EQ(n.code, 3);
  EXPECT_EQ(n.subcode, 9);
  EXPECT_EQ(n.data, reach);
}

TEST(Rfc4271_6_3, UnrecognizedWellKnownAttributeIsTreatAsWithdraw) {
  // RFC 7606 names no approach for it: the safe default (not a reset).
  Buf unknown_wk{0x40, 0x63, 0x01, 0x00};
  UpdateSummary s = summarize_update(update({}, cat({mandatory(), unknown_wk}), kNlri));
  expect(s, kWithdraw, UpdateSubcode::unrecognized_well_known_attribute);
  EXPECT_EQ(s.error->data, unknown_wk);
}

TEST(Rfc4271_6_3, UnrecognizedOptionalAttributesAreSkippedButRecorded) {
  Buf transitive{0xe0, 0x63, 0x02, 0xab, 0xcd};  // optional transitive, Partial
  Buf non_transitive{0x80, 0x64, 0x01, 0x00};
  Buf m = update({}, cat({mandatory(), transitive, non_transitive}), kNlri);
  UpdateSummary s = summarize_update(m);
  EXPECT_EQ(s.action, ErrorAction::none);
  EXPECT_EQ(s.unknown_attributes, 2u);
  DecodedUpdate d = decode_update(m);
  EXPECT_EQ(d.update.attributes.unknown,
            (std::vector<UnknownAttribute>{{0xe0, 0x63, 2}, {0x80, 0x64, 1}}));
}

TEST(Rfc4271_6_3, FullDecoderSeesOnlyWhatTheChecksAccepted) {
  Buf bad_atomic{0x40, 0x06, 0x01, 0x00};
  DecodedUpdate d = decode_update(update({}, cat({mandatory(), bad_atomic}), kNlri));
  EXPECT_TRUE(d.consistent);
  EXPECT_FALSE(d.update.attributes.atomic_aggregate);  // discarded
  EXPECT_EQ(d.update.nlri.size(), 1u);
}

TEST(Rfc4271_6_3, NotAnUpdateMessageIsAHeaderError) {
  UpdateSummary s = summarize_update(encode_keepalive());
  EXPECT_EQ(s.action, kReset);
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->code, ErrorCode::message_header);
}

}  // namespace
}  // namespace fbf::bgp
