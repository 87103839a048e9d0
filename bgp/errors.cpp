#include "bgp/errors.h"

namespace fbf::bgp {

std::string_view to_string(ErrorAction action) {
  switch (action) {
    case ErrorAction::none: return "none";
    case ErrorAction::attribute_discard: return "attribute-discard";
    case ErrorAction::treat_as_withdraw: return "treat-as-withdraw";
    case ErrorAction::afisafi_disable: return "afi-safi-disable";
    case ErrorAction::session_reset: return "session-reset";
  }
  return "unknown";
}

std::string_view error_code_name(std::uint8_t code) {
  switch (code) {
    case 1: return "Message Header Error";
    case 2: return "OPEN Message Error";
    case 3: return "UPDATE Message Error";
    case 4: return "Hold Timer Expired";
    case 5: return "Finite State Machine Error";
    case 6: return "Cease";
    case 7: return "ROUTE-REFRESH Message Error";
    default: return "Unknown";
  }
}

namespace {

std::string_view header_subcode(std::uint8_t s) {
  switch (s) {
    case 1: return "Connection Not Synchronized";
    case 2: return "Bad Message Length";
    case 3: return "Bad Message Type";
    default: return "";
  }
}

std::string_view open_subcode(std::uint8_t s) {
  switch (s) {
    case 1: return "Unsupported Version Number";
    case 2: return "Bad Peer AS";
    case 3: return "Bad BGP Identifier";
    case 4: return "Unsupported Optional Parameter";
    case 6: return "Unacceptable Hold Time";
    case 7: return "Unsupported Capability";
    case 11: return "Role Mismatch";
    default: return "";
  }
}

std::string_view update_subcode(std::uint8_t s) {
  switch (s) {
    case 1: return "Malformed Attribute List";
    case 2: return "Unrecognized Well-known Attribute";
    case 3: return "Missing Well-known Attribute";
    case 4: return "Attribute Flags Error";
    case 5: return "Attribute Length Error";
    case 6: return "Invalid ORIGIN Attribute";
    case 8: return "Invalid NEXT_HOP Attribute";
    case 9: return "Optional Attribute Error";
    case 10: return "Invalid Network Field";
    case 11: return "Malformed AS_PATH";
    default: return "";
  }
}

std::string_view fsm_subcode(std::uint8_t s) {
  switch (s) {
    case 1: return "Receive Unexpected Message in OpenSent State";
    case 2: return "Receive Unexpected Message in OpenConfirm State";
    case 3: return "Receive Unexpected Message in Established State";
    default: return "";
  }
}

std::string_view cease_subcode(std::uint8_t s) {
  switch (s) {
    case 1: return "Maximum Number of Prefixes Reached";
    case 2: return "Administrative Shutdown";
    case 3: return "Peer De-configured";
    case 4: return "Administrative Reset";
    case 5: return "Connection Rejected";
    case 6: return "Other Configuration Change";
    case 7: return "Connection Collision Resolution";
    case 8: return "Out of Resources";
    case 9: return "Hard Reset";
    case 10: return "BFD Down";
    default: return "";
  }
}

}  // namespace

std::string_view error_subcode_name(std::uint8_t code, std::uint8_t subcode) {
  if (subcode == 0) return code == 5 ? "Unspecified Error" : "Unspecific";
  switch (code) {
    case 1: return header_subcode(subcode);
    case 2: return open_subcode(subcode);
    case 3: return update_subcode(subcode);
    case 5: return fsm_subcode(subcode);
    case 6: return cease_subcode(subcode);
    case 7: return subcode == 1 ? "Invalid Message Length" : "";
    default: return "";
  }
}

std::string describe_error(std::uint8_t code, std::uint8_t subcode) {
  std::string out{error_code_name(code)};
  std::string_view sub = error_subcode_name(code, subcode);
  if (!sub.empty()) {
    out += '/';
    out += sub;
  }
  out += " (" + std::to_string(code) + '/' + std::to_string(subcode) + ')';
  return out;
}

bool is_administrative_reset(std::uint8_t code, std::uint8_t subcode) {
  if (code != static_cast<std::uint8_t>(ErrorCode::cease)) return false;
  return subcode == static_cast<std::uint8_t>(CeaseSubcode::administrative_reset) ||
         subcode == static_cast<std::uint8_t>(CeaseSubcode::other_configuration_change);
}

}  // namespace fbf::bgp
