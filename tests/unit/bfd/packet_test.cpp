// RFC 5880 §4 codec: byte-exact vectors (laid out by hand from the §4.1-§4.4
// diagrams; digests computed independently with Python's hashlib) and one
// test per §6.8.6 rule decode() enforces.
#include "bfd/packet.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "bfd/auth.h"

namespace fbf::bfd {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Vers 1 Diag 0 | Sta Up, no flags | Mult 3 | Length 24; My 0x11223344, Your
// 0x55667788, Desired Min TX 300 ms, Required Min RX 300 ms, Echo 0.
const Bytes kNoAuth = {0x20, 0xc0, 0x03, 0x18, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                       0x00, 0x04, 0x93, 0xe0, 0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0x00, 0x00};

// Diag 1 | Sta Down, P and C | Mult 5; My 1, Your 0; 1 s, 1 s, Echo 50 ms.
const Bytes kDownPollCpi = {0x21, 0x68, 0x05, 0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x0f, 0x42, 0x40, 0x00, 0x0f, 0x42, 0x40, 0x00, 0x00, 0xc3, 0x50};

ControlPacket no_auth_packet() {
  ControlPacket p;
  p.state = State::Up;
  p.detect_mult = 3;
  p.my_discriminator = 0x11223344;
  p.your_discriminator = 0x55667788;
  p.desired_min_tx_interval = 300'000;
  p.required_min_rx_interval = 300'000;
  return p;
}

Bytes encode_bytes(const ControlPacket& p) {
  auto buffer = encode(p);
  EXPECT_TRUE(buffer.has_value());
  return buffer ? Bytes(buffer->bytes().begin(), buffer->bytes().end()) : Bytes{};
}

TEST(PacketCodec, EncodesAndDecodesWithoutAuth) {
  EXPECT_EQ(encode_bytes(no_auth_packet()), kNoAuth);
  auto decoded = decode(kNoAuth);
  ASSERT_TRUE(decoded) << to_string(decoded.error());
  EXPECT_EQ(*decoded, no_auth_packet());
  EXPECT_EQ(decoded->length(), 24u);
}

TEST(PacketCodec, EncodesEveryFlagAndField) {
  ControlPacket p;
  p.diag = Diag::ControlDetectionTimeExpired;
  p.state = State::Down;
  p.poll = true;
  p.control_plane_independent = true;
  p.detect_mult = 5;
  p.my_discriminator = 1;
  p.desired_min_tx_interval = 1'000'000;
  p.required_min_rx_interval = 1'000'000;
  p.required_min_echo_rx_interval = 50'000;
  EXPECT_EQ(encode_bytes(p), kDownPollCpi);
  auto decoded = decode(kDownPollCpi);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, p);
  EXPECT_TRUE(decoded->poll);
  EXPECT_FALSE(decoded->final);
}

TEST(PacketCodec, FinalAndDemandBits) {
  ControlPacket p = no_auth_packet();
  p.final = true;
  p.demand = true;
  auto bytes = encode_bytes(p);
  EXPECT_EQ(bytes[1], 0xc0 | 0x10 | 0x02);
  EXPECT_EQ(*decode(bytes), p);
}

TEST(PacketCodec, KeepsReservedDiagnosticValues) {
  Bytes bytes = kNoAuth;
  bytes[0] = 0x20 | 31;
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(static_cast<int>(decoded->diag), 31);
  EXPECT_EQ(to_string(decoded->diag), "Reserved");
  EXPECT_EQ(encode_bytes(*decoded), bytes);
}

TEST(PacketCodec, SimplePasswordSection) {
  // A bit; Length 35; Auth Type 1, Auth Len 11, Key ID 5, "password".
  const Bytes expected = {0x20, 0xc4, 0x03, 0x23, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                          0x00, 0x04, 0x93, 0xe0, 0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0x00, 0x00,
                          0x01, 0x0b, 0x05, 'p',  'a',  's',  's',  'w',  'o',  'r',  'd'};
  const Bytes password = {'p', 'a', 's', 's', 'w', 'o', 'r', 'd'};
  auto config = make_auth_config(AuthType::SimplePassword, 5, password);
  ASSERT_TRUE(config);
  ControlPacket p = no_auth_packet();
  p.auth = make_auth_section(*config, 0);
  EXPECT_EQ(encode_bytes(p), expected);
  auto signed_packet = encode_signed(p, *config);
  ASSERT_TRUE(signed_packet);
  EXPECT_EQ(Bytes(signed_packet->bytes().begin(), signed_packet->bytes().end()), expected);

  auto decoded = decode(expected);
  ASSERT_TRUE(decoded);
  ASSERT_TRUE(decoded->auth);
  EXPECT_EQ(decoded->auth->type, AuthType::SimplePassword);
  EXPECT_EQ(decoded->auth->key_id, 5);
  EXPECT_EQ(Bytes(decoded->auth->bytes().begin(), decoded->auth->bytes().end()), password);
  EXPECT_EQ(*decoded, p);
}

struct DigestVector {
  AuthType type;
  std::uint32_t sequence;
  Bytes expected;
};

class KeyedVectors : public ::testing::TestWithParam<DigestVector> {};

// Mandatory Section as kNoAuth but A bit and Length 48/52; Auth Type, Auth
// Len 24/28, Key ID 7, Reserved 0, Sequence; key "secret" padded with zeros
// in the digest field when hashing (§6.7.3, §6.7.4).
TEST_P(KeyedVectors, SignsByteExactAndDecodes) {
  const auto& v = GetParam();
  const Bytes key = {'s', 'e', 'c', 'r', 'e', 't'};
  auto config = make_auth_config(v.type, 7, key);
  ASSERT_TRUE(config);
  ControlPacket p = no_auth_packet();
  p.auth = make_auth_section(*config, v.sequence);
  auto wire = encode_signed(p, *config);
  ASSERT_TRUE(wire);
  EXPECT_EQ(Bytes(wire->bytes().begin(), wire->bytes().end()), v.expected);

  auto decoded = decode(v.expected);
  ASSERT_TRUE(decoded) << to_string(decoded.error());
  ASSERT_TRUE(decoded->auth);
  EXPECT_EQ(decoded->auth->type, v.type);
  EXPECT_EQ(decoded->auth->key_id, 7);
  EXPECT_EQ(decoded->auth->sequence, v.sequence);
  EXPECT_TRUE(verify(*config, *decoded, v.expected, false, 0));
  // Re-encoding the decoded value reproduces the bytes (digest included).
  EXPECT_EQ(encode_bytes(*decoded), v.expected);
}

const Bytes kMandatoryMd5 = {0x20, 0xc4, 0x03, 0x30, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                             0x00, 0x04, 0x93, 0xe0, 0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0x00, 0x00};
const Bytes kMandatorySha1 = {0x20, 0xc4, 0x03, 0x34, 0x11, 0x22, 0x33, 0x44,
                              0x55, 0x66, 0x77, 0x88, 0x00, 0x04, 0x93, 0xe0,
                              0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0x00, 0x00};

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc5880, KeyedVectors,
    ::testing::Values(
        DigestVector{AuthType::KeyedMd5, 0x01020304,
                     cat(kMandatoryMd5, {0x02, 0x18, 0x07, 0x00, 0x01, 0x02, 0x03, 0x04, 0x29, 0x50,
                                         0x3c, 0x58, 0xf5, 0x38, 0xd7, 0xd4, 0x9d, 0xc6, 0xaa, 0x7b,
                                         0xe5, 0xd8, 0xac, 0xb1})},
        DigestVector{AuthType::MeticulousKeyedMd5, 0x01020304,
                     cat(kMandatoryMd5, {0x03, 0x18, 0x07, 0x00, 0x01, 0x02, 0x03, 0x04, 0xf5, 0x2d,
                                         0x1c, 0x52, 0x02, 0xe5, 0x89, 0xf4, 0x49, 0xf3, 0x7a, 0x87,
                                         0x5a, 0xc9, 0x94, 0xd0})},
        DigestVector{AuthType::KeyedSha1, 0x01020304,
                     cat(kMandatorySha1, {0x04, 0x1c, 0x07, 0x00, 0x01, 0x02, 0x03, 0x04, 0x11,
                                          0x92, 0x78, 0x8c, 0x6a, 0x6a, 0x3d, 0x6e, 0x6f, 0x35,
                                          0x4a, 0xd4, 0xcb, 0x79, 0xc2, 0x8e, 0xed, 0x21, 0x6b,
                                          0xd1})},
        DigestVector{AuthType::MeticulousKeyedSha1, 0xfffffffe,
                     cat(kMandatorySha1, {0x05, 0x1c, 0x07, 0x00, 0xff, 0xff, 0xff, 0xfe, 0x4c,
                                          0x53, 0x17, 0xd7, 0x25, 0x68, 0x11, 0x98, 0x94, 0xce,
                                          0x16, 0x9b, 0x0d, 0xe4, 0xb0, 0xb8, 0xb0, 0x96, 0x67,
                                          0xf4})}),
    [](const auto& test_info) { return std::string(to_string(test_info.param.type)); });

TEST(PacketCodec, IgnoresBytesPastLengthAndReservedByte) {
  Bytes bytes = kNoAuth;
  bytes.push_back(0xee);  // UDP payload longer than Length
  EXPECT_EQ(*decode(bytes), no_auth_packet());
}

TEST(PacketCodec, EncodeRejectsSmallBufferAndBadAuthSection) {
  std::array<std::uint8_t, 23> small{};
  EXPECT_EQ(encode(no_auth_packet(), small).error(), EncodeError::buffer_too_small);
  ControlPacket p = no_auth_packet();
  p.auth = AuthSection{};
  p.auth->type = AuthType::KeyedSha1;
  p.auth->data_length = 16;  // SHA1 needs 20
  EXPECT_EQ(encode(p).error(), EncodeError::bad_auth_section);
  p.auth->type = AuthType::None;
  EXPECT_EQ(encode(p).error(), EncodeError::bad_auth_section);
}

// ---- §6.8.6, one test per rule -------------------------------------------

DecodeError decode_error(const Bytes& bytes) {
  auto r = decode(bytes);
  EXPECT_FALSE(r.has_value());
  return r ? DecodeError::truncated : r.error();
}

TEST(PacketDrop, EmptyOrTruncatedPayload) {
  EXPECT_EQ(decode_error({}), DecodeError::truncated);
  EXPECT_EQ(decode_error({0x20, 0xc0}), DecodeError::truncated);
}

TEST(PacketDrop, VersionNotOne) {
  for (std::uint8_t version : {0, 2, 7}) {
    Bytes b = kNoAuth;
    b[0] = static_cast<std::uint8_t>(version << 5);
    EXPECT_EQ(decode_error(b), DecodeError::bad_version);
  }
  EXPECT_EQ(to_string(DecodeError::bad_version), "bad_version");
}

TEST(PacketDrop, LengthBelow24) {
  Bytes b = kNoAuth;
  b[3] = 23;
  EXPECT_EQ(decode_error(b), DecodeError::bad_length);
}

TEST(PacketDrop, LengthBelow26WithAuthBit) {
  Bytes b = kNoAuth;
  b[1] |= 0x04;
  b[3] = 25;
  b.push_back(0x01);
  EXPECT_EQ(decode_error(b), DecodeError::bad_length);
}

TEST(PacketDrop, LengthBeyondPayload) {
  Bytes b = kNoAuth;
  b[3] = 25;
  EXPECT_EQ(decode_error(b), DecodeError::length_exceeds_payload);
  EXPECT_EQ(decode_error(Bytes(kNoAuth.begin(), kNoAuth.begin() + 10)),
            DecodeError::length_exceeds_payload);
}

TEST(PacketDrop, DetectMultZero) {
  Bytes b = kNoAuth;
  b[2] = 0;
  EXPECT_EQ(decode_error(b), DecodeError::zero_detect_mult);
}

TEST(PacketDrop, MultipointBitSet) {
  Bytes b = kNoAuth;
  b[1] |= 0x01;
  EXPECT_EQ(decode_error(b), DecodeError::multipoint_set);
}

TEST(PacketDrop, MyDiscriminatorZero) {
  Bytes b = kNoAuth;
  b[4] = b[5] = b[6] = b[7] = 0;
  EXPECT_EQ(decode_error(b), DecodeError::zero_my_discriminator);
}

TEST(PacketDrop, YourDiscriminatorZeroOutsideDownAndAdminDown) {
  for (std::uint8_t state : {2, 3}) {  // Init, Up
    Bytes b = kNoAuth;
    b[1] = static_cast<std::uint8_t>(state << 6);
    b[8] = b[9] = b[10] = b[11] = 0;
    EXPECT_EQ(decode_error(b), DecodeError::zero_your_discriminator);
  }
  for (std::uint8_t state : {0, 1}) {  // AdminDown, Down: allowed
    Bytes b = kNoAuth;
    b[1] = static_cast<std::uint8_t>(state << 6);
    b[8] = b[9] = b[10] = b[11] = 0;
    EXPECT_TRUE(decode(b)) << int{state};
  }
}

Bytes with_auth(std::uint8_t type, std::uint8_t auth_len, std::size_t section_bytes) {
  Bytes b = kNoAuth;
  b[1] |= 0x04;
  b[3] = static_cast<std::uint8_t>(24 + section_bytes);
  Bytes section(section_bytes, 0x00);
  section[0] = type;
  section[1] = auth_len;
  return cat(b, section);
}

TEST(PacketDrop, AuthTypeReservedOrZero) {
  EXPECT_EQ(decode_error(with_auth(0, 24, 24)), DecodeError::bad_auth_type);
  EXPECT_EQ(decode_error(with_auth(6, 24, 24)), DecodeError::bad_auth_type);
  EXPECT_EQ(decode_error(with_auth(255, 24, 24)), DecodeError::bad_auth_type);
}

TEST(PacketDrop, AuthLenWrongForType) {
  EXPECT_EQ(decode_error(with_auth(1, 3, 3)), DecodeError::bad_auth_length);    // empty password
  EXPECT_EQ(decode_error(with_auth(1, 20, 20)), DecodeError::bad_auth_length);  // 17 bytes
  EXPECT_EQ(decode_error(with_auth(2, 28, 28)), DecodeError::bad_auth_length);
  EXPECT_EQ(decode_error(with_auth(3, 20, 20)), DecodeError::bad_auth_length);
  EXPECT_EQ(decode_error(with_auth(4, 24, 24)), DecodeError::bad_auth_length);
  EXPECT_EQ(decode_error(with_auth(5, 2, 2)), DecodeError::bad_auth_length);
}

TEST(PacketDrop, AuthLenDisagreesWithLength) {
  EXPECT_EQ(decode_error(with_auth(2, 24, 26)), DecodeError::auth_length_mismatch);  // trailing
  EXPECT_EQ(decode_error(with_auth(4, 28, 20)), DecodeError::auth_length_mismatch);  // short
  EXPECT_EQ(decode_error(with_auth(1, 8, 6)), DecodeError::auth_length_mismatch);
}

TEST(PacketDrop, ChecksRunInRfcOrder) {
  Bytes b = kNoAuth;
  b[0] = 0x40;  // version 2 ...
  b[2] = 0;     // ... and Detect Mult 0: the version rule comes first
  EXPECT_EQ(decode_error(b), DecodeError::bad_version);
  b[0] = 0x20;
  b[1] |= 0x01;  // M bit and Detect Mult 0: Detect Mult first
  EXPECT_EQ(decode_error(b), DecodeError::zero_detect_mult);
}

TEST(PacketDrop, EveryErrorHasADistinctLabel) {
  std::set<std::string_view> labels;
  for (std::size_t i = 0; i < kDecodeErrorCount; ++i) {
    auto label = to_string(static_cast<DecodeError>(i));
    EXPECT_NE(label, "unknown");
    labels.insert(label);
  }
  EXPECT_EQ(labels.size(), kDecodeErrorCount);
}

}  // namespace
}  // namespace fbf::bfd
