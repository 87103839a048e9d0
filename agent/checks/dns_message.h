#pragma once
// The few DNS messages a `dns` health check needs (RFC 1035 §4): one query
// with one question, and just enough of a response to judge it: header,
// question (to match it to our query) and how many answer records are
// really there. Pure functions over bytes; every read is bounds-checked and
// compression pointers may only point backwards, so no input can loop or
// read past the end.

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fbf::agent::checks::dns {

inline constexpr std::uint16_t kClassIn = 1;
inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxNameWire = 255;  // RFC 1035 §2.3.4
inline constexpr std::size_t kMaxLabel = 63;

// "A", "AAAA", "SOA", ... (the names the config accepts) -> RR type code.
std::optional<std::uint16_t> type_code(std::string_view name);
// RCODE mnemonic (RFC 1035 §4.1.1, RFC 6895): "NOERROR", "NXDOMAIN", "RCODE13".
std::string rcode_name(std::uint8_t rcode);

// Query name -> wire labels. "example.org", "example.org." and "." (the
// root) are accepted; empty inner labels, labels over 63 octets and names
// over 255 octets on the wire are not. No escapes: each octet is itself.
std::expected<std::vector<std::uint8_t>, std::string> encode_name(std::string_view name);
// A standard query (opcode 0, RD set: a resolver target recurses, an
// authoritative one ignores it) for (name, type, IN).
std::expected<std::vector<std::uint8_t>, std::string> encode_query(std::uint16_t id,
                                                                   std::string_view name,
                                                                   std::uint16_t type);

enum class DecodeError : std::uint8_t {
  short_header,     // fewer than 12 octets
  not_a_response,   // QR clear
  bad_name,         // label runs past the end, reserved label type, or name > 255 octets
  bad_pointer,      // compression pointer not strictly backwards or past the end
  short_question,   // question's type/class cut off
  short_record,     // answer record cut off (and TC not set)
};
std::string_view to_string(DecodeError e);

struct Question {
  std::string name;  // lower case, dotted, no trailing dot; "" = root
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
};

struct Response {
  std::uint16_t id = 0;
  std::uint8_t opcode = 0;
  bool truncated = false;  // TC
  std::uint8_t rcode = 0;  // header RCODE (4 bits; no EDNS extension)
  std::uint16_t qdcount = 0;
  std::uint16_t ancount = 0;                  // as the header claims
  std::vector<Question> questions;
  std::uint16_t answers = 0;                  // answer records actually present
  // Of those, records of the (first) question's type and class. Their owner
  // name is not compared: after a CNAME chain it is the alias target's.
  std::uint16_t answers_for_question = 0;
};

// Decodes header, questions and answers (authority and additional sections
// are not needed and not read). With TC set, a cut-off answer section is not
// an error: the complete records are counted.
std::expected<Response, DecodeError> decode_response(std::span<const std::uint8_t> bytes);

// The response answers our query: same id, standard query, exactly our
// question (name compared case-insensitively, RFC 4343).
bool answers_query(const Response& r, std::uint16_t id, std::string_view name,
                   std::uint16_t type);

}  // namespace fbf::agent::checks::dns
