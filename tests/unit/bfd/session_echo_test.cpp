// The Echo function of a Session (RFC 5880 §6.4, §6.8.3, §6.8.5, §6.8.9)
// with a fake clock: when echoes start and stop, their interval, the §6.8.3
// Control slowdown, failure with diag 2, and refusal of echoes we did not send.
#include <gtest/gtest.h>

#include "bfd/echo.h"
#include "bfd_test_support.h"

namespace fbf::bfd::test {
namespace {

constexpr std::uint32_t kEchoTx = 50'000;  // our desired echo interval
constexpr std::uint32_t kPeerEchoRx = 20'000;

SessionConfig echo_config(std::uint32_t echo_tx = kEchoTx) {
  SessionConfig c = fast_config();
  c.required_min_echo_rx_interval = 30'000;
  c.desired_min_echo_tx_interval = echo_tx;
  return c;
}

ControlPacket with_echo(ControlPacket p, std::uint32_t echo_rx) {
  p.required_min_echo_rx_interval = echo_rx;
  return p;
}

// Up with the peer advertising `echo_rx`; returns the time of the last packet.
TimePoint up_with_echo(Session& s, std::uint32_t echo_rx = kPeerEchoRx, Actions* last = nullptr) {
  s.start(kT0);
  deliver(s, kT0, with_echo(peer_packet(State::Down), echo_rx));
  const TimePoint t = kT0 + 1ms;
  Actions a = deliver(s, t, with_echo(peer_packet(State::Up), echo_rx));
  if (last) *last = a;
  return t;
}

// Up with echoes running, the first one back 2 ms after it left; returns
// when it left.
TimePoint up_with_first_echo_back(Session& s) {
  Actions a;
  const TimePoint t = up_with_echo(s, kPeerEchoRx, &a);
  auto echo = first_of<TransmitEcho>(a);
  EXPECT_TRUE(echo);
  if (echo) {
    EXPECT_TRUE(s.on_echo(t + 2ms, echo->packet).empty());
  }
  return t;
}

TEST(SessionEcho, StartsWhenUpAndThePeerAllowsIt) {
  FixedRandom random;
  Session s(echo_config(), random);
  s.start(kT0);
  // Init: the peer allows echoes, but §6.8.9 forbids them outside Up.
  Actions a = deliver(s, kT0, with_echo(peer_packet(State::Down), kPeerEchoRx));
  EXPECT_EQ(s.variables().SessionState, State::Init);
  EXPECT_FALSE(first_of<TransmitEcho>(a));
  EXPECT_FALSE(s.echo_active());

  const TimePoint t = kT0 + 1ms;
  a = deliver(s, t, with_echo(peer_packet(State::Up), kPeerEchoRx));
  EXPECT_EQ(s.variables().SessionState, State::Up);
  EXPECT_TRUE(s.echo_active());
  auto echo = first_of<TransmitEcho>(a);
  ASSERT_TRUE(echo);  // the first echo goes out at once
  EXPECT_EQ(echo->packet.my_discriminator, kOurDiscr);
  EXPECT_NE(echo->packet.cookie, 0u);
  // §6.8.9: max(ours 50 ms, peer's 20 ms); FixedRandom keeps the full interval.
  EXPECT_EQ(s.echo_transmit_interval_us(), 50'000u);
  EXPECT_EQ(armed(a, TimerKind::EchoTransmit), t + 50ms);
  EXPECT_EQ(s.echo_detection_time_us(), 150'000u);  // bfd.DetectMult 3 x 50 ms
  EXPECT_EQ(armed(a, TimerKind::EchoDetect), t + 150ms);
  EXPECT_FALSE(a.overflow());
  EXPECT_EQ(s.counters().echo_out, 1u);
}

TEST(SessionEcho, IntervalIsThePeersWhenItIsSlower) {
  FixedRandom random;
  Session s(echo_config(10'000), random);
  Actions a;
  const TimePoint t = up_with_echo(s, 40'000, &a);
  EXPECT_EQ(s.echo_transmit_interval_us(), 40'000u);
  EXPECT_EQ(armed(a, TimerKind::EchoTransmit), t + 40ms);
  // The next echo, then the one after, each an interval apart.
  a = s.on_timer(t + 40ms, TimerKind::EchoTransmit);
  EXPECT_TRUE(first_of<TransmitEcho>(a));
  EXPECT_EQ(armed(a, TimerKind::EchoTransmit), t + 80ms);
}

TEST(SessionEcho, JitterKeepsTheIntervalWithin75To100Percent) {
  SeededRandom random(7);
  Session s(echo_config(), random);
  TimePoint t = up_with_echo(s);
  std::optional<TimePoint> at = t + 50ms;
  for (int i = 0; i < 200; ++i) {
    // Find the armed time from the previous step and fire it.
    Actions a = s.on_timer(*at, TimerKind::EchoTransmit);
    auto next = armed(a, TimerKind::EchoTransmit);
    ASSERT_TRUE(next);
    const auto gap = *next - *at;
    EXPECT_GE(gap, 37'500us);  // §6.8.9: 75 % of 50 ms
    EXPECT_LE(gap, 50ms);
    at = next;
  }
}

TEST(SessionEcho, NoEchoWhenThePeersRequiredMinEchoRxIsZero) {
  FixedRandom random;
  Session s(echo_config(), random);
  Actions a;
  up_with_echo(s, 0, &a);
  EXPECT_EQ(s.variables().SessionState, State::Up);
  EXPECT_FALSE(s.echo_active());
  EXPECT_FALSE(first_of<TransmitEcho>(a));
  EXPECT_FALSE(armed(a, TimerKind::EchoTransmit));
  EXPECT_EQ(s.echo_transmit_interval_us(), 0u);
}

TEST(SessionEcho, NoEchoWhenWeDoNotWantToSendAny) {
  FixedRandom random;
  Session s(echo_config(0), random);
  Actions a;
  up_with_echo(s, kPeerEchoRx, &a);
  EXPECT_FALSE(s.echo_active());
  EXPECT_FALSE(first_of<TransmitEcho>(a));
}

TEST(SessionEcho, AdvertisesItsRequiredMinEchoRxInterval) {
  FixedRandom random;
  Session s(echo_config(), random);
  auto tx = first_of<Transmit>(s.start(kT0));
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.required_min_echo_rx_interval, 30'000u);
  // A runtime change (§6.8.13) is advertised without a Poll.
  TimerSettings t{100'000, 100'000, 3, 0, kEchoTx};
  s.set_timers(kT0 + 1ms, t);
  auto next = first_of<Transmit>(s.on_timer(kT0 + 2s, TimerKind::Transmit));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->packet.required_min_echo_rx_interval, 0u);
}

TEST(SessionEcho, StopsWhenThePeerSetsItsEchoRxToZero) {
  FixedRandom random;
  Session s(echo_config(), random);
  const TimePoint t = up_with_echo(s);
  ASSERT_TRUE(s.echo_active());
  // §6.8.6: "If the Required Min Echo RX Interval field is zero, the
  // transmission of Echo packets, if any, MUST cease."
  Actions a = deliver(s, t + 10ms, with_echo(peer_packet(State::Up), 0));
  EXPECT_FALSE(s.echo_active());
  EXPECT_TRUE(cancelled(a, TimerKind::EchoTransmit));
  EXPECT_TRUE(cancelled(a, TimerKind::EchoDetect));
  EXPECT_EQ(s.variables().SessionState, State::Up);  // the session itself stays Up
  // A transmit expiry already queued in the loop is stale now.
  EXPECT_TRUE(s.on_timer(t + 50ms, TimerKind::EchoTransmit).empty());
}

TEST(SessionEcho, StopsWhenTheSessionGoesDown) {
  FixedRandom random;
  Session s(echo_config(), random);
  const TimePoint t = up_with_echo(s);
  Actions a = deliver(s, t + 10ms, with_echo(peer_packet(State::Down), kPeerEchoRx));
  EXPECT_EQ(s.variables().SessionState, State::Down);
  EXPECT_FALSE(s.echo_active());
  EXPECT_TRUE(cancelled(a, TimerKind::EchoTransmit));
  EXPECT_FALSE(first_of<TransmitEcho>(a));
  EXPECT_TRUE(s.on_timer(t + 50ms, TimerKind::EchoTransmit).empty());
  EXPECT_TRUE(s.on_timer(t + 150ms, TimerKind::EchoDetect).empty());
}

TEST(SessionEcho, StopsOnAdminDown) {
  FixedRandom random;
  Session s(echo_config(), random);
  const TimePoint t = up_with_echo(s);
  Actions a = s.admin_down(t + 1ms);
  EXPECT_FALSE(s.echo_active());
  EXPECT_TRUE(cancelled(a, TimerKind::EchoDetect));
}

TEST(SessionEcho, DownWithDiag2AfterTheEchoDetectionTime) {
  FixedRandom random;
  Session s(echo_config(), random);
  const TimePoint t = up_with_echo(s);
  // Control packets keep arriving: only the echoes are lost.
  deliver(s, t + 100ms, with_echo(peer_packet(State::Up), kPeerEchoRx));
  // Early expiry: re-armed, not acted on.
  Actions a = s.on_timer(t + 150ms - 1us, TimerKind::EchoDetect);
  EXPECT_EQ(armed(a, TimerKind::EchoDetect), t + 150ms);
  EXPECT_EQ(s.variables().SessionState, State::Up);

  a = s.on_timer(t + 150ms, TimerKind::EchoDetect);
  auto change = first_of<StateChanged>(a);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, State::Up);
  EXPECT_EQ(change->to, State::Down);
  EXPECT_EQ(change->diag, Diag::EchoFunctionFailed);  // §6.8.5
  EXPECT_TRUE(change->is_failure());
  auto tx = first_of<Transmit>(a);  // the peer hears of it at once
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->packet.state, State::Down);
  EXPECT_EQ(tx->packet.diag, Diag::EchoFunctionFailed);
  EXPECT_EQ(tx->packet.your_discriminator, kPeerDiscr);  // the control path still works
  EXPECT_TRUE(cancelled(a, TimerKind::EchoTransmit));
  EXPECT_FALSE(s.echo_active());
  EXPECT_EQ(s.counters().echo_failures, 1u);
  EXPECT_EQ(s.counters().detection_expiries, 0u);  // not the §6.8.4 timer
}

// While echoes leave every interval, the deadline is the last echo back +
// the echo Detection Time, to the microsecond, as without echoes sent.
TEST(SessionEcho, EchoesSentOnTimeThatStopReturningFailAtLastBackPlusTheDetectionTime) {
  FixedRandom random;
  Session s(echo_config(), random);
  Actions a;
  const TimePoint t = up_with_first_echo_back(s);
  // The next three leave on time (every 50 ms) and are lost.
  for (auto at : {t + 50ms, t + 100ms, t + 150ms}) {
    a = s.on_timer(at, TimerKind::EchoTransmit);
    ASSERT_TRUE(first_of<TransmitEcho>(a));
  }
  a = s.on_timer(t + 150ms, TimerKind::EchoDetect);  // armed at the start
  EXPECT_EQ(armed(a, TimerKind::EchoDetect), t + 2ms + 150ms);
  EXPECT_FALSE(first_of<StateChanged>(s.on_timer(t + 152ms - 1us, TimerKind::EchoDetect)));
  auto change = first_of<StateChanged>(s.on_timer(t + 152ms, TimerKind::EchoDetect));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->diag, Diag::EchoFunctionFailed);
}

// §6.8.5 leaves the means to the implementation: an echo that was never sent
// has not failed to arrive. When this system stalls for longer than the echo
// Detection Time (a long task on the loop, the VM descheduled), both echo
// timers are overdue when it runs again, in either order; the session stays
// Up, and the echo sent then decides.
class EchoAfterALocalStall : public ::testing::TestWithParam<bool> {};

TEST_P(EchoAfterALocalStall, IsNotAFailureAndTheNextEchoDecides) {
  const bool detect_first = GetParam();
  FixedRandom random;
  Session s(echo_config(), random);
  Actions a;
  const TimePoint t = up_with_first_echo_back(s);
  deliver(s, t + 10ms, with_echo(peer_packet(State::Up), kPeerEchoRx));
  // Nothing runs until t + 400 ms; the peer's Control packets wait in the
  // socket and are read first (bfd/io/service.cpp), refreshing the session.
  const TimePoint resumed = t + 400ms;
  deliver(s, resumed, with_echo(peer_packet(State::Up), kPeerEchoRx));
  std::optional<EchoPacket> sent;
  auto run = [&](TimerKind kind) {
    a = s.on_timer(resumed, kind);
    EXPECT_FALSE(first_of<StateChanged>(a)) << to_string(kind);
    if (auto echo = first_of<TransmitEcho>(a)) sent = echo->packet;
  };
  if (detect_first) {
    run(TimerKind::EchoDetect);
    // As if the echo about to leave had a predecessor one interval earlier.
    EXPECT_EQ(armed(a, TimerKind::EchoDetect), resumed - 50ms + 150ms);
    run(TimerKind::EchoTransmit);
  } else {
    run(TimerKind::EchoTransmit);
    run(TimerKind::EchoDetect);
    EXPECT_EQ(armed(a, TimerKind::EchoDetect), resumed - 50ms + 150ms);
  }
  ASSERT_TRUE(sent);
  EXPECT_EQ(s.variables().SessionState, State::Up);
  EXPECT_EQ(s.counters().echo_failures, 0u);

  // It comes back: Up, and with the next one on time the deadline follows it.
  ASSERT_TRUE(s.on_echo(resumed + 2ms, *sent).empty());
  ASSERT_TRUE(first_of<TransmitEcho>(s.on_timer(resumed + 50ms, TimerKind::EchoTransmit)));
  a = s.on_timer(resumed + 100ms, TimerKind::EchoDetect);
  EXPECT_FALSE(first_of<StateChanged>(a));
  EXPECT_EQ(armed(a, TimerKind::EchoDetect), resumed + 2ms + 150ms);
}

TEST_P(EchoAfterALocalStall, IsFollowedByAFailureWhenTheEchoesThenSentAreLost) {
  FixedRandom random;
  Session s(echo_config(), random);
  const TimePoint t = up_with_first_echo_back(s);
  const TimePoint resumed = t + 400ms;
  deliver(s, resumed, with_echo(peer_packet(State::Up), kPeerEchoRx));
  const auto detect = [&] {
    EXPECT_FALSE(first_of<StateChanged>(s.on_timer(resumed, TimerKind::EchoDetect)));
  };
  if (GetParam()) detect();
  ASSERT_TRUE(first_of<TransmitEcho>(s.on_timer(resumed, TimerKind::EchoTransmit)));
  if (!GetParam()) detect();
  // None of the echoes sent from here on comes back: Down one Detection Time
  // minus one interval after the first left, as if the path had failed
  // right after an echo that returned one interval before it.
  ASSERT_TRUE(first_of<TransmitEcho>(s.on_timer(resumed + 50ms, TimerKind::EchoTransmit)));
  EXPECT_FALSE(first_of<StateChanged>(s.on_timer(resumed + 100ms - 1us, TimerKind::EchoDetect)));
  auto change = first_of<StateChanged>(s.on_timer(resumed + 100ms, TimerKind::EchoDetect));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->diag, Diag::EchoFunctionFailed);
  EXPECT_EQ(s.counters().echo_failures, 1u);
}

INSTANTIATE_TEST_SUITE_P(Order, EchoAfterALocalStall, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& order) {
                           return order.param ? "DetectionTimerFirst" : "TransmitTimerFirst";
                         });

TEST(SessionEcho, ReturnedEchoesKeepTheSessionUpAndMeasureTheRoundTrip) {
  FixedRandom random;
  Session s(echo_config(), random);
  Actions a;
  TimePoint t = up_with_echo(s, kPeerEchoRx, &a);
  auto echo = first_of<TransmitEcho>(a);
  ASSERT_TRUE(echo);
  // Each echo comes back 2 ms later, through the wire format.
  for (int i = 0; i < 10; ++i) {
    auto back = decode_echo(encode_echo(echo->packet));
    ASSERT_TRUE(back);
    EXPECT_TRUE(s.on_echo(t + 2ms, *back).empty());
    t += 50ms;
    a = s.on_timer(t, TimerKind::EchoTransmit);
    echo = first_of<TransmitEcho>(a);
    ASSERT_TRUE(echo);
    deliver(s, t, with_echo(peer_packet(State::Up), kPeerEchoRx));
  }
  EXPECT_EQ(s.counters().echo_in, 10u);
  EXPECT_EQ(s.counters().last_echo_rtt, 2ms);
  EXPECT_EQ(s.counters().max_echo_rtt, 2ms);
  // The detection timer armed at start fires: re-armed for last rx + 150 ms.
  const TimePoint last_rx = t - 50ms + 2ms;
  a = s.on_timer(kT0 + 1ms + 150ms, TimerKind::EchoDetect);
  EXPECT_FALSE(first_of<StateChanged>(a));
  EXPECT_EQ(armed(a, TimerKind::EchoDetect), last_rx + 150ms);
  EXPECT_EQ(s.variables().SessionState, State::Up);
}

TEST(SessionEcho, ForeignStaleAndLateEchoesAreRefusedAndKeepNothingAlive) {
  FixedRandom random;
  Session s(echo_config(), random);
  Actions a;
  const TimePoint t = up_with_echo(s, kPeerEchoRx, &a);
  const EchoPacket ours = first_of<TransmitEcho>(a)->packet;

  EchoPacket spoofed = ours;
  spoofed.cookie ^= 1;  // a guess at everything but the cookie
  EXPECT_TRUE(s.on_echo(t + 1ms, spoofed).empty());
  EXPECT_EQ(s.counters().drop_count(RxDrop::echo_foreign), 1u);

  EchoPacket other = ours;
  other.my_discriminator = kPeerDiscr;  // another session's (or the peer's) echo
  s.on_echo(t + 1ms, other);
  EXPECT_EQ(s.counters().drop_count(RxDrop::echo_foreign), 2u);

  EchoPacket future = ours;
  future.sequence += 1;  // not sent yet
  s.on_echo(t + 1ms, future);
  EchoPacket replay = ours;
  replay.sequence -= 300;  // far older than anything in flight
  s.on_echo(t + 1ms, replay);
  EXPECT_EQ(s.counters().drop_count(RxDrop::echo_stale), 2u);
  EXPECT_EQ(s.counters().echo_in, 0u);

  // None of them counted: the session fails at start + detection time.
  auto change = first_of<StateChanged>(s.on_timer(t + 150ms, TimerKind::EchoDetect));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->diag, Diag::EchoFunctionFailed);

  // After the echoes stopped, a genuine one still in flight is "inactive".
  s.on_echo(t + 151ms, ours);
  EXPECT_EQ(s.counters().drop_count(RxDrop::echo_inactive), 1u);
}

TEST(SessionEcho, EchoesBeforeStartAreDropped) {
  FixedRandom random;
  Session s(echo_config(), random);
  s.on_echo(kT0, EchoPacket{kOurDiscr, 0, 0, 1});
  EXPECT_EQ(s.counters().drop_count(RxDrop::not_started), 1u);
}

// §6.8.3: while echoing, bfd.RequiredMinRxInterval >= 1 s (Poll Sequence);
// back to the configured value when the echoes stop.
TEST(SessionEcho, SlowsControlPacketsWhileEchoing) {
  FixedRandom random;
  Session s(echo_config(), random);
  TimePoint t = up_with_echo(s);
  ASSERT_TRUE(s.echo_active());
  ASSERT_TRUE(s.poll_active());  // entering Up: the fast tx interval's Poll
  ControlPacket final = with_echo(peer_packet(State::Up), kPeerEchoRx);
  final.final = true;
  deliver(s, t + 5ms, final);
  // §6.8.3 choice 3: the next change waits for a packet with F clear.
  deliver(s, t + 10ms, with_echo(peer_packet(State::Up), kPeerEchoRx));
  EXPECT_EQ(s.variables().RequiredMinRxInterval, 1'000'000u);
  EXPECT_TRUE(s.poll_active());
  auto tx = first_of<Transmit>(s.on_timer(t + 200ms, TimerKind::Transmit));
  ASSERT_TRUE(tx);
  EXPECT_TRUE(tx->packet.poll);
  EXPECT_EQ(tx->packet.required_min_rx_interval, 1'000'000u);
  // A slower rx applies at once; the Detection Time grows with the Final.
  deliver(s, t + 210ms, final);
  EXPECT_EQ(s.detection_time_us(), 3'000'000u);

  // The peer stops allowing echoes: back to 100 ms (after the Poll).
  deliver(s, t + 220ms, with_echo(peer_packet(State::Up), 0));
  deliver(s, t + 230ms, with_echo(peer_packet(State::Up), 0));
  EXPECT_FALSE(s.echo_active());
  EXPECT_EQ(s.variables().RequiredMinRxInterval, 100'000u);
}

TEST(SessionEcho, SlowdownCanBeTurnedOff) {
  FixedRandom random;
  SessionConfig c = echo_config();
  c.echo_control_rx_interval = 0;
  Session s(c, random);
  TimePoint t = up_with_echo(s);
  ControlPacket final = with_echo(peer_packet(State::Up), kPeerEchoRx);
  final.final = true;
  deliver(s, t + 5ms, final);
  deliver(s, t + 10ms, with_echo(peer_packet(State::Up), kPeerEchoRx));
  EXPECT_TRUE(s.echo_active());
  EXPECT_EQ(s.variables().RequiredMinRxInterval, 100'000u);
  EXPECT_FALSE(s.poll_active());
}

TEST(SessionEcho, ANewSessionDrawsNoRandomnessForEcho) {
  // Sessions without echo draw exactly what they drew before the Echo
  // function existed (XmitAuthSeq, then jitter): identical seeds, identical
  // transmit schedules.
  SeededRandom r1(3), r2(3);
  SessionConfig plain = fast_config();
  Session a(plain, r1);
  Session b(echo_config(), r2);
  EXPECT_EQ(a.variables().XmitAuthSeq, b.variables().XmitAuthSeq);
  EXPECT_EQ(armed(a.start(kT0), TimerKind::Transmit), armed(b.start(kT0), TimerKind::Transmit));
}

}  // namespace
}  // namespace fbf::bfd::test
