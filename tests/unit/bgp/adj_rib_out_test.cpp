// Adj-RIB-Out: byte-exact UPDATEs, packing, incremental changes, End-of-RIB,
// route refresh, and session resets.
#include "bgp/adj_rib_out.h"

#include <gtest/gtest.h>

#include <set>

#include "bgp/nlri.h"
#include "bgp/update.h"
#include "bgp_test_util.h"

namespace fbf::bgp {
namespace {

using test::Buf;
using test::cat;

platform::Prefix pfx(const char* t) { return *platform::Prefix::parse(t); }
platform::IpAddress ip(const char* t) { return *platform::IpAddress::parse(t); }

Negotiated both_families(bool enhanced = true) {
  Negotiated n;
  n.four_octet_as = true;
  n.route_refresh = true;
  n.enhanced_route_refresh = enhanced;
  n.ipv4_unicast = true;
  n.ipv6_unicast = true;
  return n;
}

RouteAttributes all_attributes() {
  RouteAttributes a;
  a.as_path = as_sequence({65500, 65500});
  a.next_hop = ip("192.0.2.111");
  a.next_hop_v6 = ip("2001:db8::111");
  a.link_local_next_hop = ip("fe80::1");
  a.med = 10;
  a.local_pref = 100;
  a.communities = {0xFFDC0064};  // 65500:100
  a.large_communities = {{65500, 1, 1}};
  return a;
}

RouteAttributes simple(const char* next_hop = "192.0.2.111") {
  RouteAttributes a;
  a.as_path = as_sequence({65500});
  a.next_hop = ip(next_hop);
  a.next_hop_v6 = ip("2001:db8::111");
  return a;
}

// Everything after the initial flush of an empty table with both families.
AdjRibOut up(bool enhanced = true) {
  AdjRibOut rib;
  rib.session_up(both_families(enhanced));
  return rib;
}

std::vector<DecodedUpdate> decode_all(const UpdateMessages& msgs) {
  std::vector<DecodedUpdate> out;
  for (const auto& m : msgs) out.push_back(decode_update(m));
  return out;
}

const Buf kMarker(16, 0xff);
const Buf kTail{
    0x40, 0x01, 0x01, 0x00,                                            // ORIGIN IGP
    0x40, 0x02, 0x0a, 0x02, 0x02, 0x00, 0x00, 0xff, 0xdc, 0x00, 0x00, 0xff, 0xdc,  // AS_PATH
};
const Buf kMedToLarge{
    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x0a,  // MULTI_EXIT_DISC 10
    0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0x64,  // LOCAL_PREF 100
    0xc0, 0x08, 0x04, 0xff, 0xdc, 0x00, 0x64,  // COMMUNITIES 65500:100
    0xc0, 0x20, 0x0c, 0x00, 0x00, 0xff, 0xdc, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
};

TEST(AdjRibOut, ByteExactIpv4UpdateWithAllAttributes) {
  AdjRibOut rib = up();
  rib.set_routes({{pfx("192.0.2.2/32"), all_attributes()}});
  UpdateMessages msgs = rib.flush();
  ASSERT_EQ(msgs.size(), 3u);  // the route, End-of-RIB IPv4, End-of-RIB IPv6
  Buf expected = cat({kMarker,
                      {0x00, 0x58, 0x02},  // length 88, UPDATE
                      {0x00, 0x00},        // no withdrawn routes
                      {0x00, 0x3c},        // 60 octets of attributes
                      kTail,
                      {0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x6f},  // NEXT_HOP 192.0.2.111
                      kMedToLarge,
                      {0x20, 0xc0, 0x00, 0x02, 0x02}});  // NLRI 192.0.2.2/32
  EXPECT_EQ(msgs[0], expected);
  EXPECT_EQ(msgs[1], encode_end_of_rib(kIpv4Unicast));
  EXPECT_EQ(msgs[2], encode_end_of_rib(kIpv6Unicast));
}

TEST(AdjRibOut, ByteExactIpv6UpdateWithAllAttributes) {
  AdjRibOut rib = up();
  rib.set_routes({{pfx("2001:db8:2222::1/128"), all_attributes()}});
  UpdateMessages msgs = rib.flush();
  ASSERT_EQ(msgs.size(), 3u);
  Buf expected = cat({kMarker,
                      {0x00, 0x85, 0x02},  // length 133, UPDATE
                      {0x00, 0x00},
                      {0x00, 0x6e},  // 110 octets of attributes
                      // MP_REACH_NLRI first (RFC 7606 §5.1): AFI 2, SAFI 1,
                      // next hop length 32 (global + link-local), Reserved.
                      {0x80, 0x0e, 0x36, 0x00, 0x02, 0x01, 0x20},
                      {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x11},
                      {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01},
                      {0x00},
                      {0x80, 0x20, 0x01, 0x0d, 0xb8, 0x22, 0x22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01},
                      kTail,
                      kMedToLarge});
  EXPECT_EQ(msgs[0], expected);
}

TEST(AdjRibOut, PacksIpv4PrefixesWithIdenticalAttributesIntoTheFewestMessages) {
  AdjRibOut rib = up();
  std::vector<Route> routes;
  std::set<platform::Prefix> want;
  for (std::uint32_t i = 0; i < 2000; ++i) {
    auto p = *platform::Prefix::make(
        platform::IpAddress::v4({10, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 1}), 32);
    routes.push_back({p, simple()});
    want.insert(p);
  }
  rib.set_routes(routes);
  UpdateMessages msgs = rib.flush();
  msgs.resize(msgs.size() - 2);  // End-of-RIB markers
  // 23 octets of UPDATE framing + 20 of attributes leave 4053 for 5-octet
  // prefixes: 810 per message, so ceil(2000 / 810) = 3 messages.
  std::size_t per_message = (4096 - 23 - 20) / 5;
  EXPECT_EQ(msgs.size(), (2000 + per_message - 1) / per_message);
  std::set<platform::Prefix> got;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_LE(msgs[i].size(), 4096u);
    if (i + 1 < msgs.size()) {
      EXPECT_GT(msgs[i].size() + 5, 4096u) << "message " << i << " not full";
    }
    DecodedUpdate d = decode_update(msgs[i]);
    EXPECT_EQ(d.summary.action, ErrorAction::none);
    EXPECT_EQ(d.update.attributes.next_hop, ip("192.0.2.111"));
    got.insert(d.update.nlri.begin(), d.update.nlri.end());
  }
  EXPECT_EQ(got, want);
}

TEST(AdjRibOut, PacksIpv6PrefixesIntoMpReachWithinTheMaximum) {
  AdjRibOut rib = up();
  std::vector<Route> routes;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    routes.push_back({*platform::Prefix::make(platform::IpAddress::v6(b), 128), simple()});
  }
  rib.set_routes(routes);
  UpdateMessages msgs = rib.flush();
  msgs.resize(msgs.size() - 2);
  // 23 framing + 13 ORIGIN/AS_PATH + 4 MP_REACH header + 21 AFI..Reserved:
  // 4035 octets for 17-octet prefixes, 237 per message.
  std::size_t per_message = (4096 - 23 - 13 - 4 - 21) / 17;
  EXPECT_EQ(msgs.size(), (1000 + per_message - 1) / per_message);
  std::size_t total = 0;
  for (const auto& m : msgs) {
    EXPECT_LE(m.size(), 4096u);
    DecodedUpdate d = decode_update(m);
    ASSERT_TRUE(d.update.attributes.mp_reach);
    EXPECT_EQ(d.update.attributes.mp_reach->next_hop, ip("2001:db8::111"));
    total += d.update.attributes.mp_reach->nlri.size();
  }
  EXPECT_EQ(total, 1000u);
}

TEST(AdjRibOut, AttributeChangeReannouncesOnlyThatRoute) {
  AdjRibOut rib = up();
  rib.set_routes({{pfx("192.0.2.2/32"), simple()}, {pfx("192.0.2.3/32"), simple()}});
  rib.flush();
  EXPECT_FALSE(rib.pending());
  RouteAttributes changed = simple();
  changed.med = 1000;
  rib.set_routes({{pfx("192.0.2.2/32"), changed}, {pfx("192.0.2.3/32"), simple()}});
  EXPECT_TRUE(rib.pending());
  auto d = decode_all(rib.flush());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].update.withdrawn.empty());
  EXPECT_EQ(d[0].update.nlri, std::vector<platform::Prefix>{pfx("192.0.2.2/32")});
  EXPECT_EQ(d[0].update.attributes.med, 1000u);
  EXPECT_EQ(rib.sent(pfx("192.0.2.2/32"))->med, 1000u);
  EXPECT_TRUE(rib.flush().empty());
}

TEST(AdjRibOut, WithdrawalsPerFamily) {
  AdjRibOut rib = up();
  rib.set_routes({{pfx("192.0.2.2/32"), simple()}, {pfx("2001:db8:2222::1/128"), simple()}});
  rib.flush();
  rib.withdraw(pfx("192.0.2.2/32"));
  rib.withdraw(pfx("2001:db8:2222::1/128"));
  UpdateMessages msgs = rib.flush();
  ASSERT_EQ(msgs.size(), 2u);
  // IPv4: the Withdrawn Routes field, no attributes.
  EXPECT_EQ(msgs[0], cat({kMarker, {0x00, 0x1c, 0x02, 0x00, 0x05, 0x20, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x00}}));
  // IPv6: MP_UNREACH_NLRI only (RFC 4760 §4).
  DecodedUpdate v6 = decode_update(msgs[1]);
  ASSERT_TRUE(v6.update.attributes.mp_unreach);
  EXPECT_EQ(v6.update.attributes.mp_unreach->withdrawn,
            std::vector<platform::Prefix>{pfx("2001:db8:2222::1/128")});
  EXPECT_FALSE(v6.update.attributes.origin);
  EXPECT_EQ(rib.sent_count(), 0u);
}

TEST(AdjRibOut, WithdrawalsAreBatched) {
  AdjRibOut rib = up();
  std::vector<Route> routes;
  for (std::uint32_t i = 0; i < 2000; ++i) {
    routes.push_back({*platform::Prefix::make(
                          platform::IpAddress::v4({10, 1, static_cast<std::uint8_t>(i >> 8),
                                                   static_cast<std::uint8_t>(i)}),
                          32),
                      simple()});
  }
  rib.set_routes(routes);
  rib.flush();
  rib.set_routes({});
  UpdateMessages msgs = rib.flush();
  std::size_t per_message = (4096 - 23) / 5;  // 814
  EXPECT_EQ(msgs.size(), (2000 + per_message - 1) / per_message);
  std::size_t total = 0;
  for (const auto& d : decode_all(msgs)) total += d.update.withdrawn.size();
  EXPECT_EQ(total, 2000u);
}

TEST(AdjRibOut, EndOfRibPerNegotiatedFamilyAfterTheInitialUpdateOnly) {
  AdjRibOut rib;
  Negotiated v4_only = both_families();
  v4_only.ipv6_unicast = false;
  rib.set_routes({{pfx("192.0.2.2/32"), simple()}, {pfx("2001:db8:2222::1/128"), simple()}});
  EXPECT_TRUE(rib.flush().empty());  // no session yet
  rib.session_up(v4_only);
  EXPECT_TRUE(rib.pending());
  UpdateMessages msgs = rib.flush();
  ASSERT_EQ(msgs.size(), 2u);  // the IPv4 route, End-of-RIB IPv4 (RFC 4724 §2)
  EXPECT_EQ(msgs[1], encode_end_of_rib(kIpv4Unicast));
  EXPECT_EQ(rib.unsendable(), 1u);  // the IPv6 route: family not negotiated
  EXPECT_TRUE(rib.flush().empty());

  AdjRibOut empty = up();
  EXPECT_EQ(empty.flush(), (UpdateMessages{encode_end_of_rib(kIpv4Unicast),
                                           encode_end_of_rib(kIpv6Unicast)}));
}

TEST(AdjRibOut, RouteRefreshResendsTheFamily) {
  AdjRibOut rib = up(/*enhanced=*/false);
  rib.set_routes({{pfx("192.0.2.2/32"), simple()}, {pfx("2001:db8:2222::1/128"), simple()}});
  rib.flush();
  auto d = decode_all(rib.refresh(kIpv4Unicast));
  ASSERT_EQ(d.size(), 1u);  // RFC 2918 §4: only the family asked for
  EXPECT_EQ(d[0].update.nlri, std::vector<platform::Prefix>{pfx("192.0.2.2/32")});
  EXPECT_TRUE(rib.refresh(AfiSafi{1, 128}).empty());
}

TEST(AdjRibOut, EnhancedRouteRefreshIsFramedByBorrAndEorr) {
  AdjRibOut rib = up(/*enhanced=*/true);
  rib.set_routes({{pfx("2001:db8:2222::1/128"), simple()}});
  rib.flush();
  UpdateMessages msgs = rib.refresh(kIpv6Unicast);
  ASSERT_EQ(msgs.size(), 3u);
  auto borr = decode_route_refresh(msgs[0], true);
  auto eorr = decode_route_refresh(msgs[2], true);
  ASSERT_TRUE(borr && eorr);
  EXPECT_EQ(*borr, (RouteRefresh{kIpv6Unicast, 1}));  // RFC 7313 §4
  EXPECT_EQ(*eorr, (RouteRefresh{kIpv6Unicast, 2}));
  EXPECT_EQ(decode_update(msgs[1]).update.attributes.mp_reach->nlri.size(), 1u);
}

TEST(AdjRibOut, SessionResetForgetsWhatWasSent) {
  AdjRibOut rib = up();
  rib.set_routes({{pfx("192.0.2.2/32"), simple()}, {pfx("192.0.2.3/32"), simple()}});
  rib.flush();
  rib.session_down();
  EXPECT_EQ(rib.sent_count(), 0u);
  EXPECT_TRUE(rib.flush().empty());
  rib.set_routes({{pfx("192.0.2.3/32"), simple()}, {pfx("192.0.2.4/32"), simple()}});
  rib.session_up(both_families());
  auto d = decode_all(rib.flush());
  ASSERT_EQ(d.size(), 3u);  // the current set in one UPDATE, two End-of-RIBs
  EXPECT_TRUE(d[0].update.withdrawn.empty());  // no replay of the old .2
  EXPECT_EQ(d[0].update.nlri,
            (std::vector<platform::Prefix>{pfx("192.0.2.3/32"), pfx("192.0.2.4/32")}));
}

TEST(AdjRibOut, DifferentAttributesGoInSeparateMessages) {
  AdjRibOut rib = up();
  RouteAttributes other = simple();
  other.communities = {0xFFFF0000};
  rib.set_routes({{pfx("192.0.2.2/32"), simple()},
                  {pfx("192.0.2.3/32"), other},
                  {pfx("192.0.2.4/32"), simple()}});
  auto d = decode_all(rib.flush());
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].update.nlri.size() + d[1].update.nlri.size(), 3u);
}

TEST(AdjRibOut, TwoOctetAsPeerGetsAsTrans) {
  AdjRibOut rib;
  Negotiated n = both_families();
  n.four_octet_as = false;
  rib.session_up(n);
  RouteAttributes a = simple();
  a.as_path = as_sequence({4200000001u});
  rib.set_routes({{pfx("192.0.2.2/32"), a}});
  UpdateMessages msgs = rib.flush();
  DecodedUpdate d = decode_update(msgs[0], UpdateOptions{.four_octet_as = false});
  EXPECT_EQ(d.update.attributes.as_path, as_sequence({kAsTrans}));  // RFC 6793 §4.2.2
}

TEST(AdjRibOut, RoutesWithoutANextHopOfTheirFamilyAreNotSent) {
  AdjRibOut rib = up();
  RouteAttributes a = simple();
  a.next_hop_v6.reset();
  rib.set_routes({{pfx("2001:db8:2222::1/128"), a}});
  UpdateMessages msgs = rib.flush();
  EXPECT_EQ(msgs.size(), 2u);  // End-of-RIBs only
  EXPECT_EQ(rib.unsendable(), 1u);
}

}  // namespace
}  // namespace fbf::bgp
