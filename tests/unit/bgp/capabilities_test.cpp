// Capabilities (RFC 5492 §4) and what a session agrees on.
#include "bgp/capabilities.h"

#include <gtest/gtest.h>

#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using test::Buf;

Capabilities decode(const Buf& b) {
  Capabilities c;
  auto r = decode_capabilities(b, c);
  EXPECT_TRUE(r) << (r ? "" : r.error().rule);
  return c;
}

bool malformed(const Buf& b) {
  Capabilities c;
  auto r = decode_capabilities(b, c);
  return !r && r.error().code == ErrorCode::open_message && r.error().subcode == 0;
}

TEST(Capabilities, Rfc4760_8_Multiprotocol) {
  Capabilities c = decode({0x01, 0x04, 0x00, 0x02, 0x00, 0x01, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01});
  EXPECT_EQ(c.multiprotocol, (std::vector<AfiSafi>{kIpv6Unicast, kIpv4Unicast}));
  EXPECT_TRUE(malformed({0x01, 0x03, 0x00, 0x01, 0x01}));
}

TEST(Capabilities, Rfc2918_RouteRefreshRfc8654_ExtendedMessageRfc7313_Enhanced) {
  Capabilities c = decode({0x02, 0x00, 0x06, 0x00, 0x46, 0x00});
  EXPECT_TRUE(c.route_refresh);
  EXPECT_TRUE(c.extended_message);
  EXPECT_TRUE(c.enhanced_route_refresh);
  EXPECT_TRUE(malformed({0x02, 0x01, 0x00}));
  EXPECT_TRUE(malformed({0x06, 0x01, 0x00}));
}

TEST(Capabilities, Rfc4724_3_GracefulRestartParsed) {
  // R bit + restart time 120; IPv4 unicast with F bit; IPv6 unicast without.
  Capabilities c = decode({0x40, 0x0a, 0x80, 0x78, 0x00, 0x01, 0x01, 0x80, 0x00, 0x02, 0x01, 0x00});
  ASSERT_TRUE(c.graceful_restart);
  EXPECT_TRUE(c.graceful_restart->restart_state());
  EXPECT_EQ(c.graceful_restart->restart_time, 120);
  ASSERT_EQ(c.graceful_restart->families.size(), 2u);
  EXPECT_TRUE(c.graceful_restart->families[0].forwarding_preserved());
  EXPECT_EQ(c.graceful_restart->families[1].family, kIpv6Unicast);
  EXPECT_TRUE(malformed({0x40, 0x03, 0x00, 0x78, 0x00}));
}

TEST(Capabilities, Rfc6793_FourOctetAs) {
  Capabilities c = decode({0x41, 0x04, 0xfa, 0x56, 0xea, 0x01});
  EXPECT_EQ(c.four_octet_as, 4200000001u);
  EXPECT_TRUE(malformed({0x41, 0x02, 0xfa, 0x56}));
}

TEST(Capabilities, Rfc7911_4_AddPathParsedAndIgnored) {
  Capabilities c = decode({0x45, 0x04, 0x00, 0x01, 0x01, 0x03});
  ASSERT_EQ(c.add_path.size(), 1u);
  EXPECT_EQ(c.add_path[0].send_receive, 3);
  EXPECT_TRUE(malformed({0x45, 0x03, 0x00, 0x01, 0x01}));
}

TEST(Capabilities, Rfc5492_5_UnknownCapabilitiesAreKept) {
  Capabilities c = decode({0x80, 0x00, 0x49, 0x02, 0xab, 0xcd});
  ASSERT_EQ(c.unknown.size(), 2u);
  EXPECT_EQ(c.unknown[0].code, 0x80);  // old Cisco route refresh
  EXPECT_EQ(c.unknown[1].value, (Buf{0xab, 0xcd}));
}

TEST(Capabilities, Rfc5492_4_TruncatedCapabilityIsMalformed) {
  EXPECT_TRUE(malformed({0x02}));
  EXPECT_TRUE(malformed({0x41, 0x04, 0x00}));
}

TEST(Capabilities, EncodeThenDecodeIsIdentity) {
  Capabilities c;
  c.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  c.route_refresh = true;
  c.extended_message = true;
  c.graceful_restart = GracefulRestart{0x8, 300, {{kIpv4Unicast, 0x80}}};
  c.four_octet_as = 65001;
  c.add_path = {{kIpv6Unicast, 1}};
  c.enhanced_route_refresh = true;
  c.unknown = {{200, {1, 2, 3}}};
  Buf out;
  Writer w(out);
  encode_capabilities(w, c);
  EXPECT_EQ(decode(out), c);
}

TEST(Capabilities, Negotiate) {
  Capabilities local;
  local.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  local.four_octet_as = 65001;
  local.route_refresh = true;
  local.extended_message = true;
  Capabilities remote;
  remote.multiprotocol = {kIpv6Unicast};
  remote.four_octet_as = 65002;
  remote.enhanced_route_refresh = true;
  Negotiated n = negotiate(local, remote);
  EXPECT_TRUE(n.four_octet_as);
  EXPECT_FALSE(n.ipv4_unicast);
  EXPECT_TRUE(n.ipv6_unicast);
  EXPECT_TRUE(n.route_refresh);
  EXPECT_TRUE(n.enhanced_route_refresh);
  EXPECT_FALSE(n.extended_message);
  EXPECT_EQ(n.max_message_length(), 4096u);
  // RFC 4760 §8: no Multiprotocol capability at all means IPv4 unicast.
  EXPECT_TRUE(negotiate(Capabilities{}, Capabilities{}).ipv4_unicast);
  EXPECT_FALSE(negotiate(Capabilities{}, Capabilities{}).four_octet_as);
}

}  // namespace
}  // namespace fbf::bgp
