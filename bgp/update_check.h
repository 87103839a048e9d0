#pragma once
// Receive-side UPDATE validation: RFC 4271 §6.3 as revised by RFC 7606.
//
// summarize_update() is the cheap path every received UPDATE takes. It walks
// the message once, never allocates per prefix (nor at all unless it finds an
// error), and returns counts plus the RFC 7606 action to take:
//   none               accept the UPDATE
//   attribute_discard  accept it; some attribute was dropped (logged)
//   treat_as_withdraw  every route it announces is to be taken as withdrawn
//   afisafi_disable    ignore that AFI/SAFI (error.afi/safi) for the rest of
//                      the session (RFC 4760 §7); or reset, caller's choice
//   session_reset      send to_notification(*error), close the session
// The counts are what the message encodes (before the action is applied);
// after a session_reset they cover only what was walked before the error.
//
// Out of scope (we keep no routes): the eBGP first-AS check (RFC 4271 §6.3
// "MAY", RFC 7606 §7.2), the eBGP "NEXT_HOP shares a subnet" check (RFC 4271
// §6.3 (b)), semantically incorrect prefixes (to be ignored, §6.3), LOCAL_PREF
// missing on iBGP (RFC 4760 §3 "MUST carry"; not a §6.3 error, not checked),
// and ADD-PATH Path Identifiers (we never advertise the receive side,
// RFC 7911), AS4_PATH/AS_PATH merging (RFC 6793 §4.2.3).
//
// Where RFC 7606 leaves a case open, the safe approach is taken
// (treat-as-withdraw): an unrecognized well-known attribute, and wrong
// Optional/Transitive flags on ATOMIC_AGGREGATE/AGGREGATOR/AS4_* (§3 (c)
// replaced the flag rule for every attribute; §3 (f) only covers cases still
// specifying a session reset). An MP attribute error is AFI/SAFI disable when
// its AFI/SAFI can be read (RFC 7606 §3 (j), §7.11 allow it; it keeps the
// session, and so our announcements, up), else session reset.

#include <cstdint>
#include <optional>

#include "bgp/capabilities.h"
#include "bgp/errors.h"
#include "bgp/reader.h"
#include "platform/ip.h"

namespace fbf::bgp {

struct UpdateOptions {
  bool four_octet_as = true;  // RFC 6793: AS_PATH/AGGREGATOR carry 4-octet ASNs
  bool ibgp = false;          // RFC 7606 §7.5, §7.9, §7.10
  // Our address on the session: a NEXT_HOP equal to it is semantically
  // incorrect (RFC 4271 §6.3 (a)) and its routes are ignored.
  std::optional<platform::IpAddress> local_address;
};

struct UpdateSummary {
  std::uint32_t ipv4_announced = 0;  // NLRI field + MP_REACH_NLRI IPv4 unicast
  std::uint32_t ipv4_withdrawn = 0;  // Withdrawn Routes + MP_UNREACH_NLRI IPv4 unicast
  std::uint32_t ipv6_announced = 0;
  std::uint32_t ipv6_withdrawn = 0;
  std::uint16_t other_families = 0;   // MP attributes of an AFI/SAFI we do not parse
  std::uint16_t attributes = 0;       // attributes found (all of them)
  std::uint16_t unknown_attributes = 0;
  std::uint16_t discarded_attributes = 0;  // attribute discard, duplicates (§3 (g))
  std::uint16_t errors = 0;           // malformations found, whatever their action
  bool end_of_rib = false;            // RFC 4724 §2
  AfiSafi end_of_rib_family;
  ErrorAction action = ErrorAction::none;  // the strongest one (RFC 7606 §3 (h))
  std::optional<Error> error;              // the first error with that action

  std::uint32_t announced() const { return ipv4_announced + ipv6_announced; }
  std::uint32_t withdrawn() const { return ipv4_withdrawn + ipv6_withdrawn; }
};

// `message` is one whole UPDATE, header included.
UpdateSummary summarize_update(Bytes message, const UpdateOptions& options = {});

// What the walk hands on to a full decoder: only pieces that passed the
// checks (a malformed or discarded attribute never reaches it).
class UpdateSink {
 public:
  virtual ~UpdateSink() = default;
  virtual void withdrawn_routes(Bytes field) = 0;  // well-formed, non-empty
  virtual void attribute(std::uint8_t flags, std::uint8_t type, Bytes value) = 0;
  virtual void nlri(Bytes field) = 0;              // well-formed, non-empty
};

// summarize_update with a sink (nullptr: none). Used by decode_update.
UpdateSummary walk_update(Bytes message, const UpdateOptions& options, UpdateSink* sink);

}  // namespace fbf::bgp
