// RFC 5880 §6.8.6 drop rules that need the session (the codec's are in
// packet_test.cpp), RFC 5881 §5 TTL: one test each, counted per reason.
#include "bfd/session.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "bfd_test_support.h"

namespace fbf::bfd {
namespace {

using namespace test;

// A dropped packet changes nothing: no action, no state, no Detection Time.
void expect_dropped(Session& s, const Actions& a, RxDrop reason, std::uint64_t packets_in) {
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(s.counters().drop_count(reason), 1u) << to_string(reason);
  EXPECT_EQ(s.counters().packets_in, packets_in);
}

TEST(SessionDrop, YourDiscriminatorNotOurs) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  auto a = deliver(s, kT0, peer_packet(State::Down, /*your=*/kOurDiscr + 1));
  expect_dropped(s, a, RxDrop::your_discriminator_mismatch, 0);
  EXPECT_EQ(s.variables().RemoteDiscr, 0u);
}

TEST(SessionDrop, TtlBelow255OnASingleHopSession) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  auto a = deliver(s, kT0, peer_packet(State::Down), {}, /*ttl=*/254);
  expect_dropped(s, a, RxDrop::bad_ttl, 0);
  deliver(s, kT0, peer_packet(State::Down), {}, std::nullopt);  // unknown TTL: accepted
  EXPECT_EQ(s.counters().packets_in, 1u);
}

TEST(SessionDrop, MultihopTtlFloorIsConfigurable) {
  FixedRandom random;
  SessionConfig config = fast_config();
  config.min_rx_ttl = 250;  // RFC 5883
  Session s(config, random);
  s.start(kT0);
  deliver(s, kT0, peer_packet(State::Down), {}, 249);
  EXPECT_EQ(s.counters().drop_count(RxDrop::bad_ttl), 1u);
  deliver(s, kT0, peer_packet(State::Down), {}, 250);
  EXPECT_EQ(s.counters().packets_in, 1u);
}

TEST(SessionDrop, AuthBitSetButNoAuthenticationInUse) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  auto peer_auth = make_auth_config(AuthType::KeyedSha1, 1, std::vector<std::uint8_t>{'k'});
  ControlPacket p = peer_packet(State::Down);
  p.auth = make_auth_section(*peer_auth, 1);
  auto a = deliver(s, kT0, p, *peer_auth);
  expect_dropped(s, a, RxDrop::auth_unexpected, 0);
  EXPECT_EQ(s.counters().auth_failures, 1u);
}

TEST(SessionDrop, AuthBitClearButAuthenticationInUse) {
  FixedRandom random;
  SessionConfig config = fast_config();
  config.auth = *make_auth_config(AuthType::KeyedSha1, 1, std::vector<std::uint8_t>{'k'});
  Session s(config, random);
  s.start(kT0);
  auto a = deliver(s, kT0, peer_packet(State::Down));
  expect_dropped(s, a, RxDrop::auth_missing, 0);
}

TEST(SessionDrop, AuthenticationFailure) {
  FixedRandom random;
  SessionConfig config = fast_config();
  config.auth = *make_auth_config(AuthType::KeyedSha1, 1, std::vector<std::uint8_t>{'k'});
  Session s(config, random);
  s.start(kT0);
  auto wrong = *make_auth_config(AuthType::KeyedSha1, 1, std::vector<std::uint8_t>{'x'});
  ControlPacket p = peer_packet(State::Down);
  p.auth = make_auth_section(wrong, 1);
  auto a = deliver(s, kT0, p, wrong);
  expect_dropped(s, a, RxDrop::auth_digest_mismatch, 0);
  EXPECT_FALSE(s.variables().AuthSeqKnown);  // a forged packet moves nothing
}

TEST(SessionDrop, DiscardedInAdminDown) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  s.admin_down(kT0);
  auto a = deliver(s, kT0 + 1ms, peer_packet(State::Down));
  EXPECT_FALSE(first_of<StateChanged>(a));
  EXPECT_TRUE(all_of<Transmit>(a).empty());
  EXPECT_EQ(s.counters().drop_count(RxDrop::admin_down), 1u);
  EXPECT_EQ(s.counters().packets_in, 0u);
  EXPECT_EQ(s.variables().RemoteDiscr, kPeerDiscr);  // updated before the discard
}

TEST(SessionDrop, DroppedPacketsDoNotPostponeDetection) {
  FixedRandom random;
  Session s(fast_config(), random);
  const TimePoint t = bring_up(s, kT0);
  const auto deadline = s.detection_deadline();
  deliver(s, t + 100ms, peer_packet(State::Up), {}, /*ttl=*/1);
  EXPECT_EQ(s.detection_deadline(), deadline);
}

TEST(SessionDrop, EveryReasonHasADistinctLabel) {
  std::set<std::string_view> labels;
  for (std::size_t i = 0; i < kRxDropCount; ++i) {
    labels.insert(to_string(static_cast<RxDrop>(i)));
  }
  EXPECT_EQ(labels.size(), kRxDropCount);
  EXPECT_FALSE(labels.contains("unknown"));
}

}  // namespace
}  // namespace fbf::bfd
