// The session table: discriminators, demultiplexing (RFC 5880 §6.3, §6.8.6;
// RFC 5881 §3) and drop counting before a session is found.
#include "bfd/engine.h"

#include <gtest/gtest.h>

#include <set>

#include "bfd_test_support.h"

namespace fbf::bfd {
namespace {

using namespace test;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

SessionSpec spec(const char* peer, const char* local = nullptr, bool multihop = false) {
  SessionSpec s;
  s.name = peer;
  s.key.peer = ip(peer);
  if (local) s.key.local = ip(local);
  s.key.multihop = multihop;
  s.timers = {100'000, 100'000, 3};
  return s;
}

RxPath from(const char* source, const char* destination = "192.0.2.2", bool multihop = false) {
  return RxPath{ip(source), ip(destination), 7, multihop, std::uint8_t{255}};
}

PacketBuffer wire(const ControlPacket& p) { return *encode(p); }

class EngineTest : public ::testing::Test {
 protected:
  SeededRandom random_{42};
  Engine engine_{random_};
};

TEST_F(EngineTest, AllocatesUniqueNonzeroDiscriminators) {
  std::set<SessionId> seen;
  for (int i = 0; i < 200; ++i) {
    std::string peer = "198.51.100." + std::to_string(i);
    auto id = engine_.add(spec(peer.c_str()));
    ASSERT_TRUE(id);
    EXPECT_NE(*id, 0u);
    EXPECT_TRUE(seen.insert(*id).second);
    EXPECT_EQ(engine_.find(*id)->variables().LocalDiscr, *id);
  }
}

TEST_F(EngineTest, RefusesADuplicateSession) {
  ASSERT_TRUE(engine_.add(spec("192.0.2.1", "192.0.2.2")));
  auto again = engine_.add(spec("192.0.2.1", "192.0.2.2"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().find("already exists"), std::string::npos);
  // Same peer, multihop instead: a different session.
  EXPECT_TRUE(engine_.add(spec("192.0.2.1", "192.0.2.2", true)));
}

TEST_F(EngineTest, ZeroYourDiscriminatorSelectsByAddresses) {
  auto a = *engine_.add(spec("192.0.2.1", "192.0.2.2"));
  auto b = *engine_.add(spec("192.0.2.9", "192.0.2.2"));
  engine_.find(a)->start(kT0);
  engine_.find(b)->start(kT0);
  auto w = wire(peer_packet(State::Down, 0));
  auto got = engine_.receive(kT0, w.bytes(), from("192.0.2.9"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, b);
  EXPECT_EQ(engine_.find(b)->variables().RemoteDiscr, kPeerDiscr);
  EXPECT_EQ(engine_.find(a)->variables().RemoteDiscr, 0u);
}

TEST_F(EngineTest, DeliveryCarriesTheOwnersDataOfTheSelectedSession) {
  // The adapter finds its socket and timers through this, not a second table.
  auto a = *engine_.add(spec("192.0.2.1", "192.0.2.2"));
  auto b = *engine_.add(spec("192.0.2.9", "192.0.2.2"));
  int link_a = 0, link_b = 0;
  engine_.set_owner_data(a, &link_a);
  engine_.set_owner_data(b, &link_b);
  engine_.find(a)->start(kT0);
  engine_.find(b)->start(kT0);
  auto by_discr = engine_.receive(kT0, wire(peer_packet(State::Down, b)).bytes(), from("192.0.2.9"));
  ASSERT_TRUE(by_discr);
  EXPECT_EQ(by_discr->owner_data, &link_b);
  auto by_address = engine_.receive(kT0, wire(peer_packet(State::Down, 0)).bytes(), from("192.0.2.1"));
  ASSERT_TRUE(by_address);
  EXPECT_EQ(by_address->owner_data, &link_a);
  auto c = *engine_.add(spec("192.0.2.5", "192.0.2.2"));
  engine_.find(c)->start(kT0);
  auto unset = engine_.receive(kT0, wire(peer_packet(State::Down, c)).bytes(), from("192.0.2.5"));
  ASSERT_TRUE(unset);
  EXPECT_EQ(unset->owner_data, nullptr);
}

TEST_F(EngineTest, NonzeroYourDiscriminatorSelectsTheSession) {
  auto a = *engine_.add(spec("192.0.2.1", "192.0.2.2"));
  engine_.find(a)->start(kT0);
  auto w = wire(peer_packet(State::Init, a));
  auto got = engine_.receive(kT0, w.bytes(), from("192.0.2.1"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, a);
  EXPECT_EQ(engine_.find(a)->variables().SessionState, State::Up);
}

TEST_F(EngineTest, UnknownDiscriminatorIsCountedNotDelivered) {
  auto a = *engine_.add(spec("192.0.2.1"));
  engine_.find(a)->start(kT0);
  auto w = wire(peer_packet(State::Init, a + 1));
  EXPECT_FALSE(engine_.receive(kT0, w.bytes(), from("192.0.2.1")));
  EXPECT_EQ(engine_.counters().no_session, 1u);
}

TEST_F(EngineTest, KnownDiscriminatorFromAnotherAddressIsRefused) {
  auto a = *engine_.add(spec("192.0.2.1", "192.0.2.2"));
  engine_.find(a)->start(kT0);
  auto w = wire(peer_packet(State::Init, a));
  EXPECT_FALSE(engine_.receive(kT0, w.bytes(), from("203.0.113.66")));
  // Right source, wrong local address.
  EXPECT_FALSE(engine_.receive(kT0, w.bytes(), from("192.0.2.1", "192.0.2.3")));
  // Right addresses but the multihop port.
  EXPECT_FALSE(engine_.receive(kT0, w.bytes(), from("192.0.2.1", "192.0.2.2", true)));
  EXPECT_EQ(engine_.counters().address_mismatch, 3u);
  EXPECT_EQ(engine_.find(a)->variables().SessionState, State::Down);
}

TEST_F(EngineTest, InterfaceBindsSingleHopSessions) {
  auto s = spec("192.0.2.1");
  s.key.ifindex = 3;
  auto a = *engine_.add(s);
  engine_.find(a)->start(kT0);
  auto w = wire(peer_packet(State::Down, 0));
  RxPath wrong_if = from("192.0.2.1");
  wrong_if.ifindex = 4;
  EXPECT_FALSE(engine_.receive(kT0, w.bytes(), wrong_if));
  RxPath right_if = from("192.0.2.1");
  right_if.ifindex = 3;
  EXPECT_TRUE(engine_.receive(kT0, w.bytes(), right_if));
}

// The agent binds an auto-bound single-hop session (a [[neighbor]]'s) to the
// interface of the connected prefix after creating it, and again when that
// changes: the state survives, and from then on only that interface counts.
TEST_F(EngineTest, SetIfindexBindsInPlaceWithoutTouchingTheState) {
  auto a = *engine_.add(spec("192.0.2.1"));
  engine_.find(a)->start(kT0);
  RxPath if3 = from("192.0.2.1");
  if3.ifindex = 3;
  RxPath if4 = from("192.0.2.1");
  if4.ifindex = 4;
  // Unbound: any interface will do; the session comes Up over ifindex 3.
  ASSERT_TRUE(engine_.receive(kT0, wire(peer_packet(State::Init, a)).bytes(), if3));
  ASSERT_EQ(engine_.find(a)->variables().SessionState, State::Up);

  ASSERT_TRUE(engine_.set_ifindex(a, 3));
  EXPECT_EQ(engine_.spec(a)->key.ifindex, 3u);
  EXPECT_EQ(engine_.find(a)->variables().SessionState, State::Up);
  EXPECT_EQ(engine_.find(a)->counters().flaps, 0u);
  EXPECT_EQ(engine_.find(PeerKey{ip("192.0.2.1"), std::nullopt, 3, false}), a);
  EXPECT_FALSE(engine_.find(PeerKey{ip("192.0.2.1"), std::nullopt, 0, false}));

  // The peer's address from another link, TTL 255, State Down: both ways of
  // demultiplexing refuse it, and the session stays Up.
  const auto before = engine_.counters();
  EXPECT_FALSE(engine_.receive(kT0, wire(peer_packet(State::Down, a)).bytes(), if4));
  EXPECT_FALSE(engine_.receive(kT0, wire(peer_packet(State::Down, 0)).bytes(), if4));
  EXPECT_EQ(engine_.counters().address_mismatch, before.address_mismatch + 1);
  EXPECT_EQ(engine_.counters().no_session, before.no_session + 1);
  EXPECT_EQ(engine_.find(a)->variables().SessionState, State::Up);
  // The right link still works.
  EXPECT_TRUE(engine_.receive(kT0, wire(peer_packet(State::Up, a)).bytes(), if3));
  EXPECT_EQ(engine_.find(a)->variables().SessionState, State::Up);

  // Moved to ifindex 4: now 3 is the wrong one.
  ASSERT_TRUE(engine_.set_ifindex(a, 4));
  EXPECT_FALSE(engine_.receive(kT0, wire(peer_packet(State::Down, a)).bytes(), if3));
  EXPECT_TRUE(engine_.receive(kT0, wire(peer_packet(State::Up, a)).bytes(), if4));
  EXPECT_EQ(engine_.find(a)->variables().SessionState, State::Up);
  EXPECT_EQ(engine_.find(a)->counters().flaps, 0u);
}

TEST_F(EngineTest, SetIfindexRefusesAKeyAnotherSessionHolds) {
  auto bound = spec("192.0.2.1");
  bound.key.ifindex = 3;
  auto a = *engine_.add(bound);
  auto b = *engine_.add(spec("192.0.2.1"));  // same peer, unbound
  EXPECT_FALSE(engine_.set_ifindex(b, 3));
  EXPECT_EQ(engine_.spec(b)->key.ifindex, 0u);
  EXPECT_TRUE(engine_.set_ifindex(b, 5));
  EXPECT_EQ(engine_.spec(a)->key.ifindex, 3u);
  // Multihop sessions have no interface; unknown ids are refused.
  auto m = *engine_.add(spec("192.0.2.9", "192.0.2.2", true));
  EXPECT_FALSE(engine_.set_ifindex(m, 3));
  EXPECT_EQ(engine_.spec(m)->key.ifindex, 0u);
  EXPECT_FALSE(engine_.set_ifindex(12345, 3));
}

TEST_F(EngineTest, DecodeErrorsAreCountedByReason) {
  auto w = wire(peer_packet(State::Down, 0));
  std::array<std::uint8_t, kMaxPacketLength> bad{};
  std::copy(w.bytes().begin(), w.bytes().end(), bad.begin());
  bad[0] = static_cast<std::uint8_t>((2 << 5) | (bad[0] & 0x1f));  // version 2
  EXPECT_FALSE(engine_.receive(kT0, std::span(bad.data(), w.bytes().size()), from("192.0.2.1")));
  EXPECT_FALSE(engine_.receive(kT0, w.bytes().first(3), from("192.0.2.1")));
  const auto& c = engine_.counters();
  EXPECT_EQ(c.datagrams, 2u);
  EXPECT_EQ(c.decode_errors[static_cast<std::size_t>(DecodeError::bad_version)], 1u);
  EXPECT_EQ(c.decode_errors[static_cast<std::size_t>(DecodeError::truncated)], 1u);
}

TEST_F(EngineTest, SingleHopTtlBelow255IsDroppedBySession) {
  auto a = *engine_.add(spec("192.0.2.1", "192.0.2.2"));
  engine_.find(a)->start(kT0);
  auto w = wire(peer_packet(State::Down, 0));
  RxPath p = from("192.0.2.1");
  p.ttl = 254;
  auto got = engine_.receive(kT0, w.bytes(), p);
  ASSERT_TRUE(got);  // demultiplexed, then the session drops it
  EXPECT_EQ(engine_.find(a)->counters().drop_count(RxDrop::bad_ttl), 1u);
  EXPECT_EQ(engine_.find(a)->variables().RemoteDiscr, 0u);
}

TEST_F(EngineTest, RemoveForgetsTheSession) {
  auto a = *engine_.add(spec("192.0.2.1"));
  engine_.remove(a);
  EXPECT_EQ(engine_.find(a), nullptr);
  EXPECT_FALSE(engine_.find(PeerKey{ip("192.0.2.1")}));
  auto w = wire(peer_packet(State::Down, 0));
  EXPECT_FALSE(engine_.receive(kT0, w.bytes(), from("192.0.2.1")));
  EXPECT_TRUE(engine_.add(spec("192.0.2.1")));  // the key is free again
}

// Regression: a reload changed the session's intervals but left the spec
// (what `show bfd` prints and the next reload diffs against) at the old ones,
// so reloading back to the old intervals was a no-op.
TEST_F(EngineTest, SetTimersUpdatesTheSpecWithTheSession) {
  auto id = *engine_.add(spec("192.0.2.1"));
  const TimerSettings slower{300'000, 200'000, 5};
  engine_.set_timers(id, kT0, slower);
  EXPECT_EQ(engine_.spec(id)->timers.desired_min_tx_interval, 300'000u);
  EXPECT_EQ(engine_.spec(id)->timers.required_min_rx_interval, 200'000u);
  EXPECT_EQ(engine_.spec(id)->timers.detect_mult, 5);
  EXPECT_EQ(engine_.find(id)->variables().DetectMult, 5);
  EXPECT_TRUE(engine_.set_timers(id + 1, kT0, slower).empty());  // unknown id: nothing
}

TEST_F(EngineTest, IdsAreSortedByName) {
  auto s1 = spec("192.0.2.1");
  s1.name = "zulu";
  auto s2 = spec("192.0.2.2");
  s2.name = "alpha";
  auto z = *engine_.add(s1);
  auto a = *engine_.add(s2);
  EXPECT_EQ(engine_.ids(), (std::vector<SessionId>{a, z}));
}

}  // namespace
}  // namespace fbf::bfd
