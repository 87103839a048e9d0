#pragma once
// BGP NOTIFICATION codes and the decode error value every codec function
// returns. Each error carries both what to send if the session is reset (code,
// subcode, data: RFC 4271 §4.5, §6) and the RFC 7606 §2 action to take, after
// GoBGP's ErrorHandling enum.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fbf::bgp {

// RFC 4271 §4.5; 7 is RFC 7313 §5.
enum class ErrorCode : std::uint8_t {
  message_header = 1,
  open_message = 2,
  update_message = 3,
  hold_timer_expired = 4,
  fsm = 5,
  cease = 6,
  route_refresh = 7,
};

// RFC 4271 §4.5 / §6.1.
enum class HeaderSubcode : std::uint8_t {
  unspecific = 0,
  connection_not_synchronized = 1,
  bad_message_length = 2,
  bad_message_type = 3,
};

// RFC 4271 §4.5 / §6.2 (5 "Authentication Failure" is deprecated).
enum class OpenSubcode : std::uint8_t {
  unspecific = 0,  // recognized but malformed optional parameter (§6.2)
  unsupported_version_number = 1,
  bad_peer_as = 2,
  bad_bgp_identifier = 3,
  unsupported_optional_parameter = 4,
  unacceptable_hold_time = 6,
  unsupported_capability = 7,  // RFC 5492 §5
  role_mismatch = 11,          // RFC 9234 §4.2
};

// RFC 4271 §4.5 / §6.3 (7 "AS Routing Loop" is deprecated).
enum class UpdateSubcode : std::uint8_t {
  unspecific = 0,
  malformed_attribute_list = 1,
  unrecognized_well_known_attribute = 2,
  missing_well_known_attribute = 3,
  attribute_flags_error = 4,
  attribute_length_error = 5,
  invalid_origin_attribute = 6,
  invalid_next_hop_attribute = 8,
  optional_attribute_error = 9,
  invalid_network_field = 10,
  malformed_as_path = 11,
};

// RFC 4271 has no FSM subcodes; these are RFC 6608 §4 (not in the RFC pack).
enum class FsmSubcode : std::uint8_t {
  unspecified = 0,
  unexpected_message_in_open_sent = 1,
  unexpected_message_in_open_confirm = 2,
  unexpected_message_in_established = 3,
};

// RFC 4486 §3; 9 is RFC 8538 (not in the pack), 10 is RFC 9384 §3.
enum class CeaseSubcode : std::uint8_t {
  maximum_number_of_prefixes_reached = 1,
  administrative_shutdown = 2,
  peer_deconfigured = 3,
  administrative_reset = 4,
  connection_rejected = 5,
  other_configuration_change = 6,
  connection_collision_resolution = 7,
  out_of_resources = 8,
  hard_reset = 9,
  bfd_down = 10,
};

// RFC 7313 §5.
enum class RouteRefreshSubcode : std::uint8_t {
  invalid_message_length = 1,
};

// RFC 7606 §2, ordered from the weakest to the strongest action so that
// std::max picks the one §3 (h) says to use when several errors occur.
enum class ErrorAction : std::uint8_t {
  none = 0,
  attribute_discard = 1,
  treat_as_withdraw = 2,
  afisafi_disable = 3,
  session_reset = 4,
};

struct Error {
  ErrorAction action = ErrorAction::session_reset;
  ErrorCode code = ErrorCode::message_header;
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;  // the NOTIFICATION Data field for this error
  std::string_view rule;           // static text naming the RFC rule broken
  std::uint8_t attribute = 0;      // path attribute type code involved, 0 if none
  std::uint16_t afi = 0;           // for afisafi_disable (RFC 4760 §7)
  std::uint8_t safi = 0;
};

std::string_view to_string(ErrorAction action);
// "Cease", "UPDATE Message Error", ... ("Unknown" for codes not listed above).
std::string_view error_code_name(std::uint8_t code);
// "Administrative Shutdown", "Malformed AS_PATH", ... ("" when unknown).
std::string_view error_subcode_name(std::uint8_t code, std::uint8_t subcode);
// "Cease/Administrative Shutdown (6/2)" for logs and `show`.
std::string describe_error(std::uint8_t code, std::uint8_t subcode);

// A Cease the peer's operator sends to reset a session and have it come back
// at once (RFC 4486 §4): Administrative Reset (`clear bgp`, BIRD's `restart`)
// or Other Configuration Change. §4 recommends damping after Administrative
// Shutdown, Peer De-configured, Connection Rejected and Out of Resources —
// a peer that went away —, and leaves these two out.
bool is_administrative_reset(std::uint8_t code, std::uint8_t subcode);

}  // namespace fbf::bgp
