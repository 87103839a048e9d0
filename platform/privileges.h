#pragma once
// Switching from root to an unprivileged user while keeping a few
// capabilities (Linux: prctl/setresuid/capset). The policy — which user,
// which capabilities and why — is the agent's (agent/privileges.*).

#include <sys/types.h>

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fbf::platform {

enum class Capability {
  net_admin,         // service addresses and links (rtnetlink)
  net_bind_service,  // listening on BGP port 179 (< 1024)
  net_raw,           // SO_BINDTODEVICE on kernels before 5.7
};
std::string_view to_string(Capability c);  // "CAP_NET_ADMIN", ...

struct UserIds {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The user called `name`; nullopt when there is none. The name service
// runs in a forked child (its modules never load into the caller), so call
// it while single-threaded, as drop_privileges.
std::expected<std::optional<UserIds>, std::string> lookup_user(const std::string& name);

// From root: become `user` (its groups from the group database), keeping
// exactly `keep` as permitted and effective capabilities, none inheritable
// or ambient, and the rest dropped from the bounding set too, so that no
// child (an exec health check) can regain them. Call while single-threaded:
// capabilities are per thread.
std::expected<void, std::string> drop_privileges(const UserIds& user,
                                                 std::span<const Capability> keep);

// Restricts the file system view to `paths` for the rest of the process's
// life (OpenBSD: unveil(2), then locked). Elsewhere a no-op returning
// success: Linux relies on the systemd unit's ProtectSystem= instead.
struct PathAccess {
  std::string path;
  std::string permissions;  // unveil(2): any of "r", "w", "x", "c"
};
std::expected<void, std::string> restrict_paths(std::span<const PathAccess> paths);

// Running kernel's release ("6.1.0-18-amd64"); empty where unknown.
std::string kernel_release();

// In a child between fork() and exec() of a health-check program: the
// program gets none of fbfd's capabilities (Linux: clears the ambient set,
// which systemd's AmbientCapabilities= fills and exec would pass on).
// Async-signal-safe; a no-op where there are no ambient capabilities.
void drop_inherited_capabilities_in_child();

}  // namespace fbf::platform
