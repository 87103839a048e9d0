#pragma once
// fbfctl's side of the control socket: one blocking request/reply exchange.

#include <chrono>
#include <expected>
#include <string>

#include "agent/control_protocol.h"

namespace fbf::agent {

struct ClientError {
  enum class Kind { unreachable, protocol } kind;
  std::string message;
};

std::expected<Reply, ClientError> call_agent(const std::string& socket_path,
                                             const Request& request,
                                             std::chrono::milliseconds timeout);

}  // namespace fbf::agent
