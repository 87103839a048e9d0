#pragma once
// Moves the calling process into a network namespace of its own with lo up,
// for tests that bind the fixed BFD ports: ctest runs tests in parallel
// (-j), and two processes that both bound 127.0.0.1:3784 with SO_REUSEADDR
// in the host's namespace would take each other's datagrams. False when we
// may not (not root): the caller skips. (A test that must leave the process
// unchanged runs its body in a child instead: forked_child.h.)
#include <sched.h>
#include <unistd.h>

#include "tests/unit/platform/rtnl_test_util.h"

namespace fbf::test {

inline bool own_network_namespace() {
  if (::geteuid() != 0 || ::unshare(CLONE_NEWNET) != 0) return false;
  return rtnl::set_link_up("lo", true) == 0;
}

}  // namespace fbf::test
