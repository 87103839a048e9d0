#pragma once
// Where a check connects to. Names are resolved once, when the prober is
// built (start-up or reload), never per probe: a blocking lookup inside a
// probe would stall the one event loop exactly when the resolver is sick.
// Local-service checks normally name 127.0.0.1, ::1 or localhost anyway.

#include <expected>
#include <string>
#include <string_view>

#include "platform/udp.h"

namespace fbf::agent::checks {

// An IP literal as is; otherwise the first address getaddrinfo() returns.
std::expected<platform::IpAddress, std::string> resolve_host(const std::string& host);
// "host:port" / "[v6]:port" (config-validated) -> an endpoint.
std::expected<platform::Endpoint, std::string> resolve_host_port(std::string_view host_port);

}  // namespace fbf::agent::checks
