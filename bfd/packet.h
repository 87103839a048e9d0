#pragma once
// BFD Control packet codec (RFC 5880 §4): pure functions between bytes and a
// value type. No sockets, no clocks, no logging, no heap: fuzzable as is.
//
// decode() performs every reception check of RFC 5880 §6.8.6 that needs no
// session state, in the order the RFC lists them, and names the first rule
// broken. The session-dependent checks (demultiplexing, A bit vs
// bfd.AuthType, authentication, TTL) happen after the lookup, in Session.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace fbf::bfd {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kMandatoryLength = 24;                     // §4.1
inline constexpr std::size_t kMaxAuthLength = 28;                       // §4.4 (SHA1)
inline constexpr std::size_t kMaxPacketLength = kMandatoryLength + kMaxAuthLength;

// §4.1 State (Sta).
enum class State : std::uint8_t { AdminDown = 0, Down = 1, Init = 2, Up = 3 };

// §4.1 Diagnostic (Diag). The field has 5 bits; reserved values 9-31 are kept
// as received (an enum class may hold any value of its underlying type).
enum class Diag : std::uint8_t {
  None = 0,
  ControlDetectionTimeExpired = 1,
  EchoFunctionFailed = 2,
  NeighborSignaledSessionDown = 3,
  ForwardingPlaneReset = 4,
  PathDown = 5,
  ConcatenatedPathDown = 6,
  AdministrativelyDown = 7,
  ReverseConcatenatedPathDown = 8,
};

// §4.1 Auth Type (None = 0 = "no authentication in use", as bfd.AuthType).
enum class AuthType : std::uint8_t {
  None = 0,
  SimplePassword = 1,
  KeyedMd5 = 2,
  MeticulousKeyedMd5 = 3,
  KeyedSha1 = 4,
  MeticulousKeyedSha1 = 5,
};

inline constexpr bool is_md5(AuthType t) {
  return t == AuthType::KeyedMd5 || t == AuthType::MeticulousKeyedMd5;
}
inline constexpr bool is_sha1(AuthType t) {
  return t == AuthType::KeyedSha1 || t == AuthType::MeticulousKeyedSha1;
}
inline constexpr bool is_meticulous(AuthType t) {
  return t == AuthType::MeticulousKeyedMd5 || t == AuthType::MeticulousKeyedSha1;
}
inline constexpr bool has_sequence(AuthType t) { return is_md5(t) || is_sha1(t); }

// §4.2-§4.4 password length (1..16), digest (16) or hash (20) length.
inline constexpr std::size_t kMaxPasswordLength = 16;
inline constexpr std::size_t kMd5DigestLength = 16;
inline constexpr std::size_t kSha1HashLength = 20;

// Authentication Section (§4.2 simple password, §4.3 MD5, §4.4 SHA1).
// `data` holds the password (type 1) or the digest/hash (types 2-5); bytes past
// `data_length` are zero. `sequence` is 0 for simple password. The Reserved
// byte is written as zero and ignored on receipt (§4.3, §4.4).
struct AuthSection {
  AuthType type = AuthType::None;
  std::uint8_t key_id = 0;
  std::uint32_t sequence = 0;
  std::array<std::uint8_t, kSha1HashLength> data{};
  std::uint8_t data_length = 0;

  std::span<const std::uint8_t> bytes() const { return {data.data(), data_length}; }
  // Auth Len as it goes on the wire: 3 + password, 24 (MD5) or 28 (SHA1).
  std::uint8_t auth_len() const;

  friend bool operator==(const AuthSection& a, const AuthSection& b);
};

// The Mandatory Section of §4.1 as values; intervals in microseconds, as on
// the wire. The A bit is `auth.has_value()`; the Length field is computed.
struct ControlPacket {
  Diag diag = Diag::None;
  State state = State::Down;
  bool poll = false;                       // P
  bool final = false;                      // F
  bool control_plane_independent = false;  // C
  bool demand = false;                     // D
  bool multipoint = false;                 // M (decode rejects it; encode writes it for tests)
  std::uint8_t detect_mult = 0;
  std::uint32_t my_discriminator = 0;
  std::uint32_t your_discriminator = 0;
  std::uint32_t desired_min_tx_interval = 0;        // µs
  std::uint32_t required_min_rx_interval = 0;       // µs
  std::uint32_t required_min_echo_rx_interval = 0;  // µs
  std::optional<AuthSection> auth;                  // present <=> A bit

  std::size_t length() const;  // the Length field: 24 + Auth Len
  friend bool operator==(const ControlPacket&, const ControlPacket&) = default;
};

// Why decode() refused a packet. Values name the §6.8.6 rule broken; the
// to_string() forms are metric labels (packets dropped by reason).
enum class DecodeError : std::uint8_t {
  truncated,                // payload too short to read the field checked next
  bad_version,              // Vers != 1
  bad_length,               // Length < 24, or < 26 with the A bit set
  length_exceeds_payload,   // Length > payload of the encapsulating protocol
  zero_detect_mult,         // Detect Mult == 0
  multipoint_set,           // M bit set
  zero_my_discriminator,    // My Discriminator == 0
  zero_your_discriminator,  // Your Discriminator == 0 and State not Down/AdminDown
  bad_auth_type,            // A bit set, Auth Type 0 or 6-255 (§4.1)
  bad_auth_length,          // Auth Len wrong for the type (§4.2: 4..19, §4.3: 24, §4.4: 28)
  auth_length_mismatch,     // Length != 24 + Auth Len
};
inline constexpr std::size_t kDecodeErrorCount = 11;
std::string_view to_string(DecodeError);

// Parses one BFD Control packet from the UDP payload (RFC 5881 §4, RFC 5883).
// Bytes past the Length field are ignored, as are bytes between the Mandatory
// Section and Length when the A bit is clear.
std::expected<ControlPacket, DecodeError> decode(std::span<const std::uint8_t> payload);

enum class EncodeError : std::uint8_t {
  buffer_too_small,
  bad_auth_section,  // type None/unknown, or data_length wrong for the type
};
std::string_view to_string(EncodeError);

// Serializes into `out`; returns the bytes written (== packet.length()).
// Writes Vers = 1 and the fields as given, without judging them (tests build
// invalid packets this way). The digest/hash is written as held in `auth`;
// auth.h's encode_signed() fills it in.
std::expected<std::size_t, EncodeError> encode(const ControlPacket& packet,
                                               std::span<std::uint8_t> out);

// A packet on the stack: the transmit path needs no heap.
struct PacketBuffer {
  std::array<std::uint8_t, kMaxPacketLength> storage{};
  std::size_t size = 0;
  std::span<const std::uint8_t> bytes() const { return {storage.data(), size}; }
};
std::expected<PacketBuffer, EncodeError> encode(const ControlPacket& packet);

// Every std::expected<T, E> in bfd/ holds trivially copyable T and E. That
// keeps it usable with clang 14 (the fuzzing compiler) when libstdc++ 12's
// <expected> is unlocked with -D__cpp_concepts=202002L: clang 14 lacks P0848
// and mis-handles expected<T> only for non-trivial T (see bgp/result.h).
static_assert(std::is_trivially_copyable_v<ControlPacket>);
static_assert(std::is_trivially_copyable_v<PacketBuffer>);

std::string_view to_string(State);
std::string_view to_string(Diag);
std::string_view to_string(AuthType);

}  // namespace fbf::bfd
