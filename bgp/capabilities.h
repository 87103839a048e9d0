#pragma once
// OPEN Capabilities optional parameter (RFC 5492 §4): decode what a peer
// offers, encode what we offer, and work out what both sides agreed on.

#include <cstdint>
#include <optional>
#include <vector>

#include "bgp/errors.h"
#include "bgp/reader.h"
#include <expected>

namespace fbf::bgp {

// Address Family Numbers (IANA registry) and SAFI values (RFC 4760 §6).
inline constexpr std::uint16_t kAfiIpv4 = 1;
inline constexpr std::uint16_t kAfiIpv6 = 2;
inline constexpr std::uint8_t kSafiUnicast = 1;

struct AfiSafi {
  std::uint16_t afi = 0;
  std::uint8_t safi = 0;
  friend bool operator==(const AfiSafi&, const AfiSafi&) = default;
};
inline constexpr AfiSafi kIpv4Unicast{kAfiIpv4, kSafiUnicast};
inline constexpr AfiSafi kIpv6Unicast{kAfiIpv6, kSafiUnicast};

enum class CapabilityCode : std::uint8_t {
  multiprotocol = 1,            // RFC 4760 §8
  route_refresh = 2,            // RFC 2918 §2
  extended_message = 6,         // RFC 8654
  graceful_restart = 64,        // RFC 4724 §3
  four_octet_as = 65,           // RFC 6793 §3, §9
  add_path = 69,                // RFC 7911 §4
  enhanced_route_refresh = 70,  // RFC 7313 §3.1
};

// RFC 4724 §3.
struct GracefulRestart {
  struct Family {
    AfiSafi family;
    std::uint8_t flags = 0;  // bit 0x80: Forwarding State (F)
    bool forwarding_preserved() const { return (flags & 0x80) != 0; }
    friend bool operator==(const Family&, const Family&) = default;
  };
  std::uint8_t flags = 0;          // 4 bits; 0x8: Restart State (R)
  std::uint16_t restart_time = 0;  // seconds, 12 bits
  std::vector<Family> families;
  bool restart_state() const { return (flags & 0x8) != 0; }
  friend bool operator==(const GracefulRestart&, const GracefulRestart&) = default;
};

// RFC 7911 §4. Parsed so it can be shown, otherwise ignored: we never
// advertise it, so no peer may send us Path Identifiers.
struct AddPathFamily {
  AfiSafi family;
  std::uint8_t send_receive = 0;  // 1 receive, 2 send, 3 both
  friend bool operator==(const AddPathFamily&, const AddPathFamily&) = default;
};

// Anything else (RFC 5492 §5: an unknown capability SHOULD be ignored).
struct UnknownCapability {
  std::uint8_t code = 0;
  std::vector<std::uint8_t> value;
  friend bool operator==(const UnknownCapability&, const UnknownCapability&) = default;
};

struct Capabilities {
  std::vector<AfiSafi> multiprotocol;
  bool route_refresh = false;
  bool extended_message = false;
  std::optional<GracefulRestart> graceful_restart;
  std::optional<std::uint32_t> four_octet_as;
  std::vector<AddPathFamily> add_path;
  bool enhanced_route_refresh = false;
  std::vector<UnknownCapability> unknown;

  bool supports(AfiSafi family) const;
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

// Adds the capabilities in one Capabilities optional parameter's value (a
// sequence of code/length/value triples) to `caps`. A known capability with a
// wrong length is "recognized but malformed": OPEN Message Error/Unspecific
// (RFC 4271 §6.2).
std::expected<void, Error> decode_capabilities(Bytes value, Capabilities& caps);

// Appends the capability triples (no optional-parameter header), in code order
// except that Multiprotocol comes first and unknown ones last.
void encode_capabilities(Writer& w, const Capabilities& caps);

// What both sides of a session agreed on.
struct Negotiated {
  bool four_octet_as = false;     // RFC 6793 §4.1: advertised and received
  bool route_refresh = false;           // we advertised it: the peer may ask us (RFC 2918 §4)
  bool enhanced_route_refresh = false;  // received from the peer (RFC 7313 §4)
  bool extended_message = false;  // RFC 8654: both must advertise it
  bool ipv4_unicast = false;
  bool ipv6_unicast = false;
  std::size_t max_message_length() const { return extended_message ? 65535 : 4096; }
};
// RFC 4760 §8: without any Multiprotocol capability on a side, that side
// speaks IPv4 unicast only (the RFC 4271 encoding).
Negotiated negotiate(const Capabilities& local, const Capabilities& remote);

}  // namespace fbf::bgp
