#pragma once
// unveil(2) for fbfd: the only parts of the file system it may see after
// start-up. Implemented in privileges_openbsd.cpp.
//
// NOT WIRED YET: platform/privileges.h has no seam that carries paths, and
// the agent (agent/privileges.cpp) is outside this change. The proposed seam
// is this declaration moved into platform/privileges.h, a no-op in
// privileges_linux.cpp and privileges_none.cpp, and one call in
// agent::drop_privileges() right before platform::drop_privileges() with:
//   the config file                      "r"
//   state_dir                            "rwc"  (maintenance.json, its .tmp)
//   the control socket's directory       "rwc"  (the socket is removed at stop)
//   every disable_file                   "r"
//   every exec check's program           "x"    (resolved through PATH first)
// docs/openbsd.md says the same. Until then fbfd runs pledged but unveiled.

#include <expected>
#include <span>
#include <string>

namespace fbf::platform {

struct PathAccess {
  std::string path;
  std::string permissions;  // unveil(2): any of "r", "w", "x", "c"
};

// Unveils each path, then locks the list (unveil(NULL, NULL)). Must run
// before drop_privileges(), whose pledge(2) has no "unveil" promise.
std::expected<void, std::string> restrict_paths(std::span<const PathAccess> paths);

}  // namespace fbf::platform
