// The Established receive path: UPDATEs counted with summarize_update and
// the RFC 7606 actions, ROUTE-REFRESH requests, and a full-table stream fed
// in chunks of arbitrary sizes.
#include <gtest/gtest.h>

#include <algorithm>

#include "bgp/update.h"
#include "bgp_test_util.h"
#include "fsm_test_support.h"

namespace fbf::bgp {
namespace {

using namespace test;
using D = Direction;

platform::Prefix pfx(const char* text) { return *platform::Prefix::parse(text); }

TEST(SessionReceive, UpdateIsCounted) {
  Harness h;
  h.establish();
  h.bytes(D::outbound, update({}, mandatory(), kNlri));
  EXPECT_TRUE(h.last.empty());
  EXPECT_EQ(h.session.counters().ipv4.announced, 1u);
  EXPECT_EQ(h.session.counters().updates_in(), 1u);
}

TEST(SessionReceive, TreatAsWithdrawKeepsTheSession) {
  Harness h;
  h.establish();
  // ORIGIN 5 is undefined: RFC 7606 §7.1 treat-as-withdraw.
  Buf msg = update({}, cat({attr(0x40, 1, {5}), kAsPath, kNextHop}), kNlri);
  ASSERT_EQ(summarize_update(msg).action, ErrorAction::treat_as_withdraw);
  h.bytes(D::outbound, msg);
  EXPECT_TRUE(h.last.empty());
  EXPECT_EQ(h.session.state(), State::Established);
  const SessionCounters& c = h.session.counters();
  EXPECT_EQ(c.treat_as_withdraw, 1u);
  EXPECT_EQ(c.ipv4.announced, 0u);
  EXPECT_EQ(c.ipv4.withdrawn, 1u);
  EXPECT_NE(c.last_update_error.find("ORIGIN"), std::string::npos);
}

TEST(SessionReceive, SessionResetSendsTheCodecsNotification) {
  Harness h;
  h.establish();
  Buf msg = update({}, mandatory(), {33, 198, 51, 100, 1, 2});  // prefix length 33
  UpdateSummary s = summarize_update(msg);
  ASSERT_EQ(s.action, ErrorAction::session_reset);
  h.bytes(D::outbound, msg);
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, to_notification(*s.error));
  EXPECT_EQ(n->code, 3);
  EXPECT_TRUE(disconnected(h.last, D::outbound));
  auto changes = all<StateChanged>(h.last);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes[0].reason.event, Event::UpdateMsgErr);
  EXPECT_EQ(count<SessionDown>(h.last), 1u);
}

TEST(SessionReceive, AfiSafiDisableStopsCountingTheFamily) {
  Harness h;
  h.establish();
  // MP_REACH_NLRI IPv6 unicast with a 5-octet next hop: RFC 7606 §7.11.
  Buf bad_reach = attr(0x80, 14, {0, 2, 1, 5, 1, 2, 3, 4, 5, 0, 128, 0x20, 0x01, 0x0d, 0xb8, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  Buf msg = update({}, cat({bad_reach, kOriginIgp, kAsPath}), {});
  ASSERT_EQ(summarize_update(msg).action, ErrorAction::afisafi_disable);
  h.bytes(D::outbound, msg);
  h.bytes(D::outbound, msg);
  auto disabled = all<FamilyDisabled>(h.last);
  EXPECT_TRUE(disabled.empty());  // reported once, by the first message
  EXPECT_EQ(h.session.counters().afisafi_disable, 2u);
  EXPECT_TRUE(h.session.counters().ipv6.disabled);
  EXPECT_EQ(h.session.state(), State::Established);

  Harness once;
  once.establish();
  once.bytes(D::outbound, msg);
  disabled = all<FamilyDisabled>(once.last);
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0].family, kIpv6Unicast);
  // Later IPv6 announcements are ignored; IPv4 still counted.
  Update v6;
  v6.attributes.origin = Origin::igp;
  v6.attributes.as_path = as_sequence({kPeerAs});
  v6.attributes.mp_reach = MpReach{kIpv6Unicast, *platform::IpAddress::parse("2001:db8::1"),
                                   std::nullopt, {pfx("2001:db8:1::/48")}};
  once.bytes(D::outbound, *encode_update(v6));
  once.bytes(D::outbound, update({}, mandatory(), kNlri));
  EXPECT_EQ(once.session.counters().ipv6.announced, 0u);
  EXPECT_EQ(once.session.counters().ipv4.announced, 1u);
}

TEST(SessionReceive, EndOfRibIsCountedPerFamily) {
  Harness h;
  h.establish();
  Buf both = cat({encode_end_of_rib(kIpv4Unicast), encode_end_of_rib(kIpv6Unicast)});
  h.bytes(D::outbound, both);
  EXPECT_EQ(h.session.counters().ipv4.end_of_rib, 1u);
  EXPECT_EQ(h.session.counters().ipv6.end_of_rib, 1u);
}

TEST(SessionReceive, RouteRefreshRequestIsReportedOncePerFamilyAndCall) {
  Harness h;
  h.establish();
  Buf v4 = encode_route_refresh(RouteRefresh{kIpv4Unicast, 0});
  Buf v6 = encode_route_refresh(RouteRefresh{kIpv6Unicast, 0});
  h.bytes(D::outbound, cat({v4, v4, v6}));
  auto rr = all<RouteRefreshRequested>(h.last);
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_EQ(rr[0].family, kIpv4Unicast);
  EXPECT_EQ(rr[1].family, kIpv6Unicast);
  EXPECT_EQ(h.session.counters().ipv4.refresh_requests, 2u);
  // A family not negotiated (RFC 2918 §4) and the peer's BoRR (RFC 7313 §4)
  // are ignored.
  h.bytes(D::outbound, cat({encode_route_refresh(RouteRefresh{AfiSafi{1, 128}, 0}),
                            encode_route_refresh(RouteRefresh{kIpv4Unicast, 1})}));
  EXPECT_TRUE(h.last.empty());
  EXPECT_EQ(h.session.counters().route_refresh_ignored, 2u);
}

TEST(SessionReceive, MessagesSplitAcrossReadsAreReassembled) {
  Harness h;
  h.start();
  h.connected();
  Buf stream = cat({peer_open(), encode_keepalive(), update({}, mandatory(), kNlri)});
  // One octet at a time: headers and bodies split everywhere.
  Actions all_actions;
  for (std::uint8_t b : stream) {
    Actions a = h.session.on_bytes(h.now, D::outbound, Bytes(&b, 1));
    all_actions.append(std::move(a));
  }
  EXPECT_EQ(h.session.state(), State::Established);
  EXPECT_EQ(count<SessionEstablished>(all_actions), 1u);
  EXPECT_EQ(h.session.counters().ipv4.announced, 1u);
}

TEST(SessionReceive, OpenKeepaliveAndUpdatesInOneRead) {
  Harness h;
  h.start();
  h.connected();
  h.bytes(D::outbound, cat({peer_open(), encode_keepalive(), update({}, mandatory(), kNlri)}));
  EXPECT_EQ(transitions(h.last),
            (std::vector<std::pair<State, State>>{{State::OpenSent, State::OpenConfirm},
                                                  {State::OpenConfirm, State::Established}}));
  EXPECT_EQ(h.session.counters().ipv4.announced, 1u);
}

// A full table: tens of thousands of UPDATEs (IPv4 NLRI, IPv6 MP_REACH,
// withdrawals of both) fed in chunks of arbitrary sizes.
TEST(SessionReceive, FullTableStreamInArbitraryChunks) {
  Harness h;
  h.establish();
  Buf stream;
  std::uint64_t v4_announced = 0, v6_announced = 0, v4_withdrawn = 0, v6_withdrawn = 0;
  std::uint64_t messages = 0;
  PathAttributes v4_attrs;
  v4_attrs.origin = Origin::igp;
  v4_attrs.as_path = as_sequence({kPeerAs, 3356, 15169});
  v4_attrs.next_hop = platform::IpAddress::parse("198.51.100.1");
  for (std::uint32_t i = 0; i < 12000; ++i) {
    Update u;
    std::uint32_t n = 1 + i % 7;
    std::vector<platform::Prefix> prefixes;
    for (std::uint32_t k = 0; k < n; ++k) {
      std::uint32_t net = (i * 8 + k) << 8;
      auto a = platform::IpAddress::v4({static_cast<std::uint8_t>(1 + (net >> 24) % 200),
                                        static_cast<std::uint8_t>(net >> 16),
                                        static_cast<std::uint8_t>(net >> 8), 0});
      prefixes.push_back(*platform::Prefix::make(a, 24));
    }
    switch (i % 4) {
      case 0:
      case 1:
        u.attributes = v4_attrs;
        u.nlri = prefixes;
        v4_announced += n;
        break;
      case 2: {
        u.attributes.origin = Origin::igp;
        u.attributes.as_path = as_sequence({kPeerAs, 6939});
        std::vector<platform::Prefix> v6;
        for (std::uint32_t k = 0; k < n; ++k) {
          std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8, static_cast<std::uint8_t>(i >> 8),
                                         static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(k)};
          v6.push_back(*platform::Prefix::make(platform::IpAddress::v6(b), 56));
        }
        u.attributes.mp_reach = MpReach{kIpv6Unicast, *platform::IpAddress::parse("2001:db8::1"),
                                        std::nullopt, v6};
        v6_announced += n;
        break;
      }
      default:
        if (i % 8 == 3) {
          u.withdrawn = prefixes;
          v4_withdrawn += n;
        } else {
          std::vector<platform::Prefix> v6{pfx("2001:db8:ffff::/48")};
          u.attributes.mp_unreach = MpUnreach{kIpv6Unicast, v6};
          v6_withdrawn += 1;
        }
        break;
    }
    auto bytes = encode_update(u);
    ASSERT_TRUE(bytes);
    stream.insert(stream.end(), bytes->begin(), bytes->end());
    ++messages;
  }
  FakeRandom sizes;
  std::size_t at = 0;
  std::size_t actions = 0;
  while (at < stream.size()) {
    std::uint32_t r = sizes.next_u32();
    std::size_t n = r % 5 == 0 ? 1 + r % 18 : 1 + r % 9000;  // often inside a header
    n = std::min(n, stream.size() - at);
    actions += h.session.on_bytes(h.now, D::outbound, Bytes(stream).subspan(at, n)).size();
    at += n;
  }
  EXPECT_EQ(actions, 0u);  // no timer or other action per message
  const SessionCounters& c = h.session.counters();
  EXPECT_EQ(c.updates_in(), messages);
  EXPECT_EQ(c.ipv4.announced, v4_announced);
  EXPECT_EQ(c.ipv6.announced, v6_announced);
  EXPECT_EQ(c.ipv4.withdrawn, v4_withdrawn);
  EXPECT_EQ(c.ipv6.withdrawn, v6_withdrawn);
  EXPECT_EQ(c.treat_as_withdraw + c.afisafi_disable + c.attributes_discarded, 0u);
  EXPECT_EQ(h.session.state(), State::Established);
}

}  // namespace
}  // namespace fbf::bgp
