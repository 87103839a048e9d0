#include "bfd/auth.h"

#include <algorithm>

#include "bfd/digest.h"

namespace fbf::bfd {
namespace {

constexpr std::size_t kDigestOffset = kMandatoryLength + 8;  // §4.3/§4.4 Auth Key/Digest

std::size_t digest_length(AuthType type) {
  return is_md5(type) ? kMd5DigestLength : kSha1HashLength;
}

// The key as the digest field holds it while hashing: padded with trailing
// zero bytes to the digest length (§4.3, §4.4).
void put_padded_key(std::span<std::uint8_t> field, const AuthKey& key) {
  std::ranges::fill(field, std::uint8_t{0});
  std::ranges::copy(key.bytes(), field.begin());
}

// Hashes `packet` (the digest field already holding the padded key) into
// `out`. False when there is no libcrypto (make_auth_config refused such a
// key; this is the guard for configurations built by hand).
bool hash_into(AuthType type, std::span<const std::uint8_t> packet, std::span<std::uint8_t> out) {
  if (is_md5(type)) {
    const auto digest = md5(packet);
    if (digest) std::ranges::copy(*digest, out.begin());
    return digest.has_value();
  }
  const auto hash = sha1(packet);
  if (hash) std::ranges::copy(*hash, out.begin());
  return hash.has_value();
}

}  // namespace

std::expected<AuthConfig, AuthConfigError> make_auth_config(AuthType type, std::uint8_t key_id,
                                                            std::span<const std::uint8_t> secret) {
  if (!is_md5(type) && !is_sha1(type) && type != AuthType::SimplePassword) {
    return std::unexpected(AuthConfigError::bad_type);
  }
  const std::size_t max = is_sha1(type) ? kSha1HashLength : kMaxPasswordLength;
  if (secret.empty() || secret.size() > max) {
    return std::unexpected(AuthConfigError::bad_key_length);
  }
  // Every type needs libcrypto: the digests, and the constant-time compare
  // and key zeroing the password uses too. Loaded here, before any packet.
  if (!digests_available()) {
    return std::unexpected(AuthConfigError::digests_unavailable);
  }
  AuthConfig config;
  config.type = type;
  config.key.id = key_id;
  config.key.length = static_cast<std::uint8_t>(secret.size());
  std::ranges::copy(secret, config.key.secret.begin());
  return config;
}

AuthSection make_auth_section(const AuthConfig& config, std::uint32_t xmit_auth_seq) {
  AuthSection section;
  section.type = config.type;
  section.key_id = config.key.id;
  if (config.type == AuthType::SimplePassword) {
    section.data_length = config.key.length;
    std::ranges::copy(config.key.bytes(), section.data.begin());
  } else if (has_sequence(config.type)) {
    section.sequence = xmit_auth_seq;
    section.data_length = static_cast<std::uint8_t>(digest_length(config.type));
  }
  return section;
}

std::expected<std::size_t, EncodeError> encode_signed(const ControlPacket& packet,
                                                      const AuthConfig& config,
                                                      std::span<std::uint8_t> out) {
  if (config.type == AuthType::None) {
    return encode(packet, out);
  }
  if (!packet.auth || packet.auth->type != config.type) {
    return std::unexpected(EncodeError::bad_auth_section);
  }
  ControlPacket copy = packet;  // a value on the stack
  AuthSection& auth = *copy.auth;
  if (config.type == AuthType::SimplePassword) {
    // §6.7.2: the currently selected password and Key ID go in every packet.
    auth.key_id = config.key.id;
    auth.data = {};
    auth.data_length = config.key.length;
    std::ranges::copy(config.key.bytes(), auth.data.begin());
    return encode(copy, out);
  }
  // §6.7.3/§6.7.4: key in the digest field, digest over the entire packet,
  // then the digest replaces the key.
  auth.key_id = config.key.id;
  auth.data_length = static_cast<std::uint8_t>(digest_length(config.type));
  put_padded_key(std::span(auth.data).first(auth.data_length), config.key);
  auto length = encode(copy, out);
  secure_zero(auth.data);  // the copy held the key
  if (!length) {
    return length;
  }
  auto packet_bytes = out.first(*length);
  auto digest_field = packet_bytes.subspan(kDigestOffset, auth.data_length);
  if (!hash_into(config.type, packet_bytes, digest_field)) {
    secure_zero(digest_field);  // held the key; the packet must not leave
    return std::unexpected(EncodeError::bad_auth_section);
  }
  return length;
}

std::expected<PacketBuffer, EncodeError> encode_signed(const ControlPacket& packet,
                                                       const AuthConfig& config) {
  PacketBuffer buffer;
  auto size = encode_signed(packet, config, buffer.storage);
  if (!size) {
    return std::unexpected(size.error());
  }
  buffer.size = *size;
  return buffer;
}

bool sequence_in_window(AuthType type, bool auth_seq_known, std::uint32_t rcv_auth_seq,
                        std::uint32_t sequence, std::uint8_t detect_mult) {
  if (!auth_seq_known) {
    return true;
  }
  // Distance forward from bfd.RcvAuthSeq in the circular 32-bit space.
  const std::uint32_t ahead = sequence - rcv_auth_seq;
  const std::uint32_t window = 3u * detect_mult;
  const std::uint32_t lowest = is_meticulous(type) ? 1u : 0u;
  return ahead >= lowest && ahead <= window;
}

std::expected<void, AuthError> verify(const AuthConfig& config, const ControlPacket& packet,
                                      std::span<const std::uint8_t> raw, bool auth_seq_known,
                                      std::uint32_t rcv_auth_seq) {
  if (!packet.auth || packet.auth->type != config.type) {
    return std::unexpected(AuthError::type_mismatch);
  }
  const AuthSection& auth = *packet.auth;
  if (auth.key_id != config.key.id) {
    return std::unexpected(AuthError::key_id_mismatch);
  }
  if (config.type == AuthType::SimplePassword) {  // §6.7.2
    if (auth.data_length != config.key.length) {
      return std::unexpected(AuthError::bad_length);
    }
    if (!equal_constant_time(auth.bytes(), config.key.bytes())) {
      return std::unexpected(AuthError::digest_mismatch);
    }
    return {};
  }
  // §6.7.3/§6.7.4. Auth Len (24/28) was checked by decode().
  if (!sequence_in_window(config.type, auth_seq_known, rcv_auth_seq, auth.sequence,
                          packet.detect_mult)) {
    return std::unexpected(AuthError::bad_sequence);
  }
  const std::size_t length = packet.length();
  if (raw.size() < length || raw[3] != length || auth.data_length != digest_length(config.type)) {
    return std::unexpected(AuthError::bad_length);  // raw is not the packet decoded
  }
  // Replace the digest with the key and hash the packet as received.
  std::array<std::uint8_t, kMaxPacketLength> scratch{};
  std::ranges::copy(raw.first(length), scratch.begin());
  auto field = std::span(scratch).subspan(kDigestOffset, auth.data_length);
  put_padded_key(field, config.key);
  std::array<std::uint8_t, kSha1HashLength> computed{};
  const bool good =
      hash_into(config.type, std::span(scratch).first(length), computed) &&
      equal_constant_time(std::span(computed).first(auth.data_length), auth.bytes());
  secure_zero(scratch);  // held the key
  if (!good) {
    return std::unexpected(AuthError::digest_mismatch);
  }
  return {};
}

std::string_view to_string(AuthConfigError e) {
  switch (e) {
    case AuthConfigError::bad_type: return "bad_type";
    case AuthConfigError::bad_key_length: return "bad_key_length";
    case AuthConfigError::digests_unavailable: return "digests_unavailable";
  }
  return "unknown";
}

std::string_view to_string(AuthError e) {
  switch (e) {
    case AuthError::type_mismatch: return "auth_type_mismatch";
    case AuthError::key_id_mismatch: return "auth_key_id_mismatch";
    case AuthError::bad_length: return "auth_bad_length";
    case AuthError::bad_sequence: return "auth_bad_sequence";
    case AuthError::digest_mismatch: return "auth_digest_mismatch";
  }
  return "unknown";
}

}  // namespace fbf::bfd
