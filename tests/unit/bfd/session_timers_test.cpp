// RFC 5880 §6.8.3 timer manipulation and Poll Sequences, §6.8.7 transmission
// (slow rate while not Up, jitter), §6.6 Demand mode on the receiving side.
#include "bfd/session.h"

#include <gtest/gtest.h>

#include "bfd_test_support.h"

namespace fbf::bfd {
namespace {

using namespace test;

// Up, the Poll for the fast interval answered, and a later packet with F
// clear seen: ready for the next Poll Sequence. Returns the time.
TimePoint settle_up(Session& s, std::uint32_t peer_us = 100'000) {
  TimePoint t = bring_up(s, kT0, peer_us);
  deliver(s, t + 1ms, with_final(peer_packet(State::Up, kOurDiscr, peer_us, peer_us)));
  deliver(s, t + 2ms, peer_packet(State::Up, kOurDiscr, peer_us, peer_us));
  EXPECT_FALSE(s.poll_active());
  return t + 2ms;
}

TEST(SessionSlowRate, AtLeastOneSecondWhileNotUp) {
  SeededRandom random(7);
  SessionConfig config = fast_config();
  config.desired_min_tx_interval = 10'000;
  config.required_min_rx_interval = 10'000;
  Session s(config, random);
  auto a = s.start(kT0);
  EXPECT_EQ(first_of<Transmit>(a)->packet.desired_min_tx_interval, 1'000'000u);
  auto at = armed(a, TimerKind::Transmit);
  ASSERT_TRUE(at);
  EXPECT_GE(*at - kT0, 750ms);  // jittered 75-100 % of 1 s
  EXPECT_LE(*at - kT0, 1s);
  EXPECT_EQ(s.transmit_interval_us(), 1'000'000u);

  // A runtime change while Down cannot go below 1 s either.
  s.set_timers(kT0 + 1ms, {5'000, 5'000, 3});
  EXPECT_EQ(s.variables().DesiredMinTxInterval, 1'000'000u);

  deliver(s, kT0 + 2ms, peer_packet(State::Down, kOurDiscr, 10'000, 10'000));  // Init
  EXPECT_EQ(s.variables().DesiredMinTxInterval, 1'000'000u);
  EXPECT_EQ(s.transmit_interval_us(), 1'000'000u);

  deliver(s, kT0 + 3ms, peer_packet(State::Up, kOurDiscr, 10'000, 10'000));  // Up
  EXPECT_EQ(s.variables().DesiredMinTxInterval, 5'000u);
  EXPECT_EQ(s.transmit_interval_us(), 10'000u);  // the peer's Required Min RX

  // Down again: back to 1 s at once.
  s.on_timer(kT0 + 1s, TimerKind::Detect);
  ASSERT_EQ(s.variables().SessionState, State::Down);
  EXPECT_EQ(s.variables().DesiredMinTxInterval, 1'000'000u);
  EXPECT_EQ(s.transmit_interval_us(), 1'000'000u);
}

TEST(SessionPoll, SlowerTxTakesEffectOnlyAfterFinal) {
  FixedRandom random;
  Session s(fast_config(), random);
  const TimePoint t = settle_up(s);

  auto a = s.set_timers(t, {500'000, 100'000, 3});
  EXPECT_TRUE(s.poll_active());
  EXPECT_EQ(s.counters().polls_started, 3u);  // bring-up's, the Up one, and this
  EXPECT_EQ(s.transmit_interval_us(), 100'000u);  // MUST NOT change before the Final
  EXPECT_TRUE(all_of<Transmit>(a).empty());       // P rides the periodic packets (§6.5)

  const TimePoint t1 = t + 200ms;
  a = s.on_timer(t1, TimerKind::Transmit);
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_TRUE(tx->packet.poll);
  EXPECT_EQ(tx->packet.desired_min_tx_interval, 500'000u);
  EXPECT_TRUE(in_transmit_window(armed(a, TimerKind::Transmit), t1, 100ms));  // still the old interval

  deliver(s, t1 + 1ms, with_final(peer_packet(State::Up)));
  EXPECT_FALSE(s.poll_active());
  EXPECT_EQ(s.transmit_interval_us(), 500'000u);

  a = s.on_timer(t1 + 100ms, TimerKind::Transmit);
  tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_FALSE(tx->packet.poll);
  EXPECT_TRUE(in_transmit_window(armed(a, TimerKind::Transmit), t1 + 100ms, 500ms));  // the new interval
}

TEST(SessionPoll, FasterRxShortensDetectionOnlyAfterFinal) {
  FixedRandom random;
  Session s(fast_config(), random);
  const TimePoint t = settle_up(s, /*peer_us=*/50'000);
  ASSERT_EQ(s.detection_time_us(), 300'000u);  // 3 x max(our 100 ms, their 50 ms)

  auto a = s.set_timers(t, {100'000, 50'000, 3});
  EXPECT_EQ(s.variables().RequiredMinRxInterval, 50'000u);  // advertised at once
  EXPECT_EQ(s.detection_time_us(), 300'000u);               // but not used yet
  deliver(s, t + 1ms, peer_packet(State::Up, kOurDiscr, 50'000, 50'000));
  EXPECT_EQ(s.detection_time_us(), 300'000u);

  a = deliver(s, t + 2ms, with_final(peer_packet(State::Up, kOurDiscr, 50'000, 50'000)));
  EXPECT_EQ(s.detection_time_us(), 150'000u);
  EXPECT_EQ(armed(a, TimerKind::Detect), t + 2ms + 150ms);  // earlier deadline: re-armed
}

TEST(SessionPoll, FasterTxAndSlowerRxApplyAtOnce) {
  FixedRandom random;
  Session s(fast_config(), random);
  const TimePoint t = settle_up(s, /*peer_us=*/20'000);
  ASSERT_EQ(s.transmit_interval_us(), 100'000u);
  auto a = s.set_timers(t, {50'000, 200'000, 3});
  EXPECT_EQ(s.transmit_interval_us(), 50'000u);
  EXPECT_EQ(s.detection_time_us(), 600'000u);
  EXPECT_TRUE(armed(a, TimerKind::Transmit));  // the shorter interval is honoured now
  EXPECT_TRUE(s.poll_active());
}

TEST(SessionPoll, ASecondChangeWaitsForTheFirstPollAndAClearPacket) {
  FixedRandom random;
  Session s(fast_config(), random);
  const TimePoint t = settle_up(s);
  s.set_timers(t, {200'000, 100'000, 3});
  s.set_timers(t + 1ms, {300'000, 100'000, 3});  // queued (§6.8.3: one change per Poll)
  EXPECT_EQ(s.variables().DesiredMinTxInterval, 200'000u);

  deliver(s, t + 2ms, with_final(peer_packet(State::Up)));
  EXPECT_FALSE(s.poll_active());
  EXPECT_EQ(s.transmit_interval_us(), 200'000u);
  EXPECT_EQ(s.variables().DesiredMinTxInterval, 200'000u);

  deliver(s, t + 3ms, peer_packet(State::Up));  // F clear: the next Poll may start
  EXPECT_TRUE(s.poll_active());
  EXPECT_EQ(s.variables().DesiredMinTxInterval, 300'000u);
  EXPECT_EQ(s.transmit_interval_us(), 200'000u);
  deliver(s, t + 4ms, with_final(peer_packet(State::Up)));
  EXPECT_EQ(s.transmit_interval_us(), 300'000u);
}

TEST(SessionPoll, PeerPollIsAnsweredAtOnceWithFinalOnly) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = bring_up(s, kT0);  // our own Poll is running
  ASSERT_TRUE(s.poll_active());
  auto a = deliver(s, t + 1ms, with_poll(peer_packet(State::Up)));
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_TRUE(tx->packet.final);
  EXPECT_FALSE(tx->packet.poll);  // never P and F together
}

TEST(SessionPoll, PollAnsweredInDownToo) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  auto a = deliver(s, kT0, with_poll(peer_packet(State::Down)));
  auto txs = all_of<Transmit>(a);
  ASSERT_EQ(txs.size(), 1u);  // one packet: the new state and the Final
  EXPECT_TRUE(txs[0].packet.final);
  EXPECT_EQ(txs[0].packet.state, State::Init);
}

TEST(SessionTransmit, ShorterRemoteMinRxIsHonouredImmediately) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = settle_up(s, /*peer_us=*/1'000'000);  // peer: 1 s rx
  ASSERT_EQ(s.transmit_interval_us(), 1'000'000u);
  auto a = s.on_timer(t + 2s, TimerKind::Transmit);
  ASSERT_TRUE(in_transmit_window(armed(a, TimerKind::Transmit), t + 2s, 1s));
  a = deliver(s, t + 2s + 10ms, peer_packet(State::Up, kOurDiscr, 1'000'000, 100'000));
  EXPECT_TRUE(in_transmit_window(armed(a, TimerKind::Transmit), t + 2s, 100ms));  // not t + 3s
}

TEST(SessionTransmit, RemoteMinRxZeroStopsPeriodicPackets) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = settle_up(s);
  auto a = deliver(s, t + 1ms, peer_packet(State::Up, kOurDiscr, 100'000, 0));
  EXPECT_TRUE(cancelled(a, TimerKind::Transmit));
  EXPECT_FALSE(s.periodic_transmission());
  // A Poll is still answered (§6.8.7).
  a = deliver(s, t + 2ms, with_poll(peer_packet(State::Up, kOurDiscr, 100'000, 0)));
  EXPECT_EQ(all_of<Transmit>(a).size(), 1u);
}

TEST(SessionTransmit, JitteredWithinBounds) {
  SeededRandom random(99);
  Session s(fast_config(), random);
  TimePoint t = settle_up(s) + 100ms;  // past the first arming
  for (int i = 0; i < 1000; ++i) {
    auto a = s.on_timer(t, TimerKind::Transmit);
    auto next = armed(a, TimerKind::Transmit);
    ASSERT_TRUE(next);
    EXPECT_GE(*next - t, 75ms);
    EXPECT_LE(*next - t, 100ms);
    t = *next;
  }
}

TEST(SessionTransmit, DetectMultOneJittersTo90Percent) {
  SeededRandom random(5);
  SessionConfig config = fast_config();
  config.detect_mult = 1;
  Session s(config, random);
  TimePoint t = settle_up(s) + 100ms;
  for (int i = 0; i < 1000; ++i) {
    auto next = armed(s.on_timer(t, TimerKind::Transmit), TimerKind::Transmit);
    ASSERT_TRUE(next);
    EXPECT_GE(*next - t, 75ms);
    EXPECT_LE(*next - t, 90ms);
    t = *next;
  }
}

// The loop wakes for something else inside a packet's early part (timers.h,
// transmit_window_opening): the packet leaves then, and the gap from the
// last one still lies in the §6.8.7 window. Before early_from nothing leaves
// and the timer is armed again as it was.
void check_early_transmissions(std::uint8_t mult, std::chrono::milliseconds top) {
  SeededRandom random(8326);
  SessionConfig config = fast_config();
  config.detect_mult = mult;
  Session s(config, random);
  TimePoint last = settle_up(s) + 100ms;
  auto arm = first_of<ArmTimer>(s.on_timer(last, TimerKind::Transmit));
  int early = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(arm);
    ASSERT_EQ(arm->kind, TimerKind::Transmit);
    if (!arm->early_from) {  // aimed at the floor: nothing earlier
      last = arm->at;
      arm = first_of<ArmTimer>(s.on_timer(last, TimerKind::Transmit));
      continue;
    }
    const TimePoint from = *arm->early_from;
    ASSERT_LT(from, arm->at);
    const Actions too_soon = s.transmit_early(from - 1us);
    EXPECT_FALSE(first_of<Transmit>(too_soon));
    ASSERT_TRUE(armed(too_soon, TimerKind::Transmit));
    EXPECT_EQ(*armed(too_soon, TimerKind::Transmit), arm->at);
    EXPECT_TRUE(s.transmit_early(arm->at).empty()) << "due: the timer's own wake-up sends it";
    // Somewhere in the early part, as a wake-up of the loop would fall.
    const TimePoint now = from + (arm->at - from) * (i % 4) / 4;
    const Actions sent = s.transmit_early(now);
    ASSERT_TRUE(first_of<Transmit>(sent));
    ++early;
    EXPECT_GE(now - last, 75ms);
    EXPECT_LE(now - last, top);
    last = now;
    arm = first_of<ArmTimer>(sent);
  }
  EXPECT_GT(early, 500);
}

TEST(SessionTransmitEarly, LeavesInsideTheWindowWhenTheLoopIsAwake) {
  check_early_transmissions(3, 90ms);
}

TEST(SessionTransmitEarly, StaysBelowNinetyPercentWithDetectMultOne) {
  check_early_transmissions(1, 90ms);
}

// A packet that left since the hint (here the Final answering the peer's
// Poll, §6.8.7) moves the window: the hint now is too soon, and nothing
// leaves. With periodic transmission stopped, nothing at all.
TEST(SessionTransmitEarly, NothingLeavesWhenThePacketIsNoLongerDue) {
  SeededRandom random(4);
  Session s(fast_config(), random);
  TimePoint t = settle_up(s) + 100ms;
  std::optional<ArmTimer> arm;
  for (int i = 0; i < 100 && !(arm && arm->early_from); ++i) {
    arm = first_of<ArmTimer>(s.on_timer(t, TimerKind::Transmit));
    ASSERT_TRUE(arm);
    t = arm->at;
  }
  ASSERT_TRUE(arm && arm->early_from);
  const TimePoint from = *arm->early_from;
  auto answered = deliver(s, from - 1ms, with_poll(peer_packet(State::Up)));
  ASSERT_TRUE(first_of<Transmit>(answered));
  ASSERT_TRUE(first_of<Transmit>(answered)->packet.final);
  const Actions hint = s.transmit_early(from);
  EXPECT_FALSE(first_of<Transmit>(hint));

  deliver(s, from, peer_packet(State::Up, kOurDiscr, 100'000, 0));  // Required Min RX 0
  EXPECT_TRUE(s.transmit_early(from + 20ms).empty());
}

// A packet that left later than the session sent it (a batch held up by a
// stall): the next one is timed from when it left, so the gap on the wire
// stays inside the §6.8.7 window; a delay within a quarter of the grid step
// (100 ms interval: 2 ms step, timers.h) changes nothing.
// Every packet that moves the Detection Time's end re-arms the timer there
// (not lazily at expiry): the timer only fires on a real timeout.
TEST(SessionDetect, EachPacketReArmsTheDetectionTimerAtItsNewDeadline) {
  SeededRandom random(3);
  Session s(fast_config(), random);
  TimePoint t = settle_up(s);
  for (int i = 1; i <= 5; ++i) {
    const TimePoint at = t + i * 40ms;
    auto a = deliver(s, at, peer_packet(State::Up, kOurDiscr, 100'000, 100'000));
    EXPECT_EQ(armed(a, TimerKind::Detect), at + 300ms) << "packet " << i;
  }
}

// A packet handled 5 ms after it reached the host (RxMeta::arrived: the
// loop was busy, or the polled receive tick) counts from its arrival: the
// Detection Time is not lengthened by the wait. An arrival "after" now
// counts as now, and one before an earlier packet's never moves the
// deadline back.
TEST(SessionDetect, TheDetectionTimeRunsFromWhenThePacketArrived) {
  SeededRandom random(3);
  Session s(fast_config(), random);
  const TimePoint t = settle_up(s);
  const auto up = peer_packet(State::Up, kOurDiscr, 100'000, 100'000);
  auto a = deliver(s, t + 45ms, up, {}, 255, t + 40ms);
  EXPECT_EQ(armed(a, TimerKind::Detect), t + 40ms + 300ms);
  EXPECT_EQ(s.detection_deadline(), t + 40ms + 300ms);
  a = deliver(s, t + 80ms, up, {}, 255, t + 90ms);
  EXPECT_EQ(s.detection_deadline(), t + 80ms + 300ms);
  a = deliver(s, t + 100ms, up, {}, 255, t + 70ms);  // stamped before the last one
  EXPECT_EQ(s.detection_deadline(), t + 80ms + 300ms);
  const auto detect = armed(a, TimerKind::Detect);
  EXPECT_TRUE(!detect || *detect == t + 80ms + 300ms);
}

TEST(SessionTransmit, NextPacketIsTimedFromWhenTheLastOneReallyLeft) {
  SeededRandom random(11);
  Session s(fast_config(), random);
  TimePoint t = settle_up(s) + 100ms;
  for (int i = 0; i < 200; ++i) {
    auto next = armed(s.on_timer(t, TimerKind::Transmit), TimerKind::Transmit);
    ASSERT_TRUE(next);
    EXPECT_TRUE(s.transmission_left(t + 400us).empty());  // under 0.5 ms: as armed
    const TimePoint left = t + 4ms;                        // held up 4 ms
    auto moved = armed(s.transmission_left(left), TimerKind::Transmit);
    ASSERT_TRUE(moved);
    EXPECT_GE(*moved - left, 75ms);
    EXPECT_LE(*moved - left, 100ms);
    EXPECT_TRUE(s.transmission_left(left).empty());  // told twice: once is enough
    t = *moved;
  }
}

TEST(SessionTransmit, LargestGapIsMeasuredFromWhenAPacketReallyLeft) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  s.on_timer(kT0 + 1s, TimerKind::Transmit);
  s.transmission_left(kT0 + 1s + 30ms);       // it left 30 ms late
  s.on_timer(kT0 + 2500ms, TimerKind::Transmit);  // the loop was late
  EXPECT_EQ(s.counters().max_tx_gap, Microseconds{1'470'000});
}

TEST(SessionTransmit, LargestGapIsCounted) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  s.on_timer(kT0 + 1s, TimerKind::Transmit);
  s.on_timer(kT0 + 2500ms, TimerKind::Transmit);  // the loop was late
  s.on_timer(kT0 + 3500ms, TimerKind::Transmit);
  EXPECT_EQ(s.counters().max_tx_gap, Microseconds{1'500'000});
  EXPECT_EQ(s.counters().packets_out, 4u);
}

TEST(SessionDemand, PeerDemandStopsPeriodicTransmission) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = settle_up(s);
  ControlPacket demand = peer_packet(State::Up);
  demand.demand = true;

  auto a = deliver(s, t + 1ms, demand);
  EXPECT_TRUE(cancelled(a, TimerKind::Transmit));
  EXPECT_TRUE(s.remote_demand_active());
  EXPECT_FALSE(s.periodic_transmission());
  EXPECT_TRUE(s.on_timer(t + 1s, TimerKind::Transmit).empty());

  // The peer polls to verify connectivity: answered with F regardless.
  a = deliver(s, t + 2s, with_poll(demand));
  auto tx = first_of<Transmit>(a);
  ASSERT_TRUE(tx);
  EXPECT_TRUE(tx->packet.final);
  EXPECT_FALSE(armed(a, TimerKind::Transmit));

  // Our own parameter change needs a Poll: periodic packets resume with P
  // until the Final, then stop again.
  a = s.set_timers(t + 3s, {200'000, 100'000, 3});
  EXPECT_TRUE(armed(a, TimerKind::Transmit));
  EXPECT_TRUE(first_of<Transmit>(s.on_timer(t + 3s + 100ms, TimerKind::Transmit))->packet.poll);
  a = deliver(s, t + 3s + 101ms, with_final(demand));
  EXPECT_TRUE(cancelled(a, TimerKind::Transmit));

  // The peer leaves Demand mode: periodic transmission resumes at once.
  a = deliver(s, t + 4s, peer_packet(State::Up));
  EXPECT_EQ(armed(a, TimerKind::Transmit), t + 4s);
  EXPECT_TRUE(s.periodic_transmission());
}

TEST(SessionDemand, DetectMultChangeIsPolledWhenThePeerIsInDemandMode) {
  FixedRandom random;
  Session s(fast_config(), random);
  TimePoint t = settle_up(s);
  ControlPacket demand = peer_packet(State::Up);
  demand.demand = true;
  deliver(s, t + 1ms, demand);
  auto a = s.set_timers(t + 2ms, {100'000, 100'000, 5});
  EXPECT_TRUE(s.poll_active());
  EXPECT_TRUE(armed(a, TimerKind::Transmit));
}

TEST(SessionDemand, IgnoredUnlessBothAreUp) {
  FixedRandom random;
  Session s(fast_config(), random);
  s.start(kT0);
  ControlPacket demand = peer_packet(State::Down);
  demand.demand = true;
  deliver(s, kT0, demand);  // we go Init: not Up
  EXPECT_FALSE(s.remote_demand_active());
  EXPECT_TRUE(s.periodic_transmission());
}

}  // namespace
}  // namespace fbf::bfd
