// Announced-route attributes from the CONFIG.md rules, and the session and
// Adj-RIB-Out working together.
#include "bgp/route_policy.h"

#include <gtest/gtest.h>

#include "bgp/update.h"
#include "fsm_test_support.h"

namespace fbf::bgp {
namespace {

using namespace test;

platform::IpAddress ip(const char* t) { return *platform::IpAddress::parse(t); }

NeighborContext ebgp_v4_session() {
  NeighborContext n;
  n.local_as = 65500;
  n.local_address = ip("192.0.2.111");
  n.local_ipv6 = ip("2001:db8::111");
  n.link_local_ipv6 = ip("fe80::111");
  return n;
}

TEST(RoutePolicy, EbgpPathIsLocalAsOncePlusPrepends) {
  ServiceAttributes s;
  s.as_path_prepend = 2;
  RouteAttributes a = make_route_attributes(s, ebgp_v4_session());
  EXPECT_EQ(a.origin, Origin::igp);
  EXPECT_EQ(a.as_path, as_sequence({65500, 65500, 65500}));
  EXPECT_FALSE(a.local_pref);  // LOCAL_PREF only to iBGP
  EXPECT_FALSE(a.med);         // MED only when set
}

TEST(RoutePolicy, IbgpHasAnEmptyPathAndLocalPref) {
  NeighborContext n = ebgp_v4_session();
  n.ibgp = true;
  ServiceAttributes s;
  s.as_path_prepend = 3;
  s.med = 5;
  RouteAttributes a = make_route_attributes(s, n);
  EXPECT_TRUE(a.as_path.empty());
  EXPECT_EQ(a.local_pref, kDefaultLocalPref);
  EXPECT_EQ(a.med, 5u);
  s.local_pref = 200;
  EXPECT_EQ(make_route_attributes(s, n).local_pref, 200u);
}

TEST(RoutePolicy, NextHopSelfUsesTheSessionAddressAndLinkLocal) {
  RouteAttributes a = make_route_attributes({}, ebgp_v4_session());
  EXPECT_EQ(a.next_hop, ip("192.0.2.111"));
  EXPECT_EQ(a.next_hop_v6, ip("2001:db8::111"));
  EXPECT_EQ(a.link_local_next_hop, ip("fe80::111"));

  NeighborContext v6 = ebgp_v4_session();
  v6.local_address = ip("2001:db8:1::5");
  v6.local_ipv4.reset();
  RouteAttributes b = make_route_attributes({}, v6);
  EXPECT_EQ(b.next_hop_v6, ip("2001:db8:1::5"));
  EXPECT_FALSE(b.next_hop);  // no IPv4 address of ours known: IPv4 routes not sent
}

TEST(RoutePolicy, ExplicitNextHopServesItsFamilyOnly) {
  NeighborContext n = ebgp_v4_session();
  n.next_hop = ip("198.51.100.7");
  RouteAttributes a = make_route_attributes({}, n);
  EXPECT_EQ(a.next_hop, ip("198.51.100.7"));
  EXPECT_FALSE(a.next_hop_v6);
  EXPECT_FALSE(a.link_local_next_hop);
}

TEST(RoutePolicy, CommunitiesAsConfigured) {
  ServiceAttributes s;
  s.communities = {0xFFDC0064};
  s.large_communities = {{65500, 1, 1}};
  RouteAttributes a = make_route_attributes(s, ebgp_v4_session());
  EXPECT_EQ(a.communities, s.communities);
  EXPECT_EQ(a.large_communities, s.large_communities);
}

TEST(RoutePolicy, GracefulShutdownAddsTheCommunityAndLowersPreference) {
  NeighborContext n = ebgp_v4_session();
  RouteAttributes a = make_route_attributes({}, n);
  apply_graceful_shutdown(a, n, false);
  EXPECT_EQ(a.communities, std::vector<std::uint32_t>{community::graceful_shutdown});
  EXPECT_FALSE(a.med);
  apply_graceful_shutdown(a, n, true);
  EXPECT_EQ(a.communities.size(), 1u);
  EXPECT_EQ(a.med, 0xffffffffu);
  EXPECT_EQ(a.as_path, as_sequence({65500, 65500, 65500, 65500}));
  n.ibgp = true;
  RouteAttributes i = make_route_attributes({}, n);
  apply_graceful_shutdown(i, n, true);
  EXPECT_EQ(i.local_pref, 0u);
  EXPECT_TRUE(i.as_path.empty());
}

TEST(SessionWithAdjRibOut, InitialAnnouncementGoesOutOnTheEstablishedConnection) {
  Harness h;
  h.establish(Direction::inbound);
  auto up = all<SessionEstablished>(h.last);
  ASSERT_EQ(up.size(), 1u);
  AdjRibOut rib;
  NeighborContext n = ebgp_v4_session();
  rib.set_routes(make_routes(std::vector<platform::Prefix>{*platform::Prefix::parse("192.0.2.2/32")},
                             make_route_attributes({}, n)));
  rib.session_up(up[0].info.negotiated);
  UpdateMessages msgs = rib.flush();
  h.last = h.session.send_updates(h.now, msgs);
  auto out = sent(h.last, Direction::inbound);
  ASSERT_EQ(out, msgs);  // one Send with all three messages back to back
  EXPECT_EQ(count<Send>(h.last), 1u);
  EXPECT_EQ(h.session.counters().updates_out(), 3u);
  // Not Established: nothing is sent.
  h.last = h.session.stop(h.now);
  EXPECT_TRUE(h.session.send_updates(h.now, msgs).empty());
}

}  // namespace
}  // namespace fbf::bgp
