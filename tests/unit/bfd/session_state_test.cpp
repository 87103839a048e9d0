// RFC 5880 §6.2/§6.8.6 session states with a fake clock: the three-way
// handshake from both sides, detection, AdminDown both ways, the passive role.
#include "bfd/session.h"

#include <gtest/gtest.h>

#include "bfd_test_support.h"

namespace fbf::bfd {
namespace {

using namespace test;

TEST(SessionInit, StateVariablesStartAsSection6_8_1Says) {
  FixedRandom random(0xdeadbeef);
  Session s(fast_config(), random);
  const auto& v = s.variables();
  EXPECT_EQ(v.SessionState, State::Down);
  EXPECT_EQ(v.RemoteSessionState, State::Down);
  EXPECT_EQ(v.LocalDiscr, kOurDiscr);
  EXPECT_EQ(v.RemoteDiscr, 0u);
  EXPECT_EQ(v.LocalDiag, Diag::None);
  EXPECT_EQ(v.DesiredMinTxInterval, 1'000'000u);  // >= 1 s while not Up (§6.8.3)
  EXPECT_EQ(v.RequiredMinRxInterval, 100'000u);
  EXPECT_EQ(v.RemoteMinRxInterval, 1u);
  EXPECT_FALSE(v.DemandMode);
  EXPECT_FALSE(v.RemoteDemandMode);
  EXPECT_EQ(v.DetectMult, 3);
  EXPECT_EQ(v.AuthType, AuthType::None);
  EXPECT_EQ(v.XmitAuthSeq, 0xdeadbeefu);  // random (injected)
  EXPECT_FALSE(v.AuthSeqKnown);
}

TEST(SessionHandshake, WeStartFirst) {
  FixedRandom random;
  Session s(fast_config(), random);
  auto a = s.start(kT0);
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Down);
  EXPECT_EQ(tx->packet.my_discriminator, kOurDiscr);
  EXPECT_EQ(tx->packet.your_discriminator, 0u);
  EXPECT_EQ(tx->packet.desired_min_tx_interval, 1'000'000u);
  EXPECT_EQ(tx->packet.required_min_rx_interval, 100'000u);
  EXPECT_EQ(tx->packet.detect_mult, 3);
  EXPECT_TRUE(tx->packet.poll);  // the peer answers at once, not on its slow timer
  EXPECT_TRUE(in_transmit_window(armed(a, TimerKind::Transmit), kT0, 1s));  // slow rate

  // The peer answers Down, reflecting our discriminator: Down -> Init.
  a = deliver(s, kT0 + 10ms, peer_packet(State::Down));
  auto change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::Down);
  EXPECT_EQ(change->to, State::Init);
  tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Init);
  EXPECT_EQ(tx->packet.your_discriminator, kPeerDiscr);
  EXPECT_TRUE(tx->packet.poll);
  EXPECT_EQ(armed(a, TimerKind::Detect), kT0 + 10ms + 300ms);

  // The peer reports Init (or Up): Init -> Up, and the fast interval is
  // announced in a Poll Sequence (§6.8.3).
  a = deliver(s, kT0 + 20ms, peer_packet(State::Up));
  change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::Init);
  EXPECT_EQ(change->to, State::Up);
  tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Up);
  EXPECT_TRUE(tx->packet.poll);
  EXPECT_EQ(tx->packet.desired_min_tx_interval, 100'000u);
  EXPECT_EQ(s.transmit_interval_us(), 100'000u);                    // faster: at once
  EXPECT_TRUE(in_transmit_window(armed(a, TimerKind::Transmit), kT0 + 20ms, 100ms));  // honoured immediately

  ControlPacket final = peer_packet(State::Up);
  final.final = true;
  deliver(s, kT0 + 21ms, final);
  EXPECT_FALSE(s.poll_active());
  EXPECT_EQ(s.counters().finals_received, 1u);
}

// While not Up our packets carry P until a Final comes back (session.cpp,
// change_state). A Final stops them; each new Down or Init starts them again,
// also when a Final, answering an earlier packet, came first.
TEST(SessionHandshake, PollBitsWhileNotUpStopAtAFinalAndRestartWithANewState) {
  FixedRandom random;
  Session s(fast_config(), random);
  ASSERT_TRUE(first_of<Transmit>(s.start(kT0))->packet.poll);
  EXPECT_EQ(s.counters().polls_started, 1u);

  // The peer, AdminDown, answered a Poll (a Final with no state change here).
  deliver(s, kT0 + 10ms, with_final(peer_packet(State::AdminDown)));
  EXPECT_EQ(s.variables().SessionState, State::Down);
  EXPECT_FALSE(s.poll_active());
  EXPECT_EQ(s.counters().finals_received, 1u);
  auto tx = first_of<Transmit>(s.on_timer(kT0 + 1s, TimerKind::Transmit));
  ASSERT_TRUE(tx);
  EXPECT_FALSE(tx->packet.poll);  // nothing left to ask

  // The peer comes back Down: our Init asks again.
  auto a = deliver(s, kT0 + 1s + 100ms, peer_packet(State::Down));
  ASSERT_EQ(s.variables().SessionState, State::Init);
  tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_TRUE(tx->packet.poll);
  EXPECT_EQ(s.counters().polls_started, 2u);

  // Init -> Up: the Up packet's Poll announces the fast interval (§6.8.3).
  a = deliver(s, kT0 + 1s + 101ms, with_final(peer_packet(State::Init)));
  ASSERT_EQ(s.variables().SessionState, State::Up);
  tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_TRUE(tx->packet.poll);
  EXPECT_EQ(tx->packet.desired_min_tx_interval, 100'000u);
}

// A Passive session neither sends nor polls until activated; then its first
// packet goes at once, with P.
TEST(SessionHandshake, APassiveSessionActivatedSendsAtOnceWithAPoll) {
  FixedRandom random;
  Session s(fast_config(Role::Passive), random);
  EXPECT_TRUE(s.start(kT0).empty());
  EXPECT_FALSE(s.poll_active());

  auto a = s.activate(kT0 + 100ms);
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Down);
  EXPECT_TRUE(tx->packet.poll);
  EXPECT_TRUE(in_transmit_window(armed(a, TimerKind::Transmit), kT0 + 100ms, 1s));
  EXPECT_EQ(s.config().role, Role::Active);
  EXPECT_TRUE(s.activate(kT0 + 200ms).empty());  // once
}

// One that already answers the peer keeps its schedule: no packet added, the
// next periodic one carries the Poll.
TEST(SessionHandshake, APassiveSessionAlreadyTalkingPollsOnItsNextPacket) {
  FixedRandom random;
  Session s(fast_config(Role::Passive), random);
  s.start(kT0);
  auto a = deliver(s, kT0 + 5ms, peer_packet(State::Down, /*your=*/0));
  ASSERT_EQ(s.variables().SessionState, State::Init);
  {
    auto tx = first_of<Transmit>(a);
    ASSERT_TRUE(tx);
    EXPECT_FALSE(tx->packet.poll);  // Passive: the peer sets the pace
  }
  const auto next = armed(a, TimerKind::Transmit);
  ASSERT_TRUE(next);

  a = s.activate(kT0 + 10ms);
  EXPECT_TRUE(all_of<Transmit>(a).empty());
  EXPECT_TRUE(s.poll_active());
  auto tx = first_of<Transmit>(s.on_timer(*next, TimerKind::Transmit));
  ASSERT_TRUE(tx);
  EXPECT_TRUE(tx->packet.poll);
}

TEST(SessionHandshake, PeerStartsFirst) {
  FixedRandom random;
  Session s(fast_config(Role::Passive), random);
  EXPECT_TRUE(s.start(kT0).empty());
  // The peer's first packet: Down, Your Discriminator still 0.
  auto a = deliver(s, kT0 + 5ms, peer_packet(State::Down, /*your=*/0));
  auto change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->to, State::Init);
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Init);
  EXPECT_EQ(tx->packet.your_discriminator, kPeerDiscr);
  EXPECT_TRUE(armed(a, TimerKind::Transmit));  // periodic transmission begins

  a = deliver(s, kT0 + 6ms, peer_packet(State::Init));
  change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::Init);
  EXPECT_EQ(change->to, State::Up);
}

// The peer re-creates its session while ours is in Init (FRR's bgpd does at
// BGP Established): its new session's Down changes no state of ours, but
// our packets must now name its new discriminator, which it waits for.
// §6.8.7: a packet whose contents differ is sent at once.
TEST(SessionHandshake, APeerSessionReCreatedIsAnsweredAtOnce) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  ASSERT_TRUE(first_of<StateChanged>(deliver(s, kT0 + 1ms, peer_packet(State::Down, 0))));
  ASSERT_EQ(s.variables().SessionState, State::Init);
  // The same session again: nothing new to say before the next interval.
  EXPECT_FALSE(first_of<Transmit>(deliver(s, kT0 + 2ms, peer_packet(State::Down, 0))));

  auto fresh = peer_packet(State::Down, 0);
  fresh.my_discriminator = kPeerDiscr + 1;
  auto a = deliver(s, kT0 + 3ms, fresh);
  EXPECT_FALSE(first_of<StateChanged>(a));
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Init);
  EXPECT_EQ(tx->packet.your_discriminator, kPeerDiscr + 1);
  EXPECT_TRUE(tx->packet.poll);  // still not Up: it answers at once
}

TEST(SessionHandshake, DownStraightToUpWhenThePeerIsInInit) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  auto change = first_of<StateChanged>(deliver(s, kT0, peer_packet(State::Init)));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->to, State::Up);
}

TEST(SessionHandshake, DownIgnoresAPeerStillUp) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  EXPECT_FALSE(first_of<StateChanged>(deliver(s, kT0, peer_packet(State::Up))));
  EXPECT_EQ(s.variables().SessionState, State::Down);  // three-way handshake
}

TEST(SessionDetection, ExactlyDetectMultTimesTheNegotiatedInterval) {
  FixedRandom random;
  Session s(fast_config(), random);
  const TimePoint last_rx = bring_up(s, kT0);
  ASSERT_EQ(s.variables().SessionState, State::Up);
  ASSERT_EQ(s.detection_time_us(), 300'000u);
  const TimePoint deadline = last_rx + 300ms;
  EXPECT_EQ(s.detection_deadline(), deadline);

  // One microsecond early (an event loop's rounding): nothing but re-arming for the deadline.
  auto a = s.on_timer(deadline - 1us, TimerKind::Detect);
  EXPECT_FALSE(first_of<StateChanged>(a));
  EXPECT_EQ(armed(a, TimerKind::Detect), deadline);
  EXPECT_EQ(s.variables().SessionState, State::Up);

  a = s.on_timer(deadline, TimerKind::Detect);
  auto change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::Up);
  EXPECT_EQ(change->to, State::Down);
  EXPECT_EQ(change->diag, Diag::ControlDetectionTimeExpired);
  EXPECT_TRUE(change->is_failure());
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Down);
  EXPECT_EQ(tx->packet.diag, Diag::ControlDetectionTimeExpired);
  EXPECT_EQ(tx->packet.your_discriminator, 0u);  // §6.8.1 RemoteDiscr zeroed
  EXPECT_EQ(tx->packet.desired_min_tx_interval, 1'000'000u);

  const auto& c = s.counters();
  EXPECT_EQ(c.detection_expiries, 1u);
  EXPECT_EQ(c.flaps, 1u);
  EXPECT_EQ(c.last_detection_latency, Microseconds{300'000});
  EXPECT_EQ(c.last_detection_overshoot, Microseconds{0});
}

TEST(SessionDetection, UsesThePeersMultAndTheSlowerOfTheirTxAndOurRx) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  deliver(s, kT0, peer_packet(State::Down, kOurDiscr, 200'000, 100'000, /*mult=*/4));
  EXPECT_EQ(s.detection_time_us(), 800'000u);  // 4 x max(100 ms, 200 ms)
  const TimePoint t = kT0 + 50ms;
  deliver(s, t, peer_packet(State::Up, kOurDiscr, 200'000, 100'000, 4));
  EXPECT_FALSE(first_of<StateChanged>(s.on_timer(t + 800ms - 1us, TimerKind::Detect)));
  auto change = first_of<StateChanged>(s.on_timer(t + 800ms, TimerKind::Detect));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->diag, Diag::ControlDetectionTimeExpired);
}

TEST(SessionDetection, InitTimesOutToo) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  deliver(s, kT0, peer_packet(State::Down));
  auto change = first_of<StateChanged>(s.on_timer(kT0 + 300ms, TimerKind::Detect));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::Init);
  EXPECT_FALSE(change->is_failure());  // never was Up
}

TEST(SessionDetection, InDownOnlyForgetsTheRemoteDiscriminator) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  deliver(s, kT0, peer_packet(State::AdminDown));  // keeps us Down
  EXPECT_EQ(s.variables().RemoteDiscr, kPeerDiscr);
  auto a = s.on_timer(kT0 + 300ms, TimerKind::Detect);
  EXPECT_FALSE(first_of<StateChanged>(a));
  EXPECT_EQ(s.variables().RemoteDiscr, 0u);
  EXPECT_EQ(s.variables().RemoteMinRxInterval, 1u);  // §6.8.18
}

TEST(SessionDetection, StaleTimerIsIgnored) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  EXPECT_TRUE(s.on_timer(kT0 + 10s, TimerKind::Detect).empty());  // never armed
}

TEST(SessionAdmin, OurAdminDownSendsDiag7AndHoldsTheSession) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = bring_up(s, kT0);
  auto a = s.admin_down(t);
  auto change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::Up);
  EXPECT_EQ(change->to, State::AdminDown);
  EXPECT_EQ(change->diag, Diag::AdministrativelyDown);
  EXPECT_FALSE(change->is_failure());
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::AdminDown);
  EXPECT_EQ(tx->packet.diag, Diag::AdministrativelyDown);
  EXPECT_TRUE(cancelled(a, TimerKind::Detect));
  EXPECT_EQ(s.transmit_interval_us(), 1'000'000u);  // keeps sending, slowly
  EXPECT_TRUE(s.periodic_transmission());

  // The peer's packets are discarded; no Detection Time runs.
  a = deliver(s, t + 10ms, peer_packet(State::Down));
  EXPECT_FALSE(first_of<StateChanged>(a));
  EXPECT_EQ(s.counters().drop_count(RxDrop::admin_down), 1u);
  EXPECT_FALSE(s.detection_deadline());

  a = s.admin_up(t + 20ms);
  change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::AdminDown);
  EXPECT_EQ(change->to, State::Down);
  EXPECT_EQ(first_of<Transmit>(a)->packet.state, State::Down);
}

// Leaving AdminDown after more than a Detection Time, the peer's
// discriminator is forgotten (§6.8.1; the packets were discarded): it may
// name a session the peer replaced meanwhile. Your Discriminator 0 in Down
// is matched by address. After less, it is kept.
TEST(SessionAdmin, LeavingAfterADetectionTimeForgetsThePeersDiscriminator) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = bring_up(s, kT0);
  s.admin_down(t);
  auto replaced = peer_packet(State::Down, 0);
  replaced.my_discriminator = kPeerDiscr + 1;  // a new session of the peer's, discarded
  deliver(s, t + 100ms, replaced);
  auto tx = first_of<Transmit>(s.admin_up(t + 2s));
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Down);
  EXPECT_EQ(tx->packet.your_discriminator, 0u);
  EXPECT_TRUE(tx->packet.poll);  // and the peer answers at once

  Session quick(fast_config(), random);
  t = bring_up(quick, kT0);
  quick.admin_down(t);
  tx = first_of<Transmit>(quick.admin_up(t + 100ms));  // within 300 ms
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.your_discriminator, kPeerDiscr);
}

TEST(SessionAdmin, PathDownDiagnostic) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  auto a = s.admin_down(kT0, Diag::PathDown);
  EXPECT_EQ(first_of<Transmit>(a)->packet.diag, Diag::PathDown);
}

TEST(SessionAdmin, PeerAdminDownIsNotAFailure) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = bring_up(s, kT0);
  auto a = deliver(s, t + 1ms, peer_packet(State::AdminDown));
  auto change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::Up);
  EXPECT_EQ(change->to, State::Down);
  EXPECT_EQ(change->diag, Diag::NeighborSignaledSessionDown);
  EXPECT_TRUE(change->remote_admin_down);
  EXPECT_FALSE(change->is_failure());
  EXPECT_EQ(first_of<Transmit>(a)->packet.diag, Diag::NeighborSignaledSessionDown);
  // It stays Down while the peer stays AdminDown.
  EXPECT_FALSE(first_of<StateChanged>(deliver(s, t + 2ms, peer_packet(State::AdminDown))));
}

TEST(SessionAdmin, PeerDownIsAFailure) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = bring_up(s, kT0);
  auto change = first_of<StateChanged>(deliver(s, t + 1ms, peer_packet(State::Down)));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->diag, Diag::NeighborSignaledSessionDown);
  EXPECT_FALSE(change->remote_admin_down);
  EXPECT_TRUE(change->is_failure());
}

TEST(SessionPassive, SendsNothingBeforeThePeersFirstPacket) {
  FixedRandom random;
  Session s(fast_config(Role::Passive), random);
  EXPECT_TRUE(s.start(kT0).empty());
  EXPECT_TRUE(s.on_timer(kT0 + 5s, TimerKind::Transmit).empty());
  EXPECT_TRUE(all_of<Transmit>(s.set_timers(kT0 + 6s, {50'000, 50'000, 3})).empty());
  EXPECT_TRUE(all_of<Transmit>(s.admin_down(kT0 + 7s)).empty());
  EXPECT_TRUE(all_of<Transmit>(s.admin_up(kT0 + 8s)).empty());
  EXPECT_FALSE(s.periodic_transmission());
  EXPECT_EQ(s.counters().packets_out, 0u);

  auto a = deliver(s, kT0 + 9s, peer_packet(State::Down, 0));
  EXPECT_EQ(all_of<Transmit>(a).size(), 1u);
  EXPECT_TRUE(s.periodic_transmission());
}

// Held AdminDown before it ever sent, a Passive session discards what
// arrives (§6.8.6) and so has received nothing to answer (§6.1): silent.
// Leaving AdminDown it still is, until the peer's next packet.
TEST(SessionPassive, HeldAdminDownItStaysSilent) {
  FixedRandom random;
  Session s(fast_config(Role::Passive), random);
  s.start(kT0);
  EXPECT_TRUE(all_of<Transmit>(s.admin_down(kT0 + 1s)).empty());
  auto a = deliver(s, kT0 + 2s, peer_packet(State::Down, 0));
  EXPECT_TRUE(all_of<Transmit>(a).empty());
  EXPECT_FALSE(armed(a, TimerKind::Transmit));
  EXPECT_FALSE(s.periodic_transmission());
  EXPECT_TRUE(s.on_timer(kT0 + 5s, TimerKind::Transmit).empty());
  EXPECT_EQ(s.counters().packets_out, 0u);

  EXPECT_TRUE(all_of<Transmit>(s.admin_up(kT0 + 6s)).empty());
  auto tx = first_of<Transmit>(deliver(s, kT0 + 7s, peer_packet(State::Down, 0)));
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Init);
  EXPECT_EQ(tx->packet.your_discriminator, kPeerDiscr);
}

TEST(SessionPassive, FallsSilentWhenThePeerIsLost) {
  FixedRandom random;
  Session s(fast_config(Role::Passive), random);
  s.start(kT0);
  deliver(s, kT0, peer_packet(State::Down, 0));
  auto a = s.on_timer(kT0 + 300ms, TimerKind::Detect);  // Init -> Down, RemoteDiscr = 0
  EXPECT_TRUE(first_of<StateChanged>(a));
  EXPECT_TRUE(all_of<Transmit>(a).empty());
  EXPECT_TRUE(cancelled(a, TimerKind::Transmit));
}

TEST(SessionEvents, IgnoredBeforeStart) {
  FixedRandom random;
  Session s(fast_config(), random);
  EXPECT_TRUE(deliver(s, kT0, peer_packet(State::Down)).empty());
  EXPECT_EQ(s.counters().drop_count(RxDrop::not_started), 1u);
  EXPECT_TRUE(s.on_timer(kT0, TimerKind::Transmit).empty());
}

}  // namespace
}  // namespace fbf::bfd

namespace fbf::bfd {
namespace {

using namespace test;

// Event loops arm timers against a cached clock, so an expiry may be
// delivered slightly before the time the session asked for. Found in the lab:
// treating that as stale left the session without a detection timer, and a
// dead peer was never declared Down. An early expiry must re-arm.
TEST(SessionTimers, EarlyDetectExpiryReArmsForTheArmedTime) {
  FixedRandom random;
  Session s(fast_config(), random);
  const TimePoint last_rx = bring_up(s, kT0);
  const TimePoint deadline = last_rx + 300ms;
  auto a = s.on_timer(deadline - 1us, TimerKind::Detect);  // armed now exactly at deadline
  ASSERT_EQ(armed(a, TimerKind::Detect), deadline);
  a = s.on_timer(deadline - 1us, TimerKind::Detect);  // the loop fires early again
  EXPECT_EQ(armed(a, TimerKind::Detect), deadline);
  EXPECT_EQ(s.variables().SessionState, State::Up);
  auto change = first_of<StateChanged>(s.on_timer(deadline, TimerKind::Detect));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->diag, Diag::ControlDetectionTimeExpired);
}

TEST(SessionTimers, EarlyTransmitExpiryReArmsForTheArmedTime) {
  FixedRandom random;
  Session s(fast_config(), random);
  auto started = s.start(kT0);
  auto at = armed(started, TimerKind::Transmit);
  ASSERT_TRUE(at);
  auto a = s.on_timer(*at - 1us, TimerKind::Transmit);
  EXPECT_FALSE(first_of<Transmit>(a));
  EXPECT_EQ(armed(a, TimerKind::Transmit), *at);
  EXPECT_TRUE(first_of<Transmit>(s.on_timer(*at, TimerKind::Transmit)));
}

}  // namespace
}  // namespace fbf::bfd
