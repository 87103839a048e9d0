// Systems without inet_diag: no connection counts, so a drain with
// `drain_connections` lasts its whole drain_time (the caller logs this once).
#include "platform/tcp_connections.h"

namespace fbf::platform {

std::expected<std::uint64_t, std::string> count_established_tcp(std::span<const Prefix>) {
  return std::unexpected("counting TCP connections is not supported on this system");
}

}  // namespace fbf::platform
