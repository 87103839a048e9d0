// Which interface holds a peer's connected prefix (RFC 5881 §3 binding of
// single-hop BFD sessions): the pure choice against snapshots, and the real
// getifaddrs(3) reading against the loopback.
#include "platform/interfaces.h"

#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>

namespace fbf::platform {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }
Prefix prefix(const char* s) { return *Prefix::parse(s); }

InterfacePrefix on(const char* name, std::uint32_t index, const char* p, bool up = true) {
  return {name, index, prefix(p), up};
}

TEST(ConnectedInterface, PicksTheInterfaceWhosePrefixHoldsThePeer) {
  const std::vector<InterfacePrefix> snap = {
      on("lo", 1, "127.0.0.0/8"), on("eth0", 2, "192.0.2.0/24"), on("eth1", 3, "198.51.100.0/31"),
      on("eth1", 3, "2001:db8:1::/64")};
  auto got = connected_interface(ip("192.0.2.77"), snap);
  ASSERT_TRUE(got.interface);
  EXPECT_EQ(*got.interface, (InterfaceRef{"eth0", 2}));
  EXPECT_EQ(connected_interface(ip("198.51.100.1"), snap).interface, (InterfaceRef{"eth1", 3}));
  EXPECT_EQ(connected_interface(ip("2001:db8:1::2"), snap).interface, (InterfaceRef{"eth1", 3}));
  // Outside every prefix (a routed, not a connected, peer): nothing.
  auto none = connected_interface(ip("198.51.100.2"), snap);
  EXPECT_FALSE(none.interface);
  EXPECT_TRUE(none.ambiguous.empty());
  EXPECT_FALSE(connected_interface(ip("2001:db8:2::1"), snap).interface);
  EXPECT_FALSE(connected_interface(ip("192.0.2.1"), {}).interface);
}

TEST(ConnectedInterface, TheLongestPrefixWins) {
  const std::vector<InterfacePrefix> snap = {
      on("eth0", 2, "10.0.0.0/8"), on("vlan5", 7, "10.5.0.0/16"), on("p2p", 9, "10.5.5.5/32")};
  EXPECT_EQ(connected_interface(ip("10.1.2.3"), snap).interface, (InterfaceRef{"eth0", 2}));
  EXPECT_EQ(connected_interface(ip("10.5.2.3"), snap).interface, (InterfaceRef{"vlan5", 7}));
  EXPECT_EQ(connected_interface(ip("10.5.5.5"), snap).interface, (InterfaceRef{"p2p", 9}));
}

TEST(ConnectedInterface, EqualPrefixesOnTwoLinksAreAmbiguousUnlessOneRuns) {
  // Two addresses of one /24 on the same interface: not ambiguous.
  std::vector<InterfacePrefix> snap = {on("eth0", 2, "192.0.2.0/24"),
                                       on("eth0", 2, "192.0.2.0/24")};
  EXPECT_EQ(connected_interface(ip("192.0.2.9"), snap).interface, (InterfaceRef{"eth0", 2}));
  // The same /24 on another running link: no guess.
  snap.push_back(on("eth1", 3, "192.0.2.0/24"));
  auto got = connected_interface(ip("192.0.2.9"), snap);
  EXPECT_FALSE(got.interface);
  EXPECT_EQ(got.ambiguous, (std::vector<std::string>{"eth0", "eth1"}));
  // Only one of them running: that one.
  snap[0].up = snap[1].up = false;
  EXPECT_EQ(connected_interface(ip("192.0.2.9"), snap).interface, (InterfaceRef{"eth1", 3}));
}

TEST(ConnectedInterface, AnIpv6LinkLocalPeerNeverResolves) {
  // fe80::/64 is on every IPv6 link: the interface must be configured.
  const std::vector<InterfacePrefix> snap = {on("eth0", 2, "fe80::/64")};
  auto got = connected_interface(ip("fe80::1"), snap);
  EXPECT_FALSE(got.interface);
  EXPECT_TRUE(got.ambiguous.empty());
}

TEST(InterfacePrefixes, ReadsTheLoopbackFromTheHost) {
  const std::uint32_t lo = if_nametoindex("lo");
  if (lo == 0) GTEST_SKIP() << "no interface called lo";
  auto snap = interface_prefixes();
  ASSERT_TRUE(snap) << snap.error();
  const bool has_127 = std::any_of(snap->begin(), snap->end(), [&](const InterfacePrefix& p) {
    return p.name == "lo" && p.index == lo && p.prefix == prefix("127.0.0.0/8") && p.up;
  });
  EXPECT_TRUE(has_127);
  // Every entry is a prefix (no host bits) of an existing interface.
  for (const auto& p : *snap) {
    EXPECT_NE(p.index, 0u) << p.name;
    EXPECT_EQ(p.name.find(':'), std::string::npos) << p.name;
  }
  auto got = connected_interface(ip("127.0.0.2"));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, (InterfaceRef{"lo", lo}));
  EXPECT_FALSE(connected_interface(ip("fe80::1")));
}

}  // namespace
}  // namespace fbf::platform
