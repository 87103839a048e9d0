#pragma once
// Moves the calling process into a network namespace of its own with lo up,
// for tests that bind the fixed BFD ports: ctest runs tests in parallel
// (-j), and two processes that both bound 127.0.0.1:3784 with SO_REUSEADDR
// in the host's namespace would take each other's datagrams. False when we
// may not (not root): the caller skips.
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace fbf::test {

inline bool own_network_namespace() {
  if (::geteuid() != 0 || ::unshare(CLONE_NEWNET) != 0) return false;
  const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  up = up && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  if (s >= 0) ::close(s);
  return up;
}

}  // namespace fbf::test
