// RFC 5880 §6.7: each Auth Type accepts the right key and rejects a wrong
// key, a wrong key ID, replays and out-of-window sequence numbers, across the
// 2^32 wrap; plus the Session's use of bfd.XmitAuthSeq / bfd.AuthSeqKnown.
#include "bfd/auth.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bfd_test_support.h"

namespace fbf::bfd {
namespace {

using namespace test;
using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

AuthConfig config_for(AuthType type, std::uint8_t key_id, std::string_view key) {
  auto c = make_auth_config(type, key_id, bytes_of(key));
  EXPECT_TRUE(c) << to_string(c.error());
  return c.value_or(AuthConfig{});
}

// A signed packet as received: the bytes and their decoding.
struct Received {
  PacketBuffer wire;
  ControlPacket packet;
};

Received sign_as_peer(const AuthConfig& peer, std::uint32_t sequence, std::uint8_t mult = 3) {
  ControlPacket p = peer_packet(State::Up, kOurDiscr, 100'000, 100'000, mult);
  p.auth = make_auth_section(peer, sequence);
  auto wire = encode_signed(p, peer);
  EXPECT_TRUE(wire);
  auto decoded = decode(wire->bytes());
  EXPECT_TRUE(decoded) << to_string(decoded.error());
  return {*wire, *decoded};
}

std::expected<void, AuthError> check(const AuthConfig& ours, const Received& r, bool known = false,
                                     std::uint32_t rcv = 0) {
  return verify(ours, r.packet, r.wire.bytes(), known, rcv);
}

class EveryAuthType : public ::testing::TestWithParam<AuthType> {};

TEST_P(EveryAuthType, AcceptsTheConfiguredKey) {
  const auto ours = config_for(GetParam(), 1, "secret");
  EXPECT_TRUE(check(ours, sign_as_peer(ours, 100)));
}

TEST_P(EveryAuthType, RejectsAWrongKey) {
  const auto ours = config_for(GetParam(), 1, "secret");
  const auto theirs = config_for(GetParam(), 1, "secreT");
  EXPECT_EQ(check(ours, sign_as_peer(theirs, 100)).error(), AuthError::digest_mismatch);
}

TEST_P(EveryAuthType, RejectsAWrongKeyId) {
  const auto ours = config_for(GetParam(), 1, "secret");
  const auto theirs = config_for(GetParam(), 2, "secret");
  EXPECT_EQ(check(ours, sign_as_peer(theirs, 100)).error(), AuthError::key_id_mismatch);
}

TEST_P(EveryAuthType, RejectsAnotherAuthType) {
  const auto ours = config_for(GetParam(), 1, "secret");
  const AuthType other =
      GetParam() == AuthType::KeyedSha1 ? AuthType::KeyedMd5 : AuthType::KeyedSha1;
  const auto theirs = config_for(other, 1, "secret");
  EXPECT_EQ(check(ours, sign_as_peer(theirs, 100)).error(), AuthError::type_mismatch);
}

TEST_P(EveryAuthType, RejectsAnyTamperedByte) {
  const auto ours = config_for(GetParam(), 1, "secret");
  const auto good = sign_as_peer(ours, 100);
  // MD5/SHA1: every byte the digest covers, the Reserved byte (offset 27)
  // included. A simple password covers only itself.
  const std::size_t first = GetParam() == AuthType::SimplePassword ? kMandatoryLength : 0;
  for (std::size_t i = first; i < good.wire.size; ++i) {
    Received bad = good;
    bad.wire.storage[i] ^= 0x01;
    auto decoded = decode(bad.wire.bytes());
    if (!decoded) {
      continue;  // the codec already refuses it
    }
    bad.packet = *decoded;
    EXPECT_FALSE(check(ours, bad)) << "byte " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc5880, EveryAuthType,
                         ::testing::Values(AuthType::SimplePassword, AuthType::KeyedMd5,
                                           AuthType::MeticulousKeyedMd5, AuthType::KeyedSha1,
                                           AuthType::MeticulousKeyedSha1),
                         [](const auto& test_info) { return std::string(to_string(test_info.param)); });

TEST(SimplePassword, RejectsAPasswordOfAnotherLength) {
  const auto ours = config_for(AuthType::SimplePassword, 1, "secret");
  const auto theirs = config_for(AuthType::SimplePassword, 1, "secret2");
  EXPECT_EQ(check(ours, sign_as_peer(theirs, 0)).error(), AuthError::bad_length);
}

class SequencedAuthType : public ::testing::TestWithParam<AuthType> {};

TEST_P(SequencedAuthType, ReplayRejectedOnlyWhenMeticulous) {
  const auto ours = config_for(GetParam(), 1, "secret");
  const auto same = sign_as_peer(ours, 1000);
  if (is_meticulous(GetParam())) {
    EXPECT_EQ(check(ours, same, true, 1000).error(), AuthError::bad_sequence);
  } else {
    EXPECT_TRUE(check(ours, same, true, 1000));  // Keyed: "greater than or equal"
  }
  EXPECT_EQ(check(ours, sign_as_peer(ours, 999), true, 1000).error(), AuthError::bad_sequence);
}

TEST_P(SequencedAuthType, WindowIsThreeTimesDetectMult) {
  const auto ours = config_for(GetParam(), 1, "secret");
  EXPECT_TRUE(check(ours, sign_as_peer(ours, 1009, 3), true, 1000));   // +3*3
  EXPECT_EQ(check(ours, sign_as_peer(ours, 1010, 3), true, 1000).error(),
            AuthError::bad_sequence);
  EXPECT_TRUE(check(ours, sign_as_peer(ours, 1015, 5), true, 1000));  // peer's mult 5
  EXPECT_TRUE(check(ours, sign_as_peer(ours, 1001), true, 1000));
}

TEST_P(SequencedAuthType, WindowWrapsAt2To32) {
  const auto ours = config_for(GetParam(), 1, "secret");
  EXPECT_TRUE(check(ours, sign_as_peer(ours, 0xffffffff), true, 0xfffffffe));
  EXPECT_TRUE(check(ours, sign_as_peer(ours, 0), true, 0xfffffffe));
  EXPECT_TRUE(check(ours, sign_as_peer(ours, 7), true, 0xfffffffe));  // +9 = 3 x mult
  EXPECT_EQ(check(ours, sign_as_peer(ours, 8), true, 0xfffffffe).error(),
            AuthError::bad_sequence);  // +10
  EXPECT_EQ(check(ours, sign_as_peer(ours, 0xfffffffd), true, 0xfffffffe).error(),
            AuthError::bad_sequence);  // one behind
}

TEST_P(SequencedAuthType, AnySequenceWhileUnknown) {
  const auto ours = config_for(GetParam(), 1, "secret");
  EXPECT_TRUE(check(ours, sign_as_peer(ours, 5), /*known=*/false, 1000));
}

INSTANTIATE_TEST_SUITE_P(Rfc5880, SequencedAuthType,
                         ::testing::Values(AuthType::KeyedMd5, AuthType::MeticulousKeyedMd5,
                                           AuthType::KeyedSha1, AuthType::MeticulousKeyedSha1),
                         [](const auto& test_info) { return std::string(to_string(test_info.param)); });

TEST(SequenceWindow, SerialArithmetic) {
  const auto keyed = AuthType::KeyedSha1;
  const auto meticulous = AuthType::MeticulousKeyedSha1;
  EXPECT_TRUE(sequence_in_window(keyed, true, 0xffffffff, 0xffffffff, 1));
  EXPECT_FALSE(sequence_in_window(meticulous, true, 0xffffffff, 0xffffffff, 1));
  EXPECT_TRUE(sequence_in_window(meticulous, true, 0xffffffff, 0, 1));
  EXPECT_TRUE(sequence_in_window(meticulous, true, 0xffffffff, 2, 1));
  EXPECT_FALSE(sequence_in_window(meticulous, true, 0xffffffff, 3, 1));
  EXPECT_FALSE(sequence_in_window(keyed, true, 0, 0xffffffff, 255));  // one behind
  EXPECT_TRUE(sequence_in_window(keyed, true, 0, 765, 255));
  EXPECT_TRUE(sequence_in_window(meticulous, false, 10, 3, 1));
}

TEST(AuthConfig, ValidatesKeyLengths) {
  EXPECT_EQ(make_auth_config(AuthType::None, 1, bytes_of("x")).error(), AuthConfigError::bad_type);
  EXPECT_EQ(make_auth_config(AuthType::KeyedMd5, 1, {}).error(), AuthConfigError::bad_key_length);
  EXPECT_EQ(make_auth_config(AuthType::SimplePassword, 1, Bytes(17, 'a')).error(),
            AuthConfigError::bad_key_length);
  EXPECT_EQ(make_auth_config(AuthType::MeticulousKeyedMd5, 1, Bytes(17, 'a')).error(),
            AuthConfigError::bad_key_length);
  EXPECT_TRUE(make_auth_config(AuthType::KeyedSha1, 1, Bytes(20, 'a')));
  EXPECT_EQ(make_auth_config(AuthType::KeyedSha1, 1, Bytes(21, 'a')).error(),
            AuthConfigError::bad_key_length);
}

TEST(AuthSigning, NeedsASectionOfTheConfiguredType) {
  const auto config = config_for(AuthType::KeyedSha1, 1, "secret");
  ControlPacket p = peer_packet(State::Down);
  EXPECT_EQ(encode_signed(p, config).error(), EncodeError::bad_auth_section);
  p.auth = make_auth_section(config_for(AuthType::KeyedMd5, 1, "secret"), 1);
  EXPECT_EQ(encode_signed(p, config).error(), EncodeError::bad_auth_section);
}

TEST(AuthVerify, RawBytesMustBeThePacket) {
  const auto ours = config_for(AuthType::KeyedSha1, 1, "secret");
  const auto r = sign_as_peer(ours, 1);
  EXPECT_EQ(verify(ours, r.packet, r.wire.bytes().first(40), false, 0).error(),
            AuthError::bad_length);
}

// ---- the Session's side: §6.8.1 variables, §6.8.6 A-bit rules -------------

SessionConfig authed_config(const AuthConfig& auth) {
  SessionConfig c = fast_config();
  c.auth = auth;
  return c;
}

TEST(SessionAuth, XmitAuthSeqStartsRandomAndMeticulousIncrementsPerPacket) {
  const auto auth = config_for(AuthType::MeticulousKeyedSha1, 1, "secret");
  FixedRandom random(0xfffffffe);
  Session s(authed_config(auth), random);
  EXPECT_EQ(s.variables().XmitAuthSeq, 0xfffffffeu);
  std::vector<std::uint32_t> sent;
  auto collect = [&](const Actions& a) {
    for (const auto& t : all_of<Transmit>(a)) sent.push_back(t.packet.auth->sequence);
  };
  collect(s.start(kT0));
  collect(s.on_timer(kT0 + 1s, TimerKind::Transmit));
  collect(s.on_timer(kT0 + 2s, TimerKind::Transmit));
  EXPECT_EQ(sent, (std::vector<std::uint32_t>{0xfffffffe, 0xffffffff, 0}));  // wraps
}

TEST(SessionAuth, KeyedIncrementsOnlyWhenContentsChange) {
  const auto auth = config_for(AuthType::KeyedMd5, 1, "secret");
  FixedRandom random(250'000);
  Session s(authed_config(auth), random);
  std::vector<std::uint32_t> sent;
  auto collect = [&](const Actions& a) {
    for (const auto& t : all_of<Transmit>(a)) sent.push_back(t.packet.auth->sequence);
  };
  collect(s.start(kT0));
  collect(s.on_timer(kT0 + 1s, TimerKind::Transmit));
  collect(deliver(s, kT0 + 1500ms, peer_packet(State::Down), auth));  // -> Init: new contents
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], 250'000u);
  EXPECT_EQ(sent[1], 250'000u);
  EXPECT_EQ(sent[2], 250'001u);
}

TEST(SessionAuth, AcceptsSignedPacketsAndDropsReplays) {
  const auto auth = config_for(AuthType::MeticulousKeyedSha1, 1, "secret");
  FixedRandom random;
  Session s(authed_config(auth), random);
  s.start(kT0);
  ControlPacket p = peer_packet(State::Down);
  p.auth = make_auth_section(auth, 500);
  deliver(s, kT0 + 1ms, p, auth);
  EXPECT_EQ(s.variables().SessionState, State::Init);
  EXPECT_TRUE(s.variables().AuthSeqKnown);
  EXPECT_EQ(s.variables().RcvAuthSeq, 500u);
  deliver(s, kT0 + 2ms, p, auth);  // the same packet again
  EXPECT_EQ(s.counters().drop_count(RxDrop::auth_bad_sequence), 1u);
  EXPECT_EQ(s.counters().auth_failures, 1u);
  EXPECT_EQ(s.counters().packets_in, 1u);
}

TEST(SessionAuth, AuthSeqKnownResetsAfterTwiceTheDetectionTime) {
  const auto auth = config_for(AuthType::MeticulousKeyedMd5, 1, "secret");
  FixedRandom random;
  Session s(authed_config(auth), random);
  s.start(kT0);
  ControlPacket p = peer_packet(State::Down);  // Detection Time 3 x 1 s (we are not Up)
  p.desired_min_tx_interval = 1'000'000;
  p.auth = make_auth_section(auth, 500);
  deliver(s, kT0, p, auth);
  ASSERT_EQ(s.detection_time_us(), 3'000'000u);
  p.auth = make_auth_section(auth, 10);  // far outside the window
  deliver(s, kT0 + 6s - 1us, p, auth);
  EXPECT_EQ(s.counters().drop_count(RxDrop::auth_bad_sequence), 1u);
  deliver(s, kT0 + 6s, p, auth);  // 2 x Detection Time without a valid packet
  EXPECT_EQ(s.counters().drop_count(RxDrop::auth_bad_sequence), 1u);
  EXPECT_EQ(s.variables().RcvAuthSeq, 10u);
}

TEST(SessionAuth, SignedTransmissionsVerifyAtThePeer) {
  const auto auth = config_for(AuthType::KeyedSha1, 3, "0123456789abcdefghij");
  FixedRandom random;
  Session s(authed_config(auth), random);
  auto tx = first_of<Transmit>(s.start(kT0));
  ASSERT_TRUE(tx);
  auto wire = encode_signed(tx->packet, s.auth());
  ASSERT_TRUE(wire);
  auto decoded = decode(wire->bytes());
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(verify(auth, *decoded, wire->bytes(), false, 0));
}

}  // namespace
}  // namespace fbf::bfd
