// OPEN message (RFC 4271 §4.2, §6.2; RFC 5492 §4; RFC 6793; RFC 9072).
#include <utility>

#include "bgp/message.h"
#include "bgp/message_internal.h"

namespace fbf::bgp {

namespace {

constexpr std::uint8_t kParamCapabilities = 2;  // RFC 5492 §4
constexpr std::uint8_t kParamExtended = 255;     // RFC 9072 §2

std::unexpected<Error> open_error(OpenSubcode subcode, std::string_view rule,
                          std::vector<std::uint8_t> data = {}) {
  return std::unexpected(Error{.action = ErrorAction::session_reset,
                    .code = ErrorCode::open_message,
                    .subcode = static_cast<std::uint8_t>(subcode),
                    .data = std::move(data),
                    .rule = rule});
}

// The optional parameters: (type, 1-octet length) pairs, or (type, 2-octet
// length) pairs in the RFC 9072 extended form.
std::expected<void, Error> decode_parameters(Bytes params, bool extended, Capabilities& caps) {
  Reader r(params);
  while (!r.empty()) {
    auto type = r.u8();
    std::optional<std::uint16_t> len;
    if (extended) {
      len = r.u16();
    } else if (auto l = r.u8()) {
      len = *l;
    }
    auto value = len ? r.take(*len) : std::nullopt;
    if (!type || !value) {
      return open_error(OpenSubcode::unspecific, "RFC 4271 §4.2: optional parameter overruns");
    }
    if (*type != kParamCapabilities) {
      // RFC 4271 §6.2 (type 1, Authentication, is deprecated: RFC 5492 §6).
      return open_error(OpenSubcode::unsupported_optional_parameter,
                        "RFC 4271 §6.2: optional parameter not recognized");
    }
    auto decoded = decode_capabilities(*value, caps);
    if (!decoded) return std::unexpected(std::move(decoded).error());
  }
  return {};
}

}  // namespace

OpenMessage make_open(std::uint32_t local_as, std::uint16_t hold_time,
                      std::uint32_t bgp_identifier, Capabilities capabilities) {
  OpenMessage m;
  m.my_as = local_as > 0xffff ? kAsTrans : static_cast<std::uint16_t>(local_as);
  m.hold_time = hold_time;
  m.bgp_identifier = bgp_identifier;
  m.capabilities = std::move(capabilities);
  m.capabilities.four_octet_as = local_as;
  return m;
}

std::uint32_t peer_as(const OpenMessage& open) {
  return open.capabilities.four_octet_as.value_or(open.my_as);
}

std::expected<OpenMessage, Error> decode_open(Bytes message) {
  auto body = detail::message_body(message, MessageType::open);
  if (!body) return std::unexpected(std::move(body).error());
  Reader r(*body);
  OpenMessage m;
  // The header check guarantees the 10 fixed octets (minimum length 29).
  m.version = r.u8().value_or(0);
  m.my_as = r.u16().value_or(0);
  m.hold_time = r.u16().value_or(0);
  m.bgp_identifier = r.u32().value_or(0);
  std::uint8_t opt_len = r.u8().value_or(0);

  if (m.version != kBgpVersion) {
    // RFC 4271 §6.2: Data is the version we support (largest below the bid,
    // or our smallest above it; we only speak 4).
    return open_error(OpenSubcode::unsupported_version_number,
                      "RFC 4271 §6.2: version is not 4", {0, kBgpVersion});
  }
  if (m.hold_time == 1 || m.hold_time == 2) {
    return open_error(OpenSubcode::unacceptable_hold_time,
                      "RFC 4271 §6.2: hold time of one or two seconds");
  }
  if (m.bgp_identifier == 0) {
    return open_error(OpenSubcode::bad_bgp_identifier, "RFC 6286 §2.2: BGP Identifier is zero");
  }

  bool extended = opt_len != 0 && r.peek().size() >= 1 && r.peek()[0] == kParamExtended;
  std::optional<Bytes> params;
  if (extended) {
    // RFC 9072 §2: Non-Ext OP Type 255, then a 2-octet Extended Optional
    // Parameters Length; the Non-Ext OP Len octet is not used.
    r.skip(1);
    auto ext_len = r.u16();
    params = ext_len ? r.take(*ext_len) : std::nullopt;
  } else {
    params = r.take(opt_len);
  }
  if (!params || !r.empty()) {
    std::uint16_t len = static_cast<std::uint16_t>(message.size());
    return detail::header_error(HeaderSubcode::bad_message_length,
                                "RFC 4271 §4.2: Optional Parameters Length does not match the "
                                "message length",
                                {static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)});
  }
  auto decoded = decode_parameters(*params, extended, m.capabilities);
  if (!decoded) return std::unexpected(std::move(decoded).error());
  return m;
}

std::vector<std::uint8_t> encode_open(const OpenMessage& open) {
  std::vector<std::uint8_t> caps;
  Writer cw(caps);
  encode_capabilities(cw, open.capabilities);

  std::vector<std::uint8_t> out;
  Writer w(out);
  std::size_t start = begin_message(w, MessageType::open);
  w.u8(open.version);
  w.u16(open.my_as);
  w.u16(open.hold_time);
  w.u32(open.bgp_identifier);
  if (caps.empty()) {
    w.u8(0);
  } else if (caps.size() + 2 <= 255) {
    w.u8(static_cast<std::uint8_t>(caps.size() + 2));
    w.u8(kParamCapabilities);
    w.u8(static_cast<std::uint8_t>(caps.size()));
    w.bytes(caps);
  } else {
    // RFC 9072 §2: Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet lengths.
    w.u8(255);
    w.u8(kParamExtended);
    w.u16(static_cast<std::uint16_t>(caps.size() + 3));
    w.u8(kParamCapabilities);
    w.u16(static_cast<std::uint16_t>(caps.size()));
    w.bytes(caps);
  }
  finish_message(w, start);
  return out;
}

}  // namespace fbf::bgp
