#include "platform/ip.h"

#include <gtest/gtest.h>

namespace fbf::platform {
namespace {

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
  auto v4 = IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->to_string(), "192.0.2.1");
  EXPECT_EQ(v4->v4_host_order(), 0xc0000201u);

  auto v6 = IpAddress::parse("2001:DB8:0:0::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->to_string(), "2001:db8::1");  // RFC 5952 canonical form
  EXPECT_EQ(v6->bytes().size(), 16u);
}

TEST(IpAddress, RejectsGarbage) {
  for (const char* bad : {"", "1.2.3", "256.0.0.1", "1.2.3.4.5", "fe80::1%eth0", "::g", "[::1]",
                          "192.0.2.1/32"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  }
}

TEST(IpAddress, Classifies) {
  EXPECT_TRUE(IpAddress::parse("169.254.169.254")->is_link_local());
  EXPECT_TRUE(IpAddress::parse("fe80::1")->is_link_local());
  EXPECT_FALSE(IpAddress::parse("2001:db8::1")->is_link_local());
  EXPECT_TRUE(IpAddress::parse("127.0.0.5")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("::1")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddress::parse("ff02::5")->is_multicast());
}

TEST(IpAddress, OrdersByFamilyThenBytes) {
  EXPECT_LT(*IpAddress::parse("192.0.2.1"), *IpAddress::parse("192.0.2.2"));
  EXPECT_LT(*IpAddress::parse("255.255.255.255"), *IpAddress::parse("::"));
  EXPECT_EQ(*IpAddress::parse("2001:db8::1"), *IpAddress::parse("2001:db8:0::1"));
}

TEST(Prefix, ParsesHostAndNetworkPrefixes) {
  auto p = Prefix::parse("192.0.2.2/32");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->is_host());
  EXPECT_EQ(p->to_string(), "192.0.2.2/32");
  auto bare = Prefix::parse("2001:db8:2222::1");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->length(), 128);
  auto net = Prefix::parse("2001:db8::/32");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*IpAddress::parse("2001:db8:ffff::1")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("2001:db9::1")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("192.0.2.1")));
}

TEST(Prefix, ExplainsWhyItRejects) {
  std::string why;
  EXPECT_FALSE(Prefix::parse("192.0.2.1/24", &why));
  EXPECT_EQ(why, "host bits set beyond /24");
  EXPECT_FALSE(Prefix::parse("192.0.2.0/33", &why));
  EXPECT_EQ(why, "prefix length 33 exceeds 32");
  EXPECT_FALSE(Prefix::parse("192.0.2.0/x", &why));
  EXPECT_EQ(why, "'x' is not a prefix length");
  EXPECT_FALSE(Prefix::parse("192.0.2.0/", &why));
  EXPECT_FALSE(Prefix::parse("web/32", &why));
  EXPECT_EQ(why, "'web' is not an IPv4 or IPv6 address");
}

TEST(Prefix, ZeroLengthIsDefaultRoute) {
  auto p = Prefix::parse("0.0.0.0/0");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*IpAddress::parse("203.0.113.9")));
}

}  // namespace
}  // namespace fbf::platform
