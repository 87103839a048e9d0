// Systems without an implementation yet (OpenBSD will use setresuid plus
// pledge/unveil rather than capabilities).
#include "platform/privileges.h"

namespace fbf::platform {

std::string_view to_string(Capability c) {
  switch (c) {
    case Capability::net_admin:
      return "CAP_NET_ADMIN";
    case Capability::net_bind_service:
      return "CAP_NET_BIND_SERVICE";
    case Capability::net_raw:
      return "CAP_NET_RAW";
  }
  return "?";
}

std::expected<std::optional<UserIds>, std::string> lookup_user(const std::string&) {
  return std::unexpected("switching user is not implemented on this system");
}

std::expected<void, std::string> drop_privileges(const UserIds&, std::span<const Capability>) {
  return std::unexpected("dropping privileges is not implemented on this system");
}

std::string kernel_release() { return {}; }

}  // namespace fbf::platform
