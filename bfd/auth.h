#pragma once
// BFD authentication (RFC 5880 §6.7): signing outgoing and verifying incoming
// Control packets for the five Auth Types of §4.1, and the sequence number
// windows of §6.7.3/§6.7.4. Pure functions over caller-owned buffers: no heap,
// no clock. The bfd.* sequence variables live in the Session (§6.8.1); these
// functions take and return their values.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "bfd/packet.h"

namespace fbf::bfd {

// One configured key (§6.7.2-§6.7.4 "one or more ... keys (with
// corresponding key IDs)"; fbf configures one per session).
struct AuthKey {
  std::uint8_t id = 0;
  std::array<std::uint8_t, kSha1HashLength> secret{};
  std::uint8_t length = 0;
  std::span<const std::uint8_t> bytes() const { return {secret.data(), length}; }
};

// bfd.AuthType and its key. type None = no authentication in use.
struct AuthConfig {
  AuthType type = AuthType::None;
  AuthKey key;
};

static_assert(std::is_trivially_copyable_v<AuthConfig>);  // see packet.h

enum class AuthConfigError : std::uint8_t {
  bad_type,             // not one of the five types (None needs no key)
  bad_key_length,       // simple password and MD5: 1..16 bytes; SHA1: 1..20 bytes
  digests_unavailable,  // libcrypto cannot be loaded: bfd::digests_available() says why
};
std::string_view to_string(AuthConfigError);

// Builds a validated configuration. Fails closed (STYLE "auth fails closed"):
// a key that cannot be used is an error, never a silent "no auth".
std::expected<AuthConfig, AuthConfigError> make_auth_config(AuthType type, std::uint8_t key_id,
                                                            std::span<const std::uint8_t> secret);

// The Authentication Section an outgoing packet carries before signing: type,
// key ID, Sequence Number = bfd.XmitAuthSeq, and a zero digest of the right
// size (or the password), so packet.length() is already final.
AuthSection make_auth_section(const AuthConfig& config, std::uint32_t xmit_auth_seq);

// Encodes `packet` and completes its Authentication Section per §6.7: simple
// password written in; MD5/SHA1 computed over the whole packet with the key
// in the digest field, then replaced by the digest. `packet.auth` must be
// present with config.type (else bad_auth_section; also when no digest can be
// computed, libcrypto missing: the key never leaves). No auth: plain encode().
std::expected<std::size_t, EncodeError> encode_signed(const ControlPacket& packet,
                                                      const AuthConfig& config,
                                                      std::span<std::uint8_t> out);
std::expected<PacketBuffer, EncodeError> encode_signed(const ControlPacket& packet,
                                                       const AuthConfig& config);

// Why an authenticated packet was discarded (after the A-bit checks of
// §6.8.6, which the Session makes). to_string() forms are metric labels.
enum class AuthError : std::uint8_t {
  type_mismatch,    // Auth Type != bfd.AuthType
  key_id_mismatch,  // Auth Key ID is not a configured key
  bad_length,       // §6.7.2: Auth Len != password length + 3 (or raw bytes inconsistent)
  bad_sequence,     // §6.7.3/§6.7.4: outside the window (replay for meticulous)
  digest_mismatch,  // wrong password, digest or hash
};
inline constexpr std::size_t kAuthErrorCount = 5;
std::string_view to_string(AuthError);

// §6.7.3/§6.7.4 window, in 32-bit serial arithmetic (wraps at 2^32): keyed
// accepts RcvAuthSeq .. RcvAuthSeq + 3*DetectMult, meticulous RcvAuthSeq+1 ..
// RcvAuthSeq + 3*DetectMult. Always true while bfd.AuthSeqKnown is 0.
// detect_mult is the received Detect Mult: the peer's multiplier bounds how
// many of its packets we may lose before our Detection Time expires.
bool sequence_in_window(AuthType type, bool auth_seq_known, std::uint32_t rcv_auth_seq,
                        std::uint32_t sequence, std::uint8_t detect_mult);

// Verifies a received packet that has an Authentication Section. `raw` is the
// payload the packet was decoded from (the digest covers those bytes, Reserved
// byte included). On success the caller sets bfd.RcvAuthSeq to the packet's
// sequence and bfd.AuthSeqKnown to 1 (types 2-5). Unlike the RFC's text, the
// sequence state is only taken from a packet whose digest is good, so a forged
// packet cannot move the window.
std::expected<void, AuthError> verify(const AuthConfig& config, const ControlPacket& packet,
                                      std::span<const std::uint8_t> raw, bool auth_seq_known,
                                      std::uint32_t rcv_auth_seq);

}  // namespace fbf::bfd
