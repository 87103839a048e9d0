// Connection collision detection and resolution (RFC 4271 §6.8, RFC 6286
// §2.3): two connections to the same peer, one per direction.
#include <gtest/gtest.h>

#include "fsm_test_support.h"

namespace fbf::bgp {
namespace {

using namespace test;
using D = Direction;

// Both connections up and in OpenSent.
void both_connected(Harness& h) {
  h.start();
  h.connected(D::outbound);
  h.connected(D::inbound);
  ASSERT_NE(h.session.connection(D::outbound), nullptr);
  ASSERT_NE(h.session.connection(D::inbound), nullptr);
  EXPECT_EQ(h.session.state(), State::OpenSent);
  EXPECT_EQ(sent_types(h.last, D::inbound), std::vector<MessageType>{MessageType::open});
}

struct Case {
  std::uint32_t peer_id;
  D first_open;     // the connection whose OPEN arrives first
  D expected_loser;
};

class Collision : public ::testing::TestWithParam<Case> {};

TEST_P(Collision, HigherBgpIdentifierKeepsTheConnectionItInitiated) {
  const Case& k = GetParam();
  Harness h;
  both_connected(h);
  PeerSpec peer{.id = k.peer_id};
  h.bytes(k.first_open, peer_open(peer));
  EXPECT_EQ(h.session.connection(k.first_open)->state(), State::OpenConfirm);
  EXPECT_EQ(count<CollisionResolved>(h.last), 0u);  // the other one is only in OpenSent
  D second = other(k.first_open);
  h.bytes(second, peer_open(peer));
  auto resolved = all<CollisionResolved>(h.last);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].closed, k.expected_loser);
  EXPECT_EQ(resolved[0].local_bgp_identifier, kLocalId);
  EXPECT_EQ(resolved[0].remote_bgp_identifier, k.peer_id);
  // The loser gets Cease/Connection Collision Resolution (RFC 4486 subcode 7).
  auto n = sent_notification(h.last, k.expected_loser);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 6);
  EXPECT_EQ(n->subcode, 7);
  EXPECT_TRUE(disconnected(h.last, k.expected_loser));
  EXPECT_EQ(h.session.connection(k.expected_loser), nullptr);
  D winner = other(k.expected_loser);
  ASSERT_NE(h.session.connection(winner), nullptr);
  EXPECT_EQ(h.session.connection(winner)->state(), State::OpenConfirm);
  // Not a session failure: no Idle, no backoff, no restart.
  for (const auto& [from, to] : transitions(h.last)) EXPECT_NE(to, State::Idle);
  EXPECT_EQ(h.session.connect_retry_counter(), 0u);
  EXPECT_EQ(h.session.counters().collisions, 1u);
  // The winner goes on to Established.
  h.bytes(winner, encode_keepalive());
  EXPECT_EQ(h.session.state(), State::Established);
  EXPECT_EQ(h.session.established()->connection, winner);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4271Section6_8, Collision,
    ::testing::Values(
        // Local 192.0.2.111 > peer 10.0.0.1: keep ours (outbound), close inbound.
        Case{0x0A000001, D::outbound, D::inbound}, Case{0x0A000001, D::inbound, D::inbound},
        // Local < peer 203.0.113.9: keep the peer's (inbound), close outbound.
        Case{0xCB007109, D::outbound, D::outbound}, Case{0xCB007109, D::inbound, D::outbound}),
    [](const ::testing::TestParamInfo<Case>& p) {
      return std::string(p.param.peer_id < kLocalId ? "PeerIdLower" : "PeerIdHigher") +
             "_OpenFirstOn_" + std::string(to_string(p.param.first_open));
    });

TEST(CollisionRules, EqualIdentifiersKeepTheConnectionOfTheLargerAs) {
  // RFC 6286 §2.3 (eBGP): local AS 65500 > peer AS 64515 -> outbound wins.
  Harness h;
  both_connected(h);
  PeerSpec peer{.id = kLocalId};
  h.bytes(D::outbound, peer_open(peer));
  h.bytes(D::inbound, peer_open(peer));
  ASSERT_EQ(count<CollisionResolved>(h.last), 1u);
  EXPECT_EQ(all<CollisionResolved>(h.last)[0].closed, D::inbound);
}

TEST(CollisionRules, CollisionWithEstablishedClosesTheNewConnection) {
  // Our identifier is the lower one, yet the Established connection stays.
  Harness h;
  PeerSpec peer{.id = 0xCB007109};
  h.establish(D::outbound, peer);
  ASSERT_TRUE(h.session.accepts(D::inbound));
  h.connected(D::inbound);
  EXPECT_EQ(h.session.state(), State::Established);
  h.bytes(D::inbound, peer_open(peer));
  ASSERT_EQ(count<CollisionResolved>(h.last), 1u);
  EXPECT_EQ(all<CollisionResolved>(h.last)[0].closed, D::inbound);
  EXPECT_EQ(sent_notification(h.last, D::inbound)->subcode, 7);
  EXPECT_TRUE(transitions(h.last).empty());
  EXPECT_EQ(count<SessionDown>(h.last), 0u);
  EXPECT_EQ(h.session.state(), State::Established);
}

TEST(CollisionRules, ASecondConnectionOfTheSameDirectionIsRefused) {
  Harness h;
  h.start();
  h.connected(D::inbound);
  EXPECT_FALSE(h.session.accepts(D::inbound));
  h.connected(D::inbound);
  ASSERT_EQ(count<Refuse>(h.last), 1u);
  EXPECT_EQ(all<Refuse>(h.last)[0].connection, D::inbound);
  EXPECT_EQ(h.session.counters().connections_refused, 1u);
}

TEST(CollisionRules, PendingConnectIsAbortedOnceInboundIsEstablished) {
  Harness h;
  h.start();  // Connect: outbound attempt under way
  h.connected(D::inbound);
  h.bytes(D::inbound, peer_open());
  h.bytes(D::inbound, encode_keepalive());
  EXPECT_EQ(h.session.state(), State::Established);
  EXPECT_TRUE(disconnected(h.last, D::outbound));
  EXPECT_FALSE(h.session.accepts(D::outbound));
  // A late report of that connect is refused.
  h.connected(D::outbound);
  EXPECT_EQ(count<Refuse>(h.last), 1u);
}

TEST(CollisionRules, LosingTheOnlyOtherConnectionKeepsTheSessionAlive) {
  Harness h;
  both_connected(h);
  h.last = h.session.on_closed(h.now, D::inbound);  // peer closed its connection
  EXPECT_TRUE(transitions(h.last).empty());
  EXPECT_EQ(h.session.state(), State::OpenSent);
  h.bytes(D::outbound, peer_open());
  h.bytes(D::outbound, encode_keepalive());
  EXPECT_EQ(h.session.state(), State::Established);
}

TEST(CollisionRules, PeerClosingTheLoserWithCeaseDoesNotDropTheSession) {
  // The peer resolved the collision first and closed our outbound one.
  Harness h;
  both_connected(h);
  h.bytes(D::inbound, peer_open({.id = 0xCB007109}));
  h.bytes(D::outbound, encode_notification(make_cease(CeaseSubcode::connection_collision_resolution)));
  EXPECT_EQ(h.session.connection(D::outbound), nullptr);
  EXPECT_EQ(h.session.state(), State::OpenConfirm);
  for (const auto& [from, to] : transitions(h.last)) EXPECT_NE(to, State::Idle);
}

}  // namespace
}  // namespace fbf::bgp
