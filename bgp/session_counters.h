#pragma once
// Per-session counters, a plain struct the agent reads for metrics and
// `fbfctl show`. They survive reconnects (cumulative since the Session was
// made); established_since is the current uptime's start.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "bgp/fsm_types.h"

namespace fbf::bgp {

// Received prefixes of one family, as the UPDATEs encode them (we keep no
// Adj-RIB-In, so there is no "current" count).
struct FamilyCounters {
  std::uint64_t announced = 0;
  std::uint64_t withdrawn = 0;          // incl. routes treated as withdrawn (RFC 7606 §2)
  std::uint64_t end_of_rib = 0;         // RFC 4724 §2 markers received
  std::uint64_t refresh_requests = 0;   // ROUTE-REFRESH asking for our routes (RFC 2918)
  bool disabled = false;                // RFC 7606 AFI/SAFI disable in the current session
};

struct NotificationRecord {
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  std::string text;  // describe_error() plus the RFC 9003 communication, if any
};

struct SessionCounters {
  // Indexed by MessageType (1 OPEN .. 5 ROUTE-REFRESH); [0] unused.
  std::array<std::uint64_t, 6> messages_in{};
  std::array<std::uint64_t, 6> messages_out{};
  std::uint64_t bytes_in = 0;   // whole messages processed
  std::uint64_t bytes_out = 0;

  FamilyCounters ipv4;
  FamilyCounters ipv6;
  std::uint64_t other_family_attributes = 0;  // MP attributes of families we do not parse

  // RFC 7606 outcomes of received UPDATEs (session resets are notifications).
  std::uint64_t attributes_discarded = 0;
  std::uint64_t treat_as_withdraw = 0;  // UPDATEs
  std::uint64_t afisafi_disable = 0;    // UPDATEs
  std::string last_update_error;        // the RFC rule of the last one of these

  std::uint64_t notifications_sent = 0;
  std::uint64_t notifications_received = 0;
  std::array<std::uint64_t, 8> notifications_sent_by_code{};      // [code], [0]: other codes
  std::array<std::uint64_t, 8> notifications_received_by_code{};
  std::optional<NotificationRecord> last_notification_sent;
  std::optional<NotificationRecord> last_notification_received;

  std::uint64_t connect_attempts = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t connections_accepted = 0;  // inbound connections taken
  std::uint64_t connections_refused = 0;   // Refuse actions
  std::uint64_t collisions = 0;            // RFC 4271 §6.8 resolutions
  std::uint64_t established_transitions = 0;
  std::uint64_t session_drops = 0;         // Established -> anything else
  std::uint64_t idle_holds = 0;            // damping episodes
  std::uint64_t administrative_resets = 0; // drops the peer's operator caused (not damped)
  std::uint64_t route_refresh_ignored = 0; // unknown subtype, family not ours, BoRR/EoRR

  std::string last_error;                       // reason text of the last failure
  std::optional<TimePoint> established_since;   // uptime start, while Established

  std::uint64_t updates_in() const { return messages_in[2]; }
  std::uint64_t updates_out() const { return messages_out[2]; }
};

}  // namespace fbf::bgp
