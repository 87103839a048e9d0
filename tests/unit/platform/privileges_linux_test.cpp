// drop_inherited_capabilities_in_child(): what a health-check program gets
// of fbfd's capabilities when systemd put them in the ambient set (the
// Debian unit's AmbientCapabilities=): nothing.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/privileges.h"
#include "tests/unit/forked_child.h"

namespace fbf::platform {
namespace {

// CAP_NET_ADMIN into the inheritable set, then into the ambient set, as
// systemd does for AmbientCapabilities=CAP_NET_ADMIN.
bool raise_ambient_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  data[0].inheritable |= 1u << CAP_NET_ADMIN;
  if (::syscall(SYS_capset, &header, data) != 0) return false;
  return ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) == 0;
}

TEST(DropInheritedCapabilities, ClearsTheAmbientSet) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN to make ambient)";
  EXPECT_TRUE(fbf::test::run_in_child(
      [] {
        ASSERT_TRUE(raise_ambient_net_admin());
        ASSERT_EQ(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0), 1);
        drop_inherited_capabilities_in_child();
        EXPECT_EQ(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0), 0);
      },
      fbf::test::Netns::inherit));
}

}  // namespace
}  // namespace fbf::platform
