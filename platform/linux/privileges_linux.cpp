// Raw capset(2) through <linux/capability.h> rather than libcap: three
// capabilities do not justify another dependency.
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "platform/privileges.h"

namespace fbf::platform {
namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

int number_of(Capability c) {
  switch (c) {
    case Capability::net_admin:
      return CAP_NET_ADMIN;
    case Capability::net_bind_service:
      return CAP_NET_BIND_SERVICE;
    case Capability::net_raw:
      return CAP_NET_RAW;
  }
  return -1;
}

bool kept(int cap, std::span<const Capability> keep) {
  for (auto c : keep)
    if (number_of(c) == cap) return true;
  return false;
}

}  // namespace

std::expected<void, std::string> drop_privileges(const UserIds& user,
                                                 std::span<const Capability> keep) {
  // Keep the permitted set across setuid so the wanted ones can be re-raised.
  if (::prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) return std::unexpected(errno_text("PR_SET_KEEPCAPS"));
  // Bounding set: what no exec'd child may gain from file capabilities or
  // set-user-ID binaries. Probed up to what this kernel knows (EINVAL past it).
  for (int cap = 0; ::prctl(PR_CAPBSET_READ, static_cast<long>(cap), 0L, 0L, 0L) >= 0; ++cap) {
    if (kept(cap, keep)) continue;
    if (::prctl(PR_CAPBSET_DROP, static_cast<long>(cap), 0L, 0L, 0L) != 0)
      return std::unexpected(errno_text("PR_CAPBSET_DROP"));
  }
  // Only the user's own group, none of root's and no supplementary ones: the
  // least a daemon needs (what OpenBGPD, ntpd and BIRD do too). initgroups()
  // would also walk every NSS group source, mapping their modules
  // (libnss_systemd: +0.3 MiB RSS) into a process that never looks up a
  // name again. Under systemd (User=) fbfd starts as the user and the unit
  // decides its groups.
  const gid_t groups[] = {user.gid};
  if (::setgroups(1, groups) != 0) return std::unexpected(errno_text("setgroups"));
  if (::setresgid(user.gid, user.gid, user.gid) != 0) return std::unexpected(errno_text("setresgid"));
  if (::setresuid(user.uid, user.uid, user.uid) != 0) return std::unexpected(errno_text("setresuid"));

  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (auto c : keep) {
    const int n = number_of(c);
    data[n / 32].permitted |= 1U << (n % 32);
    data[n / 32].effective |= 1U << (n % 32);
  }
  if (::syscall(SYS_capset, &header, data) != 0) return std::unexpected(errno_text("capset"));
  if (::prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) != 0)
    return std::unexpected(errno_text("PR_SET_KEEPCAPS off"));
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) != 0 && errno != EINVAL)
    return std::unexpected(errno_text("PR_CAP_AMBIENT_CLEAR_ALL"));
  // Proof rather than trust: root must be out of reach now.
  if (user.uid != 0 && ::setresuid(0, 0, 0) == 0)
    return std::unexpected("could switch back to root after dropping privileges");
  return {};
}

std::string kernel_release() {
  utsname u{};
  if (::uname(&u) != 0) return {};
  return u.release;
}

void drop_inherited_capabilities_in_child() {
  // Linux 4.3+; on older kernels there is no ambient set to clear.
  (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

std::expected<void, std::string> restrict_paths(std::span<const PathAccess>) { return {}; }

}  // namespace fbf::platform
