// OpenBSD implementation of platform/privileges.h (to_string(Capability) is
// shared: platform/privileges.cpp). No capabilities exist, so what Linux
// keeps as CAP_NET_ADMIN is kept here as descriptors opened while still root
// (the kernel marks a socket created by root privileged, SS_PRIV, for its
// whole life): the address ioctl sockets and the routing socket
// (addresses_openbsd.cpp) and the PF_KEY socket (tcp_md5_openbsd.cpp). Then
// the user switch, then pledge(2).
//
// The promises, each for something fbfd still does after start-up:
//   stdio   the event loop, reading and writing open descriptors (the
//           routing and PF_KEY sockets included), time, signals, wait4
//   rpath   reading the configuration on reload, stat(2) of disable files,
//           access(2) checks of the config file, state_dir and socket dir
//   wpath   writing state_dir/maintenance.json
//   cpath   creating maintenance.json.tmp and renaming it over the old file;
//           removing the control socket at stop
//   inet    BGP, BFD, tcp/http/dns probes and the metrics endpoint: sockets
//           opened after start-up too (a reload adds neighbors or sessions);
//           only socket options pledge allows are used, except IPv4
//           IP_RECVTTL/IP_RECVIF, which udp_openbsd.cpp refuses once pledged
//   unix    accepting fbfctl connections on the control socket
//   dns     resolving check targets and URLs again on reload
//   route   getifaddrs(3) and SIOCGIFFLAGS: addresses and link state
//   wroute  SIOCAIFADDR/SIOCDIFADDR(_IN6): service addresses added on reload
//           and removed at stop (on the sockets opened as root)
//   proc    fork(2), setpgid(2) and kill(2) of exec health checks
//   exec    execve(2) of exec health checks (execpromises NULL: the check
//           runs unpledged, as the user fbfd runs as)
// Not promised: id (no switching back), getpw, unveil (restrict_paths() locks
// the file system view before this), fattr, chown, flock, tmppath, sendfd.
//
// UNTESTED: never compiled or run (docs/openbsd.md).
#include <sys/types.h>
#include <sys/utsname.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "platform/openbsd/openbsd_detail.h"
#include "platform/privileges.h"

namespace fbf::platform {
namespace {

constexpr const char* kPromises =
    "stdio rpath wpath cpath inet unix dns route wroute proc exec";

bool g_confined = false;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

namespace openbsd_detail {
bool confined() { return g_confined; }
}  // namespace openbsd_detail

// `keep` names Linux capabilities; OpenBSD has none. The abilities they stand
// for are the descriptors opened before (see the top of this file); binding
// a port below 1024 after start-up is not possible (a reload that adds the
// first passive neighbor needs a restart).
std::expected<void, std::string> drop_privileges(const UserIds& user,
                                                 std::span<const Capability> /*keep*/) {
  // Still root: the PF_KEY socket for TCP-MD5 keys a later reload adds.
  openbsd_detail::open_pfkey_early();

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
  // Proof rather than trust: root must be out of reach now.
  if (user.uid != 0 && ::setresuid(0, 0, 0) == 0)
    return std::unexpected("could switch back to root after dropping privileges");

  if (::pledge(kPromises, nullptr) != 0) return std::unexpected(errno_text("pledge"));
  g_confined = true;
  return {};
}

std::expected<void, std::string> restrict_paths(std::span<const PathAccess> paths) {
  for (const auto& p : paths) {
    if (::unveil(p.path.c_str(), p.permissions.c_str()) != 0)
      return std::unexpected("unveil " + p.path + " \"" + p.permissions +
                             "\": " + std::strerror(errno));
  }
  if (::unveil(nullptr, nullptr) != 0) return std::unexpected(errno_text("unveil (lock)"));
  return {};
}

std::string kernel_release() {
  utsname u{};
  if (::uname(&u) != 0) return {};
  return u.release;
}

// No capabilities on OpenBSD: a check runs as the user fbfd switched to.
void drop_inherited_capabilities_in_child() {}

}  // namespace fbf::platform
