#pragma once
// BGP message framing and the non-UPDATE messages (RFC 4271 §4), plus the
// UPDATE's outer framing. Pure functions: bytes in, value or Error out, and
// back. Every decode function takes one whole message, header included.
//
// Path attributes live in attributes.h; UPDATE validation (RFC 4271 §6.3 with
// RFC 7606) in update_check.h; the full UPDATE value type in update.h.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bgp/capabilities.h"
#include "bgp/errors.h"
#include "bgp/reader.h"
#include <expected>

namespace fbf::bgp {

inline constexpr std::size_t kHeaderLength = 19;        // RFC 4271 §4.1
inline constexpr std::size_t kMaxMessageLength = 4096;  // RFC 4271 §4.1
inline constexpr std::size_t kMaxExtendedMessageLength = 65535;  // RFC 8654
inline constexpr std::uint16_t kAsTrans = 23456;        // RFC 6793 §9
inline constexpr std::uint8_t kBgpVersion = 4;          // RFC 4271 §4.2

enum class MessageType : std::uint8_t {
  open = 1,
  update = 2,
  notification = 3,
  keepalive = 4,
  route_refresh = 5,  // RFC 2918 §3
};

struct Header {
  std::uint16_t length = 0;  // whole message, header included
  MessageType type = MessageType::keepalive;
};

// ---- Framing (RFC 4271 §4.1, §6.1) ----

// Checks the header at the front of `bytes` (which may hold more than one
// message, or only part of one): marker all ones, length in 19..max_length and
// at least the type's minimum (OPEN 29, UPDATE 23, NOTIFICATION 21, KEEPALIVE
// exactly 19, ROUTE-REFRESH 23), known type. OPEN and KEEPALIVE stay within
// 4096 even when RFC 8654 raised max_length. Errors are Message Header Error
// with the Data §6.1 asks for.
std::expected<Header, Error> decode_header(Bytes bytes, std::size_t max_length = kMaxMessageLength);

// Stream framing for an adapter: nullopt while fewer than 19 bytes are
// buffered; otherwise the header (wait until `length` bytes are buffered, then
// hand exactly that many to decode_message) or the error to reset with.
std::expected<std::optional<Header>, Error> peek_header(Bytes buffered,
                                                 std::size_t max_length = kMaxMessageLength);

// Appends a 19-byte header with a zero length; finish_message patches it.
std::size_t begin_message(Writer& w, MessageType type);
void finish_message(Writer& w, std::size_t start);

// ---- OPEN (RFC 4271 §4.2, RFC 5492 §4, RFC 9072) ----

struct OpenMessage {
  std::uint8_t version = kBgpVersion;
  std::uint16_t my_as = 0;  // AS_TRANS when the real AS needs 4 octets
  std::uint16_t hold_time = 0;
  std::uint32_t bgp_identifier = 0;
  Capabilities capabilities;
  friend bool operator==(const OpenMessage&, const OpenMessage&) = default;
};

// Our OPEN: My AS is local_as, or AS_TRANS when it does not fit two octets
// (RFC 6793 §3, §4.2.1); the 4-octet AS capability always carries local_as.
OpenMessage make_open(std::uint32_t local_as, std::uint16_t hold_time,
                      std::uint32_t bgp_identifier, Capabilities capabilities);
// The peer's AS: the 4-octet AS capability if present, else My AS (RFC 6793 §4.1).
std::uint32_t peer_as(const OpenMessage& open);

// Checks of RFC 4271 §6.2 that need no session state: version 4 (Data: the
// version we support), hold time 0 or >= 3, BGP Identifier non-zero
// (RFC 6286 §2.2), optional parameters well formed and of type 2
// (Capabilities). Bad Peer AS and identifier collisions are the FSM's.
std::expected<OpenMessage, Error> decode_open(Bytes message);
// One Capabilities parameter, or the RFC 9072 extended form if the
// parameters would not fit 255 octets.
std::vector<std::uint8_t> encode_open(const OpenMessage& open);

// ---- KEEPALIVE (RFC 4271 §4.4) ----

std::expected<void, Error> decode_keepalive(Bytes message);
std::vector<std::uint8_t> encode_keepalive();

// ---- NOTIFICATION (RFC 4271 §4.5, RFC 4486, RFC 9003, RFC 9384) ----

struct Notification {
  std::uint8_t code = 0;  // raw: a peer may send codes we do not know
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;
  friend bool operator==(const Notification&, const Notification&) = default;
};

Notification make_notification(ErrorCode code, std::uint8_t subcode,
                               std::vector<std::uint8_t> data = {});
Notification make_cease(CeaseSubcode subcode);
// The NOTIFICATION that reports `error` (for session_reset).
Notification to_notification(const Error& error);

// Never fails on the code/subcode/data themselves: RFC 4271 §6.4 forbids
// answering a NOTIFICATION with one, so the caller only needs the values.
std::expected<Notification, Error> decode_notification(Bytes message);
// Data is cut so that the message fits max_length.
std::vector<std::uint8_t> encode_notification(const Notification& n,
                                              std::size_t max_length = kMaxMessageLength);

// RFC 9003 §2 Shutdown Communication in Cease/Administrative Shutdown or
// Administrative Reset.
inline constexpr std::size_t kMaxShutdownCommunication = 255;  // RFC 9003 §2
inline constexpr std::size_t kLegacyShutdownCommunication = 128;  // RFC 9003 §3, RFC 8203

struct ShutdownCommunication {
  std::string text;         // the raw octets; only interpret when valid_utf8
  bool valid_utf8 = true;   // RFC 9003 §2 "MUST NOT interpret invalid UTF-8"
  bool truncated = false;   // the length octet claims more than the Data holds
  bool trailing = false;    // Data continues after the communication
  // Safe for a log line: the text with control characters escaped (\xNN),
  // or a hex dump when it is not valid UTF-8 (RFC 9003 §4, §6).
  std::string printable() const;
};

enum class ShutdownError : std::uint8_t { not_admin_subcode, too_long, invalid_utf8 };

// Cease with subcode 2 or 4 and a length-prefixed UTF-8 text of at most
// max_length octets (255, or 128 for a peer not known to support RFC 9003).
// An empty text still sends the zero length octet.
std::expected<Notification, ShutdownError> make_shutdown_notification(
    CeaseSubcode subcode, std::string_view text,
    std::size_t max_length = kMaxShutdownCommunication);
// nullopt unless the NOTIFICATION is Cease 2/4 with at least the length octet.
std::optional<ShutdownCommunication> shutdown_communication(const Notification& n);

// ---- ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3.2) ----

enum class RouteRefreshSubtype : std::uint8_t { normal = 0, borr = 1, eorr = 2 };

struct RouteRefresh {
  AfiSafi family;
  std::uint8_t subtype = 0;  // raw; see known()
  // RFC 7313 §5: any other subtype MUST be ignored (and SHOULD be logged).
  bool known() const { return subtype <= 2; }
  friend bool operator==(const RouteRefresh&, const RouteRefresh&) = default;
};

// `enhanced`: the peer sent the Enhanced Route Refresh capability. Then a BoRR
// or EoRR whose body is not 4 octets is ROUTE-REFRESH Message Error/Invalid
// Message Length with the whole message as Data (RFC 7313 §5). Without it the
// subtype octet is Reserved and ignored (RFC 2918 §3): reported as normal.
// Octets after the 4-octet body of a normal request (ORF entries, RFC 5291,
// which we never negotiate) are ignored.
std::expected<RouteRefresh, Error> decode_route_refresh(Bytes message, bool enhanced);
std::vector<std::uint8_t> encode_route_refresh(const RouteRefresh& rr);

// ---- UPDATE framing (RFC 4271 §4.3) ----

struct UpdateFrame {
  Bytes withdrawn;   // Withdrawn Routes field
  Bytes attributes;  // Path Attributes field
  Bytes nlri;        // NLRI field
};

// Splits an UPDATE using Withdrawn Routes Length and Total Path Attribute
// Length; if they do not fit the message: Malformed Attribute List, session
// reset (RFC 4271 §6.3, kept by RFC 7606 §3 (b)).
std::expected<UpdateFrame, Error> frame_update(Bytes message);
// Header + the three fields (lengths written from the spans).
std::vector<std::uint8_t> encode_update_frame(Bytes withdrawn, Bytes attributes, Bytes nlri);

// ---- Any message ----

struct Keepalive {
  friend bool operator==(const Keepalive&, const Keepalive&) = default;
};
// An UPDATE is only framed here; validate and count it with summarize_update
// (update_check.h) or decode it with decode_update (update.h).
struct UpdateMessage {
  Bytes message;
  UpdateFrame frame;
};
using Message = std::variant<OpenMessage, UpdateMessage, Notification, Keepalive, RouteRefresh>;

struct MessageOptions {
  std::size_t max_length = kMaxMessageLength;  // 65535 once RFC 8654 is agreed
  bool enhanced_route_refresh = false;         // received from the peer
};

// One whole message (exactly header.length bytes).
std::expected<Message, Error> decode_message(Bytes message, const MessageOptions& options = {});

}  // namespace fbf::bgp
