#include "bgp/message.h"

#include <algorithm>

#include "bgp/message_internal.h"

namespace fbf::bgp {

using detail::header_error;

namespace {

// RFC 4271 §4.2-§4.5, RFC 2918 §3.
std::size_t min_length(MessageType type) {
  switch (type) {
    case MessageType::open: return 29;
    case MessageType::update: return 23;
    case MessageType::notification: return 21;
    case MessageType::keepalive: return 19;
    case MessageType::route_refresh: return 23;
  }
  return kHeaderLength;
}

std::vector<std::uint8_t> be16(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

}  // namespace

std::expected<Header, Error> decode_header(Bytes bytes, std::size_t max_length) {
  Reader r(bytes);
  auto marker = r.take(16);
  auto length = r.u16();
  auto type = r.u8();
  if (!marker || !length || !type) {
    return header_error(HeaderSubcode::bad_message_length, "RFC 4271 §4.1: shorter than a header");
  }
  // RFC 4271 §6.1: the marker must be all ones.
  if (!std::all_of(marker->begin(), marker->end(), [](std::uint8_t b) { return b == 0xff; })) {
    return header_error(HeaderSubcode::connection_not_synchronized,
                        "RFC 4271 §6.1: marker is not all ones");
  }
  if (*length < kHeaderLength || *length > max_length) {
    return header_error(HeaderSubcode::bad_message_length,
                        "RFC 4271 §6.1: length outside 19..4096 (RFC 8654: 65535)", be16(*length));
  }
  if (*type < 1 || *type > 5) {
    return header_error(HeaderSubcode::bad_message_type, "RFC 4271 §6.1: unknown message type",
                        {*type});
  }
  auto t = static_cast<MessageType>(*type);
  if (*length < min_length(t) || (t == MessageType::keepalive && *length != kHeaderLength)) {
    return header_error(HeaderSubcode::bad_message_length,
                        "RFC 4271 §6.1: length below the message type's minimum", be16(*length));
  }
  // RFC 8654: OPEN and KEEPALIVE never exceed 4096 octets.
  if (t == MessageType::open && *length > kMaxMessageLength) {
    return header_error(HeaderSubcode::bad_message_length,
                        "RFC 8654: OPEN longer than 4096 octets", be16(*length));
  }
  return Header{*length, t};
}

std::expected<std::optional<Header>, Error> peek_header(Bytes buffered, std::size_t max_length) {
  if (buffered.size() < kHeaderLength) return std::optional<Header>{};
  auto h = decode_header(buffered, max_length);
  if (!h) return std::unexpected(std::move(h).error());
  return std::optional<Header>{*h};
}

namespace detail {

std::expected<Bytes, Error> message_body(Bytes message, MessageType type) {
  auto h = decode_header(message, kMaxExtendedMessageLength);
  if (!h) return std::unexpected(std::move(h).error());
  if (h->length != message.size()) {
    return header_error(HeaderSubcode::bad_message_length,
                        "RFC 4271 §4.1: length field does not match the message", be16(h->length));
  }
  if (h->type != type) {
    return header_error(HeaderSubcode::bad_message_type, "RFC 4271 §4.1: unexpected message type",
                        {static_cast<std::uint8_t>(h->type)});
  }
  return message.subspan(kHeaderLength);
}

}  // namespace detail

std::size_t begin_message(Writer& w, MessageType type) {
  std::size_t start = w.size();
  w.fill(16, 0xff);
  w.u16(0);
  w.u8(static_cast<std::uint8_t>(type));
  return start;
}

void finish_message(Writer& w, std::size_t start) {
  w.patch_u16(start + 16, static_cast<std::uint16_t>(w.size() - start));
}

// ---- KEEPALIVE ----

std::expected<void, Error> decode_keepalive(Bytes message) {
  auto body = detail::message_body(message, MessageType::keepalive);
  if (!body) return std::unexpected(std::move(body).error());
  return {};
}

std::vector<std::uint8_t> encode_keepalive() {
  std::vector<std::uint8_t> out;
  Writer w(out);
  finish_message(w, begin_message(w, MessageType::keepalive));
  return out;
}

// ---- ROUTE-REFRESH ----

std::expected<RouteRefresh, Error> decode_route_refresh(Bytes message, bool enhanced) {
  auto body = detail::message_body(message, MessageType::route_refresh);
  if (!body) return std::unexpected(std::move(body).error());
  Reader r(*body);
  RouteRefresh rr;
  rr.family.afi = r.u16().value_or(0);  // the header check guarantees 4 octets
  rr.subtype = r.u8().value_or(0);
  rr.family.safi = r.u8().value_or(0);
  if (!enhanced) {
    rr.subtype = 0;  // RFC 2918 §3: Reserved, ignored by the receiver
    return rr;
  }
  bool demarcation = rr.subtype == static_cast<std::uint8_t>(RouteRefreshSubtype::borr) ||
                     rr.subtype == static_cast<std::uint8_t>(RouteRefreshSubtype::eorr);
  if (demarcation && body->size() != 4) {
    return std::unexpected(Error{.action = ErrorAction::session_reset,
                      .code = ErrorCode::route_refresh,
                      .subcode = static_cast<std::uint8_t>(RouteRefreshSubcode::invalid_message_length),
                      .data = {message.begin(), message.end()},
                      .rule = "RFC 7313 §5: BoRR/EoRR length is not 4"});
  }
  return rr;
}

std::vector<std::uint8_t> encode_route_refresh(const RouteRefresh& rr) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  std::size_t start = begin_message(w, MessageType::route_refresh);
  w.u16(rr.family.afi);
  w.u8(rr.subtype);
  w.u8(rr.family.safi);
  finish_message(w, start);
  return out;
}

// ---- UPDATE framing ----

std::expected<UpdateFrame, Error> frame_update(Bytes message) {
  auto body = detail::message_body(message, MessageType::update);
  if (!body) return std::unexpected(std::move(body).error());
  auto malformed = [] {
    return std::unexpected(Error{.action = ErrorAction::session_reset,
                      .code = ErrorCode::update_message,
                      .subcode = static_cast<std::uint8_t>(UpdateSubcode::malformed_attribute_list),
                      .rule = "RFC 4271 §6.3, RFC 7606 §3 (b): Withdrawn Routes Length + Total "
                              "Attribute Length + 23 exceeds the message length"});
  };
  Reader r(*body);
  UpdateFrame f;
  auto wlen = r.u16();
  auto withdrawn = wlen ? r.take(*wlen) : std::nullopt;
  auto alen = withdrawn ? r.u16() : std::nullopt;
  auto attributes = alen ? r.take(*alen) : std::nullopt;
  if (!attributes) return malformed();
  f.withdrawn = *withdrawn;
  f.attributes = *attributes;
  f.nlri = r.rest();
  return f;
}

std::vector<std::uint8_t> encode_update_frame(Bytes withdrawn, Bytes attributes, Bytes nlri) {
  std::vector<std::uint8_t> out;
  out.reserve(23 + withdrawn.size() + attributes.size() + nlri.size());
  Writer w(out);
  std::size_t start = begin_message(w, MessageType::update);
  w.u16(static_cast<std::uint16_t>(withdrawn.size()));
  w.bytes(withdrawn);
  w.u16(static_cast<std::uint16_t>(attributes.size()));
  w.bytes(attributes);
  w.bytes(nlri);
  finish_message(w, start);
  return out;
}

// ---- Any message ----

std::expected<Message, Error> decode_message(Bytes message, const MessageOptions& options) {
  auto h = decode_header(message, options.max_length);
  if (!h) return std::unexpected(std::move(h).error());
  switch (h->type) {
    case MessageType::open: {
      auto m = decode_open(message);
      if (!m) return std::unexpected(std::move(m).error());
      return Message{std::move(*m)};
    }
    case MessageType::update: {
      auto f = frame_update(message);
      if (!f) return std::unexpected(std::move(f).error());
      return Message{UpdateMessage{message, *f}};
    }
    case MessageType::notification: {
      auto m = decode_notification(message);
      if (!m) return std::unexpected(std::move(m).error());
      return Message{std::move(*m)};
    }
    case MessageType::keepalive: {
      auto m = decode_keepalive(message);
      if (!m) return std::unexpected(std::move(m).error());
      return Message{Keepalive{}};
    }
    case MessageType::route_refresh: {
      auto m = decode_route_refresh(message, options.enhanced_route_refresh);
      if (!m) return std::unexpected(std::move(m).error());
      return Message{*m};
    }
  }
  return detail::header_error(HeaderSubcode::bad_message_type, "RFC 4271 §6.1");
}

}  // namespace fbf::bgp
