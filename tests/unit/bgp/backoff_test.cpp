// ConnectRetryTimer backoff with jitter (RFC 4271 §8, §10), peer oscillation
// damping (IdleHoldTimer) and the passive mode.
#include <gtest/gtest.h>

#include "bgp/backoff.h"
#include "fsm_test_support.h"

namespace fbf::bgp {
namespace {

using namespace test;
using D = Direction;

const std::vector<Duration> kBases{5s, 10s, 20s, 40s, 60s, 60s};

TEST(Backoff, BaseDoublesUpToTheMaximum) {
  BackoffConfig c;
  for (std::uint32_t i = 0; i < kBases.size(); ++i) EXPECT_EQ(connect_retry_base(c, i), kBases[i]);
  EXPECT_EQ(connect_retry_base(c, 1000), 60s);
}

TEST(Backoff, JitterStaysWithinAQuarterAndTheCap) {
  BackoffConfig c;
  FakeRandom r;
  for (std::uint32_t retries = 0; retries < 6; ++retries) {
    Duration base = connect_retry_base(c, retries);
    Duration lo = base, hi = Duration{0};
    for (int i = 0; i < 2000; ++i) {
      Duration d = connect_retry_delay(c, retries, r.next_u32());
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    EXPECT_GE(lo, base * 3 / 4);
    EXPECT_LE(hi, std::min<Duration>(base * 5 / 4, 60s));
    EXPECT_LT(lo, base * 8 / 10);  // the draws do spread
  }
  EXPECT_EQ(connect_retry_delay(c, 0, 0), 3750ms);
  EXPECT_EQ(connect_retry_delay(c, 0, 500'000), 6250ms);
  EXPECT_EQ(rfc4271_jitter(30s, 0), 22500ms);
  EXPECT_EQ(rfc4271_jitter(30s, 250'000), 30s);
}

// Every attempt refused: the ConnectRetryTimer is re-armed at 5, 10, 20, 40,
// 60, 60 s (each ±25 %, at most 60 s).
TEST(Backoff, SessionRetriesGrowAfterFailedConnects) {
  Harness h;
  h.start();
  for (std::size_t i = 0; i < kBases.size(); ++i) {
    auto at = armed(h.last, TimerKind::ConnectRetry);
    ASSERT_TRUE(at) << "attempt " << i;
    EXPECT_EQ(count<Connect>(h.last), 1u);
    Duration d = since(h.now, *at);
    EXPECT_GE(d, kBases[i] * 3 / 4) << "attempt " << i;
    EXPECT_LE(d, std::min<Duration>(kBases[i] * 5 / 4, 60s)) << "attempt " << i;
    h.advance(20ms);
    h.last = h.session.on_connect_failed(h.now);  // Event 18: wait in Active
    EXPECT_EQ(h.session.state(), State::Active);
    EXPECT_EQ(count<Connect>(h.last), 0u);
    h.advance_to(*at);
    h.timer(TimerKind::ConnectRetry);  // Event 9: Connect
    EXPECT_EQ(h.session.state(), State::Connect);
  }
  EXPECT_EQ(h.session.counters().connect_attempts, kBases.size() + 1);
  EXPECT_EQ(h.session.counters().connect_failures, kBases.size());
}

TEST(Backoff, AttemptsThatTimeOutAreAbortedAndBackOffToo) {
  Harness h;
  h.start();
  for (std::size_t i = 1; i < 4; ++i) {
    h.advance_to(*h.session.timer_deadline(TimerKind::ConnectRetry));
    h.timer(TimerKind::ConnectRetry);
    EXPECT_TRUE(disconnected(h.last, D::outbound));  // the old attempt
    EXPECT_EQ(count<Connect>(h.last), 1u);
    Duration d = since(h.now, *armed(h.last, TimerKind::ConnectRetry));
    EXPECT_GE(d, kBases[i] * 3 / 4);
    EXPECT_LE(d, kBases[i] * 5 / 4);
  }
}

// Drive the retry counter up, then let a session stay up `uptime` and drop.
Duration retry_after_drop(Duration uptime) {
  Harness h;
  h.start();
  for (int i = 0; i < 4; ++i) {
    h.last = h.session.on_connect_failed(h.now);
    h.advance_to(*h.session.timer_deadline(TimerKind::ConnectRetry));
    h.timer(TimerKind::ConnectRetry);
  }
  EXPECT_EQ(h.session.connect_retry_counter(), 4u);
  h.establish();
  h.advance(uptime);
  h.last = h.session.on_closed(h.now, D::outbound);  // the connection is lost
  EXPECT_EQ(h.session.state(), State::Active);
  return since(h.now, *armed(h.last, TimerKind::ConnectRetry));
}

TEST(Backoff, AStableSessionResetsTheBackoff) {
  Duration d = retry_after_drop(61s);
  EXPECT_GE(d, 3750ms);
  EXPECT_LE(d, 6250ms);
}

TEST(Backoff, AnUnstableSessionKeepsBackingOff) {
  Duration d = retry_after_drop(10s);
  EXPECT_GE(d, 45s);  // base 60 s after five failures
  EXPECT_LE(d, 60s);
}

TEST(Damping, TriggersAfterThresholdDropsWithinTheWindow) {
  DampingConfig c;
  Damping d(c);
  d.record_drop(kT0, 10s);
  EXPECT_FALSE(d.idle_hold(kT0));
  d.record_drop(kT0 + 10s, 10s);
  d.record_drop(kT0 + 20s, 10s);
  EXPECT_EQ(d.idle_hold(kT0 + 20s), 30s);
  EXPECT_FALSE(d.idle_hold(kT0 + 21s));  // history cleared
  for (int i = 0; i < 3; ++i) d.record_drop(kT0 + 100s + i * 1s, 5s);
  EXPECT_EQ(d.idle_hold(kT0 + 103s), 60s);  // doubled
  EXPECT_EQ(d.dampings(), 2u);
}

TEST(Damping, OldDropsAndStableSessionsDoNotCount) {
  Damping d{DampingConfig{}};
  d.record_drop(kT0, 10s);
  d.record_drop(kT0 + 10s, 10s);
  d.record_drop(kT0 + 400s, 10s);  // the first two are out of the 300 s window
  EXPECT_FALSE(d.idle_hold(kT0 + 400s));
  d.record_drop(kT0 + 401s, 10s);
  d.record_drop(kT0 + 402s, 301s);  // up a whole window: stable, history restarts
  EXPECT_EQ(d.recent_drops(kT0 + 402s), 1u);
  EXPECT_FALSE(d.idle_hold(kT0 + 402s));
}

TEST(Damping, SessionStaysIdleForTheIdleHoldTime) {
  Harness h;
  for (int drop = 0; drop < 3; ++drop) {
    h.establish();
    h.advance(5s);
    h.last = h.session.on_closed(h.now, D::outbound);
    if (drop < 2) {
      EXPECT_EQ(h.session.state(), State::Active);
      h.advance_to(*h.session.timer_deadline(TimerKind::ConnectRetry));
      h.timer(TimerKind::ConnectRetry);
    }
  }
  // Third drop within the window: Idle, IdleHoldTimer, nothing else.
  EXPECT_EQ(h.session.state(), State::Idle);
  auto hold = armed(h.last, TimerKind::IdleHold);
  ASSERT_TRUE(hold);
  EXPECT_EQ(since(h.now, *hold), 30s);
  EXPECT_FALSE(armed(h.last, TimerKind::ConnectRetry));
  auto changes = all<StateChanged>(h.last);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_NE(changes[0].reason.text.find("idle hold 30.0s"), std::string::npos);
  EXPECT_EQ(h.session.counters().idle_holds, 1u);
  // Idle refuses connections (RFC 4271 §8.2.2).
  EXPECT_FALSE(h.session.accepts(D::inbound));
  h.connected(D::inbound);
  EXPECT_EQ(count<Refuse>(h.last), 1u);
  // IdleHoldTimer_Expires: AutomaticStart.
  h.advance_to(*hold);
  h.timer(TimerKind::IdleHold);
  EXPECT_EQ(count<Connect>(h.last), 1u);
  EXPECT_EQ(h.session.state(), State::Connect);
  ASSERT_EQ(all<StateChanged>(h.last).size(), 1u);
  EXPECT_EQ(all<StateChanged>(h.last)[0].reason.event, Event::IdleHoldTimer_Expires);
}

TEST(Damping, AnAdministrativeResetIsNotADrop) {
  Damping d{DampingConfig{}};
  d.record_drop(kT0, 10s);
  d.record_drop(kT0 + 10s, 10s);
  d.record_administrative_reset(10s);
  EXPECT_EQ(d.recent_drops(kT0 + 20s), 2u);
  EXPECT_FALSE(d.idle_hold(kT0 + 20s));
  d.record_administrative_reset(301s);  // up a whole window: stable all the same
  EXPECT_EQ(d.recent_drops(kT0 + 400s), 0u);
}

// The router's NOTIFICATION ends each of three sessions within five minutes.
// RFC 4486 §4: damping is RECOMMENDED after Administrative Shutdown, Peer
// De-configured, Connection Rejected and Out of Resources (a peer going away,
// e.g. BIRD or FRR stopping), not after a reset that asks for the session
// again; BFD Down (RFC 9384) is a failure.
struct CeaseCase {
  CeaseSubcode subcode;
  bool damped;
};

class DampingAfterCease : public ::testing::TestWithParam<CeaseCase> {};

TEST_P(DampingAfterCease, OnlyAPeerGoingAwayCounts) {
  const CeaseCase c = GetParam();
  Harness h;
  for (int drop = 0; drop < 3; ++drop) {
    h.establish();
    h.advance(5s);
    h.bytes(D::outbound, encode_notification(make_cease(c.subcode)));
    if (drop < 2) {
      ASSERT_EQ(h.session.state(), State::Active) << "drop " << drop;
      h.advance_to(*h.session.timer_deadline(TimerKind::ConnectRetry));
      h.timer(TimerKind::ConnectRetry);
    }
  }
  std::string text;
  for (const StateChanged& change : all<StateChanged>(h.last)) {
    if (change.from == State::Established) text = change.reason.text;
  }
  ASSERT_FALSE(text.empty());
  if (c.damped) {
    EXPECT_EQ(h.session.state(), State::Idle);
    EXPECT_TRUE(armed(h.last, TimerKind::IdleHold));
    EXPECT_EQ(h.session.counters().idle_holds, 1u);
    EXPECT_EQ(h.session.counters().administrative_resets, 0u);
  } else {
    EXPECT_EQ(h.session.state(), State::Active);
    EXPECT_FALSE(armed(h.last, TimerKind::IdleHold));
    // The backoff starts over: the first retry delay, not the fourth's 40 s.
    auto retry = armed(h.last, TimerKind::ConnectRetry);
    ASSERT_TRUE(retry);
    EXPECT_LE(since(h.now, *retry), 5s * 5 / 4);
    EXPECT_EQ(h.session.counters().idle_holds, 0u);
    EXPECT_EQ(h.session.counters().administrative_resets, 3u);
    EXPECT_EQ(h.session.damping().recent_drops(h.now), 0u);
    EXPECT_NE(text.find("not counted towards damping"), std::string::npos) << text;
  }
  EXPECT_EQ(h.session.counters().session_drops, 3u);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4486, DampingAfterCease,
    ::testing::Values(CeaseCase{CeaseSubcode::administrative_reset, false},
                      CeaseCase{CeaseSubcode::other_configuration_change, false},
                      CeaseCase{CeaseSubcode::administrative_shutdown, true},
                      CeaseCase{CeaseSubcode::peer_deconfigured, true},
                      CeaseCase{CeaseSubcode::connection_rejected, true},
                      CeaseCase{CeaseSubcode::out_of_resources, true},
                      CeaseCase{CeaseSubcode::bfd_down, true}),
    [](const ::testing::TestParamInfo<CeaseCase>& i) {
      return std::to_string(static_cast<int>(i.param.subcode)) +
             (i.param.damped ? "_damped" : "_not_damped");
    });

TEST(Damping, ManualStopAndStartForgetTheHistory) {
  Harness h;
  for (int drop = 0; drop < 3; ++drop) {
    h.establish();
    h.last = h.session.on_closed(h.now, D::outbound);
    if (drop < 2) {
      h.advance_to(*h.session.timer_deadline(TimerKind::ConnectRetry));
      h.timer(TimerKind::ConnectRetry);
    }
  }
  ASSERT_TRUE(h.session.timer_deadline(TimerKind::IdleHold));
  h.last = h.session.stop(h.now);
  EXPECT_TRUE(cancelled(h.last, TimerKind::IdleHold));
  h.start();
  EXPECT_EQ(count<Connect>(h.last), 1u);
  EXPECT_EQ(h.session.damping().recent_drops(h.now), 0u);
}

// The peer shows it is up by other means (its BFD packets) while the
// backoff has grown: connect now, the backoff from the start, and at most
// once per connect_retry.initial.
TEST(PeerAlive, ConnectsAtOnceAndStartsTheBackoffOver) {
  Harness h;
  h.start();
  for (int i = 0; i < 4; ++i) {  // refused four times: the next try is ~60 s away
    h.last = h.session.on_connect_failed(h.now);
    h.advance_to(*h.session.timer_deadline(TimerKind::ConnectRetry));
    h.timer(TimerKind::ConnectRetry);
  }
  h.last = h.session.on_connect_failed(h.now);
  ASSERT_EQ(h.session.state(), State::Active);
  ASSERT_GE(since(h.now, *h.session.timer_deadline(TimerKind::ConnectRetry)), 45s);

  h.advance(3s);
  h.last = h.session.peer_alive(h.now, "its BFD");
  EXPECT_EQ(count<Connect>(h.last), 1u);
  EXPECT_EQ(h.session.state(), State::Connect);
  EXPECT_EQ(h.session.connect_retry_counter(), 0u);
  auto changes = all<StateChanged>(h.last);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].reason.text.rfind("its BFD: connecting now", 0), 0u) << changes[0].reason.text;

  // Refused again (the router's BGP is not listening yet): the next retry is
  // the first one's, 5 s ± 25 %, and the peer being heard again within 5 s
  // does not connect once more.
  h.last = h.session.on_connect_failed(h.now);
  EXPECT_LE(since(h.now, *h.session.timer_deadline(TimerKind::ConnectRetry)), 12500ms);
  h.advance(4s);
  EXPECT_EQ(count<Connect>(h.session.peer_alive(h.now, "its BFD")), 0u);
  h.advance(1s);
  EXPECT_EQ(count<Connect>(h.session.peer_alive(h.now, "its BFD")), 1u);
}

TEST(PeerAlive, DoesNothingUnlessWaitingToRetry) {
  Harness h;
  EXPECT_TRUE(h.session.peer_alive(h.now, "x").empty());  // stopped: Idle
  h.start();                                             // connecting
  EXPECT_EQ(count<Connect>(h.session.peer_alive(h.now, "x")), 0u);
  h.establish();
  EXPECT_TRUE(h.session.peer_alive(h.now, "x").empty());

  SessionConfig passive = default_config();
  passive.passive = true;
  Harness p(passive);
  p.start();
  EXPECT_TRUE(p.session.peer_alive(p.now, "x").empty());

  Harness damped;  // three drops: Idle for the IdleHoldTime (§8.2.2)
  for (int drop = 0; drop < 3; ++drop) {
    damped.establish();
    damped.last = damped.session.on_closed(damped.now, D::outbound);
    if (drop < 2) {
      damped.advance_to(*damped.session.timer_deadline(TimerKind::ConnectRetry));
      damped.timer(TimerKind::ConnectRetry);
    }
  }
  ASSERT_EQ(damped.session.state(), State::Idle);
  EXPECT_TRUE(damped.session.peer_alive(damped.now, "x").empty());
}

TEST(Passive, NeverConnects) {
  SessionConfig c = default_config();
  c.passive = true;
  Harness h(c);
  h.start();
  // ManualStart_with_PassiveTcpEstablishment (Event 4): Active, no timer.
  EXPECT_EQ(transitions(h.last), (std::vector<std::pair<State, State>>{{State::Idle, State::Active}}));
  EXPECT_EQ(all<StateChanged>(h.last)[0].reason.event,
            Event::ManualStart_with_PassiveTcpEstablishment);
  EXPECT_EQ(count<Connect>(h.last), 0u);
  EXPECT_FALSE(armed(h.last, TimerKind::ConnectRetry));
  EXPECT_FALSE(h.session.accepts(D::outbound));
  EXPECT_TRUE(h.session.accepts(D::inbound));
  h.advance(1h);
  h.timer(TimerKind::ConnectRetry);
  EXPECT_TRUE(h.last.empty());

  h.establish(D::inbound);
  h.last = h.session.on_closed(h.now, D::inbound);
  EXPECT_EQ(h.session.state(), State::Active);
  EXPECT_EQ(count<Connect>(h.last), 0u);
  EXPECT_FALSE(armed(h.last, TimerKind::ConnectRetry));
  EXPECT_TRUE(h.session.accepts(D::inbound));
}

}  // namespace
}  // namespace fbf::bgp
