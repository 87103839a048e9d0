// What every system's privilege code shares (the switching itself is per
// system: platform/linux/privileges_linux.cpp, platform/privileges_none.cpp).
#include "platform/privileges.h"

#include <pwd.h>
#include <unistd.h>

#include <cstring>
#include <vector>

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

// POSIX getpwnam_r: the same on every system.
std::expected<std::optional<UserIds>, std::string> lookup_user(const std::string& name) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  const int rc = ::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found);
  if (rc != 0) return std::unexpected("user " + name + ": " + std::strerror(rc));
  if (found == nullptr) return std::nullopt;
  return UserIds{name, pw.pw_uid, pw.pw_gid};
}

}  // namespace fbf::platform
