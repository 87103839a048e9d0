// NOTIFICATION message (RFC 4271 §4.5) and the RFC 9003 Shutdown Communication.
#include <algorithm>
#include <cstdio>

#include "bgp/message.h"
#include "bgp/message_internal.h"
#include "bgp/utf8.h"

namespace fbf::bgp {

Notification make_notification(ErrorCode code, std::uint8_t subcode,
                               std::vector<std::uint8_t> data) {
  return {static_cast<std::uint8_t>(code), subcode, std::move(data)};
}

Notification make_cease(CeaseSubcode subcode) {
  return make_notification(ErrorCode::cease, static_cast<std::uint8_t>(subcode));
}

Notification to_notification(const Error& error) {
  return make_notification(error.code, error.subcode, error.data);
}

std::expected<Notification, Error> decode_notification(Bytes message) {
  auto body = detail::message_body(message, MessageType::notification);
  if (!body) return std::unexpected(std::move(body).error());
  Reader r(*body);
  Notification n;
  n.code = r.u8().value_or(0);  // minimum length 21 guarantees both octets
  n.subcode = r.u8().value_or(0);
  Bytes data = r.rest();
  n.data.assign(data.begin(), data.end());
  return n;
}

std::vector<std::uint8_t> encode_notification(const Notification& n, std::size_t max_length) {
  std::size_t room = std::min(max_length, kMaxExtendedMessageLength) - 21;
  std::vector<std::uint8_t> out;
  Writer w(out);
  std::size_t start = begin_message(w, MessageType::notification);
  w.u8(n.code);
  w.u8(n.subcode);
  w.bytes(Bytes(n.data).first(std::min(room, n.data.size())));
  finish_message(w, start);
  return out;
}

namespace {

bool is_admin_subcode(std::uint8_t code, std::uint8_t subcode) {
  return code == static_cast<std::uint8_t>(ErrorCode::cease) &&
         (subcode == static_cast<std::uint8_t>(CeaseSubcode::administrative_shutdown) ||
          subcode == static_cast<std::uint8_t>(CeaseSubcode::administrative_reset));
}

}  // namespace

std::expected<Notification, ShutdownError> make_shutdown_notification(CeaseSubcode subcode,
                                                               std::string_view text,
                                                               std::size_t max_length) {
  // RFC 9003 §2: only with Administrative Shutdown or Administrative Reset.
  if (!is_admin_subcode(6, static_cast<std::uint8_t>(subcode))) {
    return std::unexpected(ShutdownError::not_admin_subcode);
  }
  if (text.size() > std::min(max_length, kMaxShutdownCommunication)) {
    return std::unexpected(ShutdownError::too_long);
  }
  auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (!is_valid_utf8(bytes)) return std::unexpected(ShutdownError::invalid_utf8);
  Notification n = make_cease(subcode);
  n.data.reserve(1 + text.size());
  n.data.push_back(static_cast<std::uint8_t>(text.size()));
  n.data.insert(n.data.end(), bytes.begin(), bytes.end());
  return n;
}

std::optional<ShutdownCommunication> shutdown_communication(const Notification& n) {
  if (!is_admin_subcode(n.code, n.subcode) || n.data.empty()) return std::nullopt;
  ShutdownCommunication s;
  std::size_t claimed = n.data[0];
  std::size_t have = std::min(claimed, n.data.size() - 1);
  s.truncated = have < claimed;
  s.trailing = n.data.size() - 1 > claimed;
  s.text.assign(n.data.begin() + 1, n.data.begin() + 1 + static_cast<std::ptrdiff_t>(have));
  s.valid_utf8 = is_valid_utf8(
      std::span(reinterpret_cast<const std::uint8_t*>(s.text.data()), s.text.size()));
  return s;
}

std::string ShutdownCommunication::printable() const {
  std::string out;
  char buf[8];
  if (!valid_utf8) {
    out = "invalid UTF-8:";
    for (unsigned char c : text) {
      std::snprintf(buf, sizeof buf, " %02x", c);
      out += buf;
    }
    return out;
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f || c == '\\') {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace fbf::bgp
