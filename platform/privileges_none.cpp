// Systems without an implementation yet (OpenBSD will use setresuid plus
// pledge/unveil rather than capabilities).
#include "platform/privileges.h"

namespace fbf::platform {

std::expected<void, std::string> drop_privileges(const UserIds&, std::span<const Capability>) {
  return std::unexpected("dropping privileges is not implemented on this system");
}

std::string kernel_release() { return {}; }

void drop_inherited_capabilities_in_child() {}

std::expected<void, std::string> restrict_paths(std::span<const PathAccess>) { return {}; }

}  // namespace fbf::platform
