#pragma once
// Helpers shared by the message .cpp files; not part of the public API.

#include "bgp/message.h"

namespace fbf::bgp::detail {

inline std::unexpected<Error> header_error(HeaderSubcode subcode, std::string_view rule,
                                   std::vector<std::uint8_t> data = {}) {
  return std::unexpected(Error{.action = ErrorAction::session_reset,
                    .code = ErrorCode::message_header,
                    .subcode = static_cast<std::uint8_t>(subcode),
                    .data = std::move(data),
                    .rule = rule});
}

// `message` must be exactly one message of type `type`; returns its body
// (what follows the 19-byte header).
std::expected<Bytes, Error> message_body(Bytes message, MessageType type);

}  // namespace fbf::bgp::detail
