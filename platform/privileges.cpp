// What every system's privilege code shares (the switching itself is per
// system: platform/linux/privileges_linux.cpp, platform/privileges_none.cpp).
#include "platform/privileges.h"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "platform/unique_fd.h"

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

namespace {

// What the child reports: getpwnam_r's error number, whether the user was
// found, and its ids. Fixed size, written with one write(2) into a pipe
// (atomic below PIPE_BUF).
struct LookupReport {
  int error = 0;
  int found = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

LookupReport lookup_here(const std::string& name) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  LookupReport report;
  report.error = ::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found);
  if (report.error == 0 && found != nullptr) report = {0, 1, pw.pw_uid, pw.pw_gid};
  return report;
}

// The lookup in a short-lived child. getpwnam_r goes through NSS, and a
// module it loads (Debian's nsswitch.conf names `systemd`: libnss_systemd,
// which brings libcap and libm) stays mapped for the rest of the process's
// life: 356 KiB resident, and libm with it, in a daemon that looks up one
// name once (bench/compare/idle_rss.py --smaps --user _fbf). The
// child maps them and exits with them; fbfd also never runs the modules'
// code (userdb varlink, LDAP clients...) in its own address space.
// nullopt when the child could not be run: the caller looks up in-process.
std::optional<LookupReport> lookup_in_child(const std::string& name) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // No handler of ours (libevent's signal pipe) may run in the child.
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const LookupReport report = lookup_here(name);
    const ssize_t n = ::write(write_end.get(), &report, sizeof report);
    ::_exit(n == static_cast<ssize_t>(sizeof report) ? 0 : 1);
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return std::nullopt;
  write_end.reset();
  LookupReport report;
  ssize_t n;
  do {
    n = ::read(read_end.get(), &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof report)) return std::nullopt;
  return report;
}

}  // namespace

std::expected<std::optional<UserIds>, std::string> lookup_user(const std::string& name) {
  const auto in_child = lookup_in_child(name);
  const LookupReport report = in_child ? *in_child : lookup_here(name);
  if (report.error != 0) return std::unexpected("user " + name + ": " + std::strerror(report.error));
  if (!report.found) return std::nullopt;
  return UserIds{name, report.uid, report.gid};
}

}  // namespace fbf::platform
