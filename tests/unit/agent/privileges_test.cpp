// Privileges: which capabilities a configuration needs (pure), and the real
// switch to an unprivileged user in a forked child (root only), checked from
// the kernel's side: /proc/self/status and what the process can still do.
#include "agent/privileges.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "platform/addresses.h"
#include "platform/event.h"
#include "platform/unique_fd.h"
#include "tests/unit/forked_child.h"

namespace fbf::agent {
namespace {

using platform::Capability;
using test::Netns;
using test::run_in_child;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::vector<Capability> capabilities(const std::vector<CapabilityNeed>& needs) {
  std::vector<Capability> out;
  for (const auto& n : needs) out.push_back(n.capability);
  return out;
}

const CapabilityNeed* need(const std::vector<CapabilityNeed>& needs, Capability c) {
  auto it = std::find_if(needs.begin(), needs.end(), [&](auto& n) { return n.capability == c; });
  return it == needs.end() ? nullptr : &*it;
}

NeighborConfig neighbor(const std::string& name, bool passive) {
  NeighborConfig n;
  n.name = name;
  n.address = ip("192.0.2.1");
  n.remote_as = 65001;
  n.passive = passive;
  return n;
}

BfdPeerConfig bfd_peer(const char* address, const std::string& interface) {
  BfdPeerConfig p;
  p.address = ip(address);
  p.interface = interface;
  return p;
}

constexpr const char* kNew = "6.1.0-18-amd64";
constexpr const char* kOld = "5.6.0";

// --- needed_capabilities ---

TEST(NeededCapabilities, NetAdminAlwaysAndNothingElseForAPlainConfig) {
  Config c;
  c.bfd_peers.push_back(bfd_peer("192.0.2.1", ""));
  EXPECT_EQ(capabilities(needed_capabilities(c, kNew)),
            (std::vector<Capability>{Capability::net_admin}));
  EXPECT_EQ(capabilities(needed_capabilities(Config{}, kOld)),
            (std::vector<Capability>{Capability::net_admin}));
}

// Every neighbor's connection is accepted, passive or not: port 179, once.
TEST(NeededCapabilities, NeighborsNeedToBindPort179Once) {
  for (bool passive : {false, true}) {
    Config c;
    c.neighbors.push_back(neighbor("r1", passive));
    c.neighbors.push_back(neighbor("r2", true));
    const auto needs = needed_capabilities(c, kNew);
    EXPECT_EQ(capabilities(needs),
              (std::vector<Capability>{Capability::net_admin, Capability::net_bind_service}));
    const auto* bind = need(needs, Capability::net_bind_service);
    ASSERT_TRUE(bind);
    EXPECT_NE(bind->why.find("listening on port 179"), std::string::npos) << bind->why;
  }
  Config active;
  active.neighbors.push_back(neighbor("r1", false));
  EXPECT_TRUE(need(needed_capabilities(active, kNew), Capability::net_bind_service));
}

TEST(NeededCapabilities, AnInterfaceBoundBfdPeerNeedsNetRawOnlyBeforeLinux57) {
  Config c;
  c.bfd_peers.push_back(bfd_peer("192.0.2.1", ""));
  c.bfd_peers.push_back(bfd_peer("192.0.2.2", "eth1"));

  const auto old = needed_capabilities(c, kOld);
  EXPECT_EQ(capabilities(old),
            (std::vector<Capability>{Capability::net_admin, Capability::net_raw}));
  const auto* raw = need(old, Capability::net_raw);
  ASSERT_TRUE(raw);
  EXPECT_NE(raw->why.find("192.0.2.2"), std::string::npos) << raw->why;
  EXPECT_NE(raw->why.find("eth1"), std::string::npos) << raw->why;

  EXPECT_EQ(capabilities(needed_capabilities(c, kNew)),
            (std::vector<Capability>{Capability::net_admin}));
  EXPECT_EQ(capabilities(needed_capabilities(c, "garbage")),  // unknown kernel: be safe
            (std::vector<Capability>{Capability::net_admin, Capability::net_raw}));

  Config unbound;
  unbound.bfd_peers.push_back(bfd_peer("192.0.2.1", ""));
  EXPECT_EQ(capabilities(needed_capabilities(unbound, kOld)),
            (std::vector<Capability>{Capability::net_admin}));
}

TEST(NeededCapabilities, TheBfdEchoFunctionNeedsNetRawForItsLinkLayerSocket) {
  // Echoes go through a packet socket opened when the session's first Control
  // packet arrives, long after the switch (platform/link_socket.h: "Needs
  // CAP_NET_RAW").
  Config peer;
  peer.bfd_peers.push_back(bfd_peer("192.0.2.1", ""));
  peer.bfd_peers[0].settings.timers.echo_tx = Duration{50};
  const auto needs = needed_capabilities(peer, kNew);
  EXPECT_EQ(capabilities(needs),
            (std::vector<Capability>{Capability::net_admin, Capability::net_raw}));
  const auto* raw = need(needs, Capability::net_raw);
  ASSERT_TRUE(raw);
  EXPECT_NE(raw->why.find("192.0.2.1"), std::string::npos) << raw->why;
  EXPECT_NE(raw->why.find("Echo"), std::string::npos) << raw->why;

  Config neigh;
  neigh.neighbors.push_back(neighbor("r1", false));
  neigh.neighbors[0].bfd = BfdSettings{};
  neigh.neighbors[0].bfd->timers.echo_tx = Duration{50};
  EXPECT_EQ(capabilities(needed_capabilities(neigh, kNew)),
            (std::vector<Capability>{Capability::net_admin, Capability::net_bind_service,
                                     Capability::net_raw}));

  // Looping the peer's echoes back (echo_rx) also needs the socket: RFC-style
  // echoes are addressed to the peer and only seen at the link layer.
  Config reflect;
  reflect.bfd_peers.push_back(bfd_peer("192.0.2.1", ""));
  reflect.bfd_peers[0].settings.timers.echo_rx = Duration{50};
  EXPECT_EQ(capabilities(needed_capabilities(reflect, kNew)),
            (std::vector<Capability>{Capability::net_admin, Capability::net_raw}));

  // Multihop sessions have no Echo function (RFC 5883 §3).
  Config multihop = reflect;
  multihop.bfd_peers[0].multihop = true;
  EXPECT_EQ(capabilities(needed_capabilities(multihop, kNew)),
            (std::vector<Capability>{Capability::net_admin}));

  // Needed once, even when both reasons apply.
  Config both = peer;
  both.bfd_peers.push_back(bfd_peer("192.0.2.2", "eth1"));
  const auto all = capabilities(needed_capabilities(both, kOld));
  EXPECT_EQ(std::count(all.begin(), all.end(), Capability::net_raw), 1);
}

TEST(BindToDevice, NeedsNetRawBeforeLinux57AndWhenUnknown) {
  EXPECT_TRUE(bind_to_device_needs_net_raw("5.6.0"));
  EXPECT_TRUE(bind_to_device_needs_net_raw("5.6.19-rt12"));
  EXPECT_TRUE(bind_to_device_needs_net_raw("4.19.0-26-amd64"));
  EXPECT_FALSE(bind_to_device_needs_net_raw("5.7.0"));
  EXPECT_FALSE(bind_to_device_needs_net_raw("5.10.0"));
  EXPECT_FALSE(bind_to_device_needs_net_raw("6.1.0-18-amd64"));
  EXPECT_FALSE(bind_to_device_needs_net_raw("10.0"));
  EXPECT_TRUE(bind_to_device_needs_net_raw("garbage"));
  EXPECT_TRUE(bind_to_device_needs_net_raw(""));
  EXPECT_TRUE(bind_to_device_needs_net_raw("6"));
  EXPECT_TRUE(bind_to_device_needs_net_raw("6."));
  EXPECT_TRUE(bind_to_device_needs_net_raw("-6.1"));
}

// The capability sets of this process, from the kernel.
struct CapSets {
  std::uint64_t inheritable = ~0ULL, permitted = ~0ULL, effective = ~0ULL, bounding = ~0ULL,
                ambient = ~0ULL;
};

CapSets read_capabilities() {
  CapSets c;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    auto value = [&](const char* key, std::uint64_t& out) {
      if (line.rfind(key, 0) == 0) out = std::stoull(line.substr(std::strlen(key)), nullptr, 16);
    };
    value("CapInh:", c.inheritable);
    value("CapPrm:", c.permitted);
    value("CapEff:", c.effective);
    value("CapBnd:", c.bounding);
    value("CapAmb:", c.ambient);
  }
  return c;
}

constexpr std::uint64_t bit(int cap) { return 1ULL << cap; }
constexpr int kCapNetAdmin = 12, kCapNetBindService = 10;

// 0 or the errno of binding TCP port 179 (the wildcard address: there is
// no other in a fresh namespace, and the port is what is being checked).
int bind_bgp_port() {
  platform::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(179);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 ? 0 : errno;
}

platform::UserIds nobody() {
  auto u = platform::lookup_user("nobody");
  EXPECT_TRUE(u) << u.error();
  EXPECT_TRUE(u && *u) << "no user nobody";
  return u && *u ? **u : platform::UserIds{};
}

// --- drop_privileges (agent level: which user) ---

TEST(DropPrivileges, AnyOtherMissingUserIsAnError) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: not root means nothing to drop";
  Config c;
  c.agent.user = "fbf-no-such-user";
  auto r = drop_privileges(c, PathsBeforeStart{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("fbf-no-such-user"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("no such user"), std::string::npos) << r.error();
  EXPECT_EQ(::geteuid(), 0u);
}

TEST(DropPrivileges, NotRootIsNothingToDo) {
  // In a child, so that root can become someone else first.
  const auto child = run_in_child(
      [] {
        if (::geteuid() == 0) {
          const auto nobody = platform::lookup_user("nobody");
          ASSERT_TRUE(nobody && *nobody);
          ASSERT_EQ(::setresuid((*nobody)->uid, (*nobody)->uid, (*nobody)->uid), 0);
        }
        Config c;
        c.agent.user = "fbf-no-such-user";
        EXPECT_TRUE(drop_privileges(c, PathsBeforeStart{}));
      },
      Netns::inherit);
  EXPECT_TRUE(child);
}

TEST(DropPrivileges, TheDefaultUserMissingMeansStayingRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: not root means nothing to drop";
  const auto child = run_in_child(
      [] {
        auto fbf = platform::lookup_user("_fbf");
        ASSERT_TRUE(fbf) << fbf.error();
        if (*fbf) {
          std::printf("note: user _fbf exists here; nothing to check\n");
          return;
        }
        Config c;  // agent.user defaults to _fbf
        EXPECT_TRUE(drop_privileges(c, PathsBeforeStart{}));
        EXPECT_EQ(::geteuid(), 0u);
      },
      Netns::inherit);
  EXPECT_TRUE(child);
}

TEST(DropPrivileges, HandsWhatFbfdCreatedToTheUserAndKeepsOnlyWhatTheConfigNeeds) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: switches user and drops capabilities";
  char templ[] = "/tmp/fbf-privileges-XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr) << std::strerror(errno);
  ::chmod(templ, 0755);  // nobody looks into it afterwards
  const std::filesystem::path dir = templ;
  ::mkdir((dir / "operators").c_str(), 0755);  // existed before: stays root's
  const auto child = run_in_child(
      [&] {
        Config c;
        c.agent.user = "nobody";
        c.agent.control_socket = (dir / "run" / "fbfd.sock").string();
        c.agent.state_dir = (dir / "operators").string();
        c.neighbors.push_back(neighbor("r1", true));
        const auto before = paths_before_start(c);
        EXPECT_FALSE(before.control_dir_existed);
        EXPECT_TRUE(before.state_dir_existed);
        // What Daemon::start does as root.
        ASSERT_EQ(::mkdir((dir / "run").c_str(), 0755), 0);
        std::ofstream(dir / "run" / "fbfd.sock").put('x');

        auto r = drop_privileges(c, before);
        ASSERT_TRUE(r) << r.error();
        const auto user = nobody();
        EXPECT_EQ(::getuid(), user.uid);
        struct stat st {};
        ASSERT_EQ(::stat((dir / "run").c_str(), &st), 0);
        EXPECT_EQ(st.st_uid, user.uid);
        ASSERT_EQ(::stat((dir / "run" / "fbfd.sock").c_str(), &st), 0);
        EXPECT_EQ(st.st_uid, user.uid);
        ASSERT_EQ(::stat((dir / "operators").c_str(), &st), 0);
        EXPECT_EQ(st.st_uid, 0u);
        EXPECT_EQ(read_capabilities().effective, bit(kCapNetAdmin) | bit(kCapNetBindService));
      },
      Netns::inherit);
  EXPECT_TRUE(child);
  std::filesystem::remove_all(dir);
}

// --- platform::drop_privileges (the real switch) ---

TEST(DropPrivilegesLinux, BecomesNobodyKeepingExactlyNetAdmin) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: switches user and drops capabilities";
  const auto child = run_in_child([] {
    const auto user = nobody();
    ASSERT_NE(user.uid, 0u);
    const Capability keep[] = {Capability::net_admin};
    auto dropped = platform::drop_privileges(user, keep);
    ASSERT_TRUE(dropped) << dropped.error();

    uid_t r = 0, e = 0, s = 0;
    ASSERT_EQ(::getresuid(&r, &e, &s), 0);
    EXPECT_EQ(r, user.uid);
    EXPECT_EQ(e, user.uid);
    EXPECT_EQ(s, user.uid);
    EXPECT_EQ(::getgid(), user.gid);
    EXPECT_EQ(::getegid(), user.gid);
    // Supplementary groups: exactly the user's own, none of root's.
    gid_t groups[16] = {};
    ASSERT_EQ(::getgroups(16, groups), 1);
    EXPECT_EQ(groups[0], user.gid);
    const CapSets caps = read_capabilities();
    EXPECT_EQ(caps.effective, bit(kCapNetAdmin)) << std::hex << caps.effective;
    EXPECT_EQ(caps.permitted, bit(kCapNetAdmin)) << std::hex << caps.permitted;
    EXPECT_EQ(caps.inheritable, 0u) << std::hex << caps.inheritable;
    EXPECT_EQ(caps.ambient, 0u) << std::hex << caps.ambient;
    EXPECT_EQ(caps.bounding, bit(kCapNetAdmin)) << std::hex << caps.bounding;
    EXPECT_NE(::setuid(0), 0);  // no way back

    // What CAP_NET_ADMIN is kept for still works (in this child's namespace)...
    auto base = platform::make_event_base();
    auto sys = platform::open_address_system(base.get());
    ASSERT_TRUE(sys) << sys.error().message;
    auto lo = (*sys)->find_link("lo");
    ASSERT_TRUE(lo && *lo);
    auto added = (*sys)->add_address((*lo)->index, ip("192.0.2.10"));
    EXPECT_TRUE(added) << added.error().message;
    EXPECT_TRUE((*sys)->remove_address((*lo)->index, ip("192.0.2.10")));
    // ...and what it is not kept for does not.
    EXPECT_EQ(bind_bgp_port(), EACCES);
  });
  EXPECT_TRUE(child);
}

TEST(DropPrivilegesLinux, KeepsOnlyTheUsersOwnGroupNotItsSupplementaryOnes) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: switches user, mounts over /etc/group";
  const auto child = run_in_child([] {
    const auto user = nobody();
    // In this child's own mount namespace, /etc/group makes `nobody` a member
    // of a second group: initgroups() would hand fbfd that group too.
    ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << std::strerror(errno);
    ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
    const std::string fake = "/tmp/fbf-group-" + std::to_string(::getpid());
    {
      std::ifstream in("/etc/group");
      std::ofstream out(fake);
      out << in.rdbuf() << "fbf-extra:x:4242:" << user.name << "\n";
    }
    ASSERT_EQ(::mount(fake.c_str(), "/etc/group", nullptr, MS_BIND, nullptr), 0)
        << std::strerror(errno);
    std::filesystem::remove(fake);
    auto dropped = platform::drop_privileges(user, {});
    ASSERT_TRUE(dropped) << dropped.error();
    gid_t groups[16] = {};
    ASSERT_EQ(::getgroups(16, groups), 1);
    EXPECT_EQ(groups[0], user.gid);
  });
  EXPECT_TRUE(child);
}

TEST(DropPrivilegesLinux, KeepingNetBindServiceAllowsPort179) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: switches user and drops capabilities";
  const auto child = run_in_child([] {
    const Capability keep[] = {Capability::net_admin, Capability::net_bind_service};
    auto dropped = platform::drop_privileges(nobody(), keep);
    ASSERT_TRUE(dropped) << dropped.error();
    EXPECT_EQ(read_capabilities().effective, bit(kCapNetAdmin) | bit(kCapNetBindService));
    EXPECT_EQ(bind_bgp_port(), 0);
  });
  EXPECT_TRUE(child);
}

TEST(DropPrivilegesLinux, AnAddressChangeWithoutNetAdminIsAPermissionError) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: switches user and drops capabilities";
  const auto child = run_in_child([] {
    auto base = platform::make_event_base();
    auto sys = platform::open_address_system(base.get());  // opened as root, as fbfd does
    ASSERT_TRUE(sys) << sys.error().message;
    auto dropped = platform::drop_privileges(nobody(), {});
    ASSERT_TRUE(dropped) << dropped.error();
    EXPECT_EQ(read_capabilities().effective, 0u);
    auto lo = (*sys)->find_link("lo");
    ASSERT_TRUE(lo && *lo);
    auto added = (*sys)->add_address((*lo)->index, ip("192.0.2.10"));
    ASSERT_FALSE(added);
    EXPECT_EQ(added.error().code, platform::AddressErrc::permission) << added.error().message;
    EXPECT_NE(added.error().message.find("CAP_NET_ADMIN"), std::string::npos)
        << added.error().message;
  });
  EXPECT_TRUE(child);
}

}  // namespace

TEST(PathsAfterStart, ListsWhatFbfdOpensByNameOnceRunning) {
  Config c;
  c.source = "/etc/fbf/fbf.toml";
  c.agent.state_dir = "/var/db/fbf";
  c.agent.control_socket = "/var/run/fbf/fbfd.sock";
  ServiceConfig web;
  web.name = "web";
  web.disable_file = "/etc/fbf/disable-web";
  web.check = HealthCheck{};
  web.check->type = CheckType::exec;
  web.check->command = {"/usr/local/bin/check-web", "--quick"};
  ServiceConfig bare = web;
  bare.name = "bare";
  bare.disable_file.clear();
  bare.check->command = {"check-in-path"};  // found through PATH: cannot be listed
  c.services = {web, bare};
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& p : paths_after_start(c)) got.emplace_back(p.path, p.permissions);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"/etc/fbf/fbf.toml", "r"},   {"/var/db/fbf", "rwc"},
      {"/var/run/fbf", "rwc"},      {"/etc/resolv.conf", "r"},
      {"/etc/hosts", "r"},          {"/dev/null", "rw"},
      {"/etc/fbf/disable-web", "r"}, {"/usr/local/bin/check-web", "rx"}};
  EXPECT_EQ(got, want);
}

}  // namespace fbf::agent
