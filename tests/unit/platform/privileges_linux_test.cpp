// drop_inherited_capabilities_in_child(): what a health-check program gets
// of fbfd's capabilities when systemd put them in the ambient set (the
// Debian unit's AmbientCapabilities=): nothing. lookup_user(): the name
// service's modules never load into the caller.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

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

bool mapped(const std::string& what) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(what) != std::string::npos;
}

// In a mount namespace of its own the child sees an nsswitch.conf whose
// passwd source is `compat`: a module of its own (libnss_compat.so.2, in
// libc6 everywhere), where `files` is built into glibc and would load
// nothing. The control at the end proves that an in-process lookup does
// map it, so the first check would catch a lookup done here.
TEST(LookupUser, TheNameServiceModulesNeverLoadIntoTheCaller) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (a mount namespace)";
  const auto child = fbf::test::run_in_child(
      [] {
        ASSERT_EQ(::unshare(CLONE_NEWNS), 0);
        ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
        char conf[] = "/tmp/fbf-nsswitch-XXXXXX";
        const int fd = ::mkstemp(conf);
        ASSERT_GE(fd, 0);
        const std::string text = "passwd: compat\ngroup: compat\n";
        ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        ::close(fd);
        ASSERT_EQ(::mount(conf, "/etc/nsswitch.conf", nullptr, MS_BIND, nullptr), 0);
        ::unlink(conf);
        ASSERT_FALSE(mapped("libnss_compat")) << "loaded before the test";

        const auto root = lookup_user("root");
        ASSERT_TRUE(root) << root.error();
        ASSERT_TRUE(*root);
        EXPECT_EQ((*root)->uid, 0u);
        EXPECT_EQ((*root)->gid, 0u);
        EXPECT_EQ((*root)->name, "root");
        const auto missing = lookup_user("fbf-no-such-user");
        ASSERT_TRUE(missing) << missing.error();
        EXPECT_FALSE(*missing);
        EXPECT_FALSE(mapped("libnss_compat")) << "lookup_user loaded the module into the caller";

        ASSERT_NE(::getpwnam("root"), nullptr);  // the control: in-process
        EXPECT_TRUE(mapped("libnss_compat")) << "the control lookup loaded no module";
      },
      fbf::test::Netns::inherit);
  EXPECT_TRUE(child);
}

}  // namespace
}  // namespace fbf::platform
