// NOTIFICATION (RFC 4271 §4.5), Cease subcodes (RFC 4486, RFC 9384) and the
// Shutdown Communication (RFC 9003).
#include <gtest/gtest.h>

#include "bgp/message.h"
#include "bgp/utf8.h"
#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using test::Buf;

TEST(Notification, Rfc9003_ShutdownCommunicationByteExact) {
  const Buf expected{
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0x00, 0x21,  // length 33 = 21 + 1 + 11
      0x03,        // NOTIFICATION
      0x06,        // Cease
      0x02,        // Administrative Shutdown
      0x0b,        // Shutdown Communication length 11
      'm', 'a', 'i', 'n', 't', 'e', 'n', 'a', 'n', 'c', 'e',
  };
  auto n = make_shutdown_notification(CeaseSubcode::administrative_shutdown, "maintenance");
  ASSERT_TRUE(n);
  EXPECT_EQ(encode_notification(*n), expected);

  auto d = decode_notification(expected);
  ASSERT_TRUE(d);
  auto s = shutdown_communication(*d);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->text, "maintenance");
  EXPECT_TRUE(s->valid_utf8);
  EXPECT_FALSE(s->truncated);
  EXPECT_EQ(s->printable(), "maintenance");
}

TEST(Notification, Rfc9384_CeaseBfdDownByteExact) {
  const Buf expected = test::cat({test::header(21, 3), {0x06, 0x0a}});
  EXPECT_EQ(encode_notification(make_cease(CeaseSubcode::bfd_down)), expected);
  auto d = decode_notification(expected);
  ASSERT_TRUE(d);
  EXPECT_EQ(describe_error(d->code, d->subcode), "Cease/BFD Down (6/10)");
}

TEST(Notification, Rfc9003_2_AdministrativeResetWithUtf8AndEmptyText) {
  auto n = make_shutdown_notification(CeaseSubcode::administrative_reset, "Wartung \xc3\xbc");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->data, (Buf{10, 'W', 'a', 'r', 't', 'u', 'n', 'g', ' ', 0xc3, 0xbc}));
  auto empty = make_shutdown_notification(CeaseSubcode::administrative_shutdown, "");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->data, (Buf{0}));  // "When the length value is zero, no ... field follows"
}

TEST(Notification, Rfc9003_2_OnlyForShutdownOrReset) {
  auto n = make_shutdown_notification(CeaseSubcode::peer_deconfigured, "x");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), ShutdownError::not_admin_subcode);
  EXPECT_FALSE(shutdown_communication(make_cease(CeaseSubcode::bfd_down)));
}

TEST(Notification, Rfc9003_2_LengthLimits) {
  EXPECT_TRUE(make_shutdown_notification(CeaseSubcode::administrative_shutdown, std::string(255, 'a')));
  auto too_long = make_shutdown_notification(CeaseSubcode::administrative_shutdown, std::string(256, 'a'));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error(), ShutdownError::too_long);
  // RFC 9003 §3: at most 128 octets to a peer not known to support it.
  EXPECT_FALSE(make_shutdown_notification(CeaseSubcode::administrative_shutdown,
                                          std::string(129, 'a'), kLegacyShutdownCommunication));
}

TEST(Notification, Rfc9003_2_RefusesToSendInvalidUtf8) {
  auto n = make_shutdown_notification(CeaseSubcode::administrative_shutdown, "\xc0\xaf");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), ShutdownError::invalid_utf8);
}

TEST(Notification, Rfc9003_4_InvalidUtf8IsToleratedButFlagged) {
  Notification n{6, 2, {3, 'a', 0xff, 'b'}};
  auto s = shutdown_communication(n);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->valid_utf8);
  EXPECT_EQ(s->text.size(), 3u);
  EXPECT_EQ(s->printable(), "invalid UTF-8: 61 ff 62");
}

TEST(Notification, Rfc9003_TruncatedOrTrailingCommunicationIsFlagged) {
  auto t = shutdown_communication({6, 4, {10, 'a', 'b'}});
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->truncated);
  EXPECT_EQ(t->text, "ab");
  auto x = shutdown_communication({6, 4, {1, 'a', 'b'}});
  ASSERT_TRUE(x);
  EXPECT_TRUE(x->trailing);
  EXPECT_EQ(x->text, "a");
}

TEST(Notification, Rfc9003_6_ControlCharactersAreEscapedForLogs) {
  auto s = shutdown_communication({6, 2, {5, 'a', '\n', 'b', '\\', 'c'}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->printable(), "a\\x0ab\\x5cc");
}

TEST(Notification, Rfc4271_4_5_DecodesUnknownCodesAndData) {
  const Buf m = test::cat({test::header(24, 3), {0x09, 0x07, 0xaa, 0xbb, 0xcc}});
  auto d = decode_notification(m);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->code, 9);
  EXPECT_EQ(d->data, (Buf{0xaa, 0xbb, 0xcc}));
  EXPECT_EQ(encode_notification(*d), m);
  EXPECT_EQ(describe_error(9, 7), "Unknown (9/7)");
}

TEST(Notification, DataIsCutToFitTheMaximumLength) {
  Notification n{3, 1, Buf(5000, 0xee)};
  EXPECT_EQ(encode_notification(n).size(), 4096u);
  EXPECT_EQ(encode_notification(n, kMaxExtendedMessageLength).size(), 5021u);
}

TEST(Notification, FromAnErrorValue) {
  Error e{.code = ErrorCode::update_message, .subcode = 11, .data = {1, 2}};
  Notification n = to_notification(e);
  EXPECT_EQ(n, (Notification{3, 11, {1, 2}}));
  EXPECT_EQ(describe_error(3, 11), "UPDATE Message Error/Malformed AS_PATH (3/11)");
  EXPECT_EQ(describe_error(6, 2), "Cease/Administrative Shutdown (6/2)");
  EXPECT_EQ(describe_error(2, 7), "OPEN Message Error/Unsupported Capability (2/7)");
}

TEST(Utf8, AcceptsWellFormedRejectsOverlongSurrogatesAndBeyond) {
  auto ok = [](std::string_view s) {
    return is_valid_utf8(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  EXPECT_TRUE(ok("plain ascii"));
  EXPECT_TRUE(ok("\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80"));  // ü € 😀
  EXPECT_FALSE(ok("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(ok("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(ok("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(ok("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(ok("\xe2\x82"));          // truncated
  EXPECT_FALSE(ok("\x80"));              // lone continuation
}

}  // namespace
}  // namespace fbf::bgp
