#include "bfd/packet.h"

#include <algorithm>

namespace fbf::bfd {
namespace {

// Byte 1 of the Mandatory Section: |Sta|P|F|C|A|D|M| (§4.1).
constexpr std::uint8_t kPollBit = 0x20;
constexpr std::uint8_t kFinalBit = 0x10;
constexpr std::uint8_t kCpiBit = 0x08;
constexpr std::uint8_t kAuthBit = 0x04;
constexpr std::uint8_t kDemandBit = 0x02;
constexpr std::uint8_t kMultipointBit = 0x01;

// §4.3/§4.4: Type, Len, Key ID, Reserved, Sequence Number, then the digest.
constexpr std::size_t kDigestOffset = 8;
constexpr std::size_t kMd5AuthLen = kDigestOffset + kMd5DigestLength;   // 24
constexpr std::size_t kSha1AuthLen = kDigestOffset + kSha1HashLength;   // 28
// §4.2: Type, Len, Key ID, then the password.
constexpr std::size_t kPasswordOffset = 3;

std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 |
         std::uint32_t{b[at + 2]} << 8 | std::uint32_t{b[at + 3]};
}

void put32(std::span<std::uint8_t> b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}

// Auth Len for a type and payload size, or 0 when the pair is invalid.
std::size_t auth_len_for(AuthType type, std::size_t data_length) {
  switch (type) {
    case AuthType::SimplePassword:
      return data_length >= 1 && data_length <= kMaxPasswordLength ? kPasswordOffset + data_length
                                                                   : 0;
    case AuthType::KeyedMd5:
    case AuthType::MeticulousKeyedMd5:
      return data_length == kMd5DigestLength ? kMd5AuthLen : 0;
    case AuthType::KeyedSha1:
    case AuthType::MeticulousKeyedSha1:
      return data_length == kSha1HashLength ? kSha1AuthLen : 0;
    case AuthType::None:
      break;
  }
  return 0;
}

// Parses the Authentication Section at `section` (Length - 24 bytes, >= 2).
std::expected<AuthSection, DecodeError> decode_auth(std::span<const std::uint8_t> section) {
  AuthSection auth;
  const std::uint8_t type = section[0];
  const std::size_t auth_len = section[1];
  if (type < 1 || type > 5) {
    return std::unexpected(DecodeError::bad_auth_type);
  }
  auth.type = static_cast<AuthType>(type);
  if (auth.type == AuthType::SimplePassword) {
    // §4.2 / §6.7.2: password 1..16 bytes, so Auth Len 4..19.
    if (auth_len < kPasswordOffset + 1 || auth_len > kPasswordOffset + kMaxPasswordLength) {
      return std::unexpected(DecodeError::bad_auth_length);
    }
  } else if (auth_len != (is_md5(auth.type) ? kMd5AuthLen : kSha1AuthLen)) {
    return std::unexpected(DecodeError::bad_auth_length);  // §6.7.3 / §6.7.4
  }
  if (auth_len != section.size()) {
    return std::unexpected(DecodeError::auth_length_mismatch);
  }
  auth.key_id = section[2];
  if (auth.type == AuthType::SimplePassword) {
    auth.data_length = static_cast<std::uint8_t>(auth_len - kPasswordOffset);
    std::copy_n(section.begin() + kPasswordOffset, auth.data_length, auth.data.begin());
  } else {
    auth.sequence = get32(section, 4);  // section[3] is Reserved: ignored on receipt
    auth.data_length = static_cast<std::uint8_t>(auth_len - kDigestOffset);
    std::copy_n(section.begin() + kDigestOffset, auth.data_length, auth.data.begin());
  }
  return auth;
}

}  // namespace

std::uint8_t AuthSection::auth_len() const {
  return static_cast<std::uint8_t>(auth_len_for(type, data_length));
}

bool operator==(const AuthSection& a, const AuthSection& b) {
  return a.type == b.type && a.key_id == b.key_id && a.sequence == b.sequence &&
         std::ranges::equal(a.bytes(), b.bytes());
}

std::size_t ControlPacket::length() const {
  return kMandatoryLength + (auth ? auth->auth_len() : 0);
}

std::expected<ControlPacket, DecodeError> decode(std::span<const std::uint8_t> payload) {
  // §6.8.6, in the order specified.
  if (payload.empty()) {
    return std::unexpected(DecodeError::truncated);
  }
  if ((payload[0] >> 5) != kVersion) {
    return std::unexpected(DecodeError::bad_version);
  }
  if (payload.size() < 4) {
    return std::unexpected(DecodeError::truncated);
  }
  const std::uint8_t flags = payload[1];
  const bool a_bit = (flags & kAuthBit) != 0;
  const std::size_t length = payload[3];
  if (length < kMandatoryLength || (a_bit && length < kMandatoryLength + 2)) {
    return std::unexpected(DecodeError::bad_length);
  }
  if (length > payload.size()) {
    return std::unexpected(DecodeError::length_exceeds_payload);
  }
  const auto packet_bytes = payload.first(length);  // every read below is within these

  ControlPacket p;
  p.diag = static_cast<Diag>(packet_bytes[0] & 0x1f);
  p.state = static_cast<State>(flags >> 6);
  p.poll = (flags & kPollBit) != 0;
  p.final = (flags & kFinalBit) != 0;
  p.control_plane_independent = (flags & kCpiBit) != 0;
  p.demand = (flags & kDemandBit) != 0;
  p.multipoint = (flags & kMultipointBit) != 0;
  p.detect_mult = packet_bytes[2];
  p.my_discriminator = get32(packet_bytes, 4);
  p.your_discriminator = get32(packet_bytes, 8);
  p.desired_min_tx_interval = get32(packet_bytes, 12);
  p.required_min_rx_interval = get32(packet_bytes, 16);
  p.required_min_echo_rx_interval = get32(packet_bytes, 20);

  if (p.detect_mult == 0) {
    return std::unexpected(DecodeError::zero_detect_mult);
  }
  if (p.multipoint) {
    return std::unexpected(DecodeError::multipoint_set);
  }
  if (p.my_discriminator == 0) {
    return std::unexpected(DecodeError::zero_my_discriminator);
  }
  // A nonzero Your Discriminator selects the session: the engine's job.
  if (p.your_discriminator == 0 && p.state != State::Down && p.state != State::AdminDown) {
    return std::unexpected(DecodeError::zero_your_discriminator);
  }
  if (a_bit) {
    auto auth = decode_auth(packet_bytes.subspan(kMandatoryLength));
    if (!auth) {
      return std::unexpected(auth.error());
    }
    p.auth = *auth;
  }
  return p;
}

std::expected<std::size_t, EncodeError> encode(const ControlPacket& p,
                                               std::span<std::uint8_t> out) {
  std::size_t auth_len = 0;
  if (p.auth) {
    auth_len = auth_len_for(p.auth->type, p.auth->data_length);
    if (auth_len == 0) {
      return std::unexpected(EncodeError::bad_auth_section);
    }
  }
  const std::size_t length = kMandatoryLength + auth_len;
  if (out.size() < length) {
    return std::unexpected(EncodeError::buffer_too_small);
  }
  out[0] = static_cast<std::uint8_t>(kVersion << 5 | (static_cast<std::uint8_t>(p.diag) & 0x1f));
  out[1] = static_cast<std::uint8_t>((static_cast<std::uint8_t>(p.state) & 0x3) << 6 |
                                     (p.poll ? kPollBit : 0) | (p.final ? kFinalBit : 0) |
                                     (p.control_plane_independent ? kCpiBit : 0) |
                                     (p.auth ? kAuthBit : 0) | (p.demand ? kDemandBit : 0) |
                                     (p.multipoint ? kMultipointBit : 0));
  out[2] = p.detect_mult;
  out[3] = static_cast<std::uint8_t>(length);
  put32(out, 4, p.my_discriminator);
  put32(out, 8, p.your_discriminator);
  put32(out, 12, p.desired_min_tx_interval);
  put32(out, 16, p.required_min_rx_interval);
  put32(out, 20, p.required_min_echo_rx_interval);
  if (p.auth) {
    auto section = out.subspan(kMandatoryLength, auth_len);
    section[0] = static_cast<std::uint8_t>(p.auth->type);
    section[1] = static_cast<std::uint8_t>(auth_len);
    section[2] = p.auth->key_id;
    if (p.auth->type == AuthType::SimplePassword) {
      std::ranges::copy(p.auth->bytes(), section.begin() + kPasswordOffset);
    } else {
      section[3] = 0;  // Reserved
      put32(section, 4, p.auth->sequence);
      std::ranges::copy(p.auth->bytes(), section.begin() + kDigestOffset);
    }
  }
  return length;
}

std::expected<PacketBuffer, EncodeError> encode(const ControlPacket& packet) {
  PacketBuffer buffer;
  auto size = encode(packet, buffer.storage);
  if (!size) {
    return std::unexpected(size.error());
  }
  buffer.size = *size;
  return buffer;
}

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::truncated: return "truncated";
    case DecodeError::bad_version: return "bad_version";
    case DecodeError::bad_length: return "bad_length";
    case DecodeError::length_exceeds_payload: return "length_exceeds_payload";
    case DecodeError::zero_detect_mult: return "zero_detect_mult";
    case DecodeError::multipoint_set: return "multipoint_set";
    case DecodeError::zero_my_discriminator: return "zero_my_discriminator";
    case DecodeError::zero_your_discriminator: return "zero_your_discriminator";
    case DecodeError::bad_auth_type: return "bad_auth_type";
    case DecodeError::bad_auth_length: return "bad_auth_length";
    case DecodeError::auth_length_mismatch: return "auth_length_mismatch";
  }
  return "unknown";
}

std::string_view to_string(EncodeError e) {
  switch (e) {
    case EncodeError::buffer_too_small: return "buffer_too_small";
    case EncodeError::bad_auth_section: return "bad_auth_section";
  }
  return "unknown";
}

std::string_view to_string(State s) {
  switch (s) {
    case State::AdminDown: return "AdminDown";
    case State::Down: return "Down";
    case State::Init: return "Init";
    case State::Up: return "Up";
  }
  return "Unknown";
}

std::string_view to_string(Diag d) {
  switch (d) {
    case Diag::None: return "None";
    case Diag::ControlDetectionTimeExpired: return "ControlDetectionTimeExpired";
    case Diag::EchoFunctionFailed: return "EchoFunctionFailed";
    case Diag::NeighborSignaledSessionDown: return "NeighborSignaledSessionDown";
    case Diag::ForwardingPlaneReset: return "ForwardingPlaneReset";
    case Diag::PathDown: return "PathDown";
    case Diag::ConcatenatedPathDown: return "ConcatenatedPathDown";
    case Diag::AdministrativelyDown: return "AdministrativelyDown";
    case Diag::ReverseConcatenatedPathDown: return "ReverseConcatenatedPathDown";
  }
  return "Reserved";
}

std::string_view to_string(AuthType t) {
  switch (t) {
    case AuthType::None: return "none";
    case AuthType::SimplePassword: return "simple_password";
    case AuthType::KeyedMd5: return "keyed_md5";
    case AuthType::MeticulousKeyedMd5: return "meticulous_keyed_md5";
    case AuthType::KeyedSha1: return "keyed_sha1";
    case AuthType::MeticulousKeyedSha1: return "meticulous_keyed_sha1";
  }
  return "reserved";
}

}  // namespace fbf::bfd
