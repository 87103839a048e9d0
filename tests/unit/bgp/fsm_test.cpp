// The BGP FSM step by step against RFC 4271 §8.2.2, with a fake clock: every
// message the peer sends is made by the codec, every action checked.
#include <gtest/gtest.h>

#include "bgp/session.h"
#include "bgp/update.h"
#include "fsm_test_support.h"

namespace fbf::bgp {
namespace {

using namespace test;
using D = Direction;

TEST(Fsm, ActiveOpenToEstablished) {
  Harness h;
  // Idle, ManualStart (Event 1): ConnectRetryTimer, connect, Connect.
  h.start();
  EXPECT_EQ(count<Connect>(h.last), 1u);
  auto retry = armed(h.last, TimerKind::ConnectRetry);
  ASSERT_TRUE(retry);
  EXPECT_GE(since(h.now, *retry), 3750ms);
  EXPECT_LE(since(h.now, *retry), 6250ms);
  ASSERT_EQ(transitions(h.last), (std::vector<std::pair<State, State>>{{State::Idle, State::Connect}}));
  EXPECT_EQ(all<StateChanged>(h.last)[0].reason.event, Event::ManualStart);

  // Connect, Tcp_CR_Acked (Event 16): stop ConnectRetryTimer, OPEN, HoldTimer
  // to a large value (4 minutes), OpenSent.
  h.advance(100ms);
  h.connected(D::outbound);
  EXPECT_TRUE(cancelled(h.last, TimerKind::ConnectRetry));
  auto msgs = sent(h.last, D::outbound);
  ASSERT_EQ(msgs.size(), 1u);
  auto our_open = decode_open(msgs[0]);
  ASSERT_TRUE(our_open);
  EXPECT_EQ(our_open->my_as, kLocalAs);
  EXPECT_EQ(our_open->hold_time, 90);
  EXPECT_EQ(our_open->bgp_identifier, kLocalId);
  EXPECT_EQ(our_open->capabilities.four_octet_as, kLocalAs);
  EXPECT_TRUE(our_open->capabilities.supports(kIpv6Unicast));
  EXPECT_TRUE(our_open->capabilities.route_refresh);
  EXPECT_EQ(armed(h.last, TimerKind::HoldOutbound), h.now + 240s);
  EXPECT_EQ(h.session.state(), State::OpenSent);

  // OpenSent, BGPOpen (Event 19): KEEPALIVE, KeepaliveTimer, HoldTimer
  // negotiated (min(90, 180) = 90), OpenConfirm.
  h.advance(50ms);
  h.bytes(D::outbound, peer_open({.hold = 180}));
  EXPECT_EQ(sent_types(h.last, D::outbound), std::vector<MessageType>{MessageType::keepalive});
  EXPECT_EQ(armed(h.last, TimerKind::HoldOutbound), h.now + 90s);
  auto ka = armed(h.last, TimerKind::KeepaliveOutbound);
  ASSERT_TRUE(ka);
  EXPECT_GE(since(h.now, *ka), 22500ms);  // §10: 30 s with 0.75..1.0 jitter
  EXPECT_LE(since(h.now, *ka), 30s);
  EXPECT_EQ(h.session.state(), State::OpenConfirm);

  // OpenConfirm, KeepAliveMsg (Event 26): Established.
  h.bytes(D::outbound, encode_keepalive());
  ASSERT_EQ(transitions(h.last),
            (std::vector<std::pair<State, State>>{{State::OpenConfirm, State::Established}}));
  auto up = all<SessionEstablished>(h.last);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].info.peer_as, kPeerAs);
  EXPECT_EQ(up[0].info.peer_bgp_identifier, kPeerId);
  EXPECT_EQ(up[0].info.hold_time, 90);
  EXPECT_EQ(up[0].info.keepalive_time, 30s);
  EXPECT_TRUE(up[0].info.negotiated.ipv4_unicast);
  EXPECT_TRUE(up[0].info.negotiated.ipv6_unicast);
  EXPECT_TRUE(up[0].info.negotiated.four_octet_as);
  EXPECT_TRUE(up[0].info.negotiated.enhanced_route_refresh);
  EXPECT_FALSE(up[0].info.ibgp);

  const SessionCounters& c = h.session.counters();
  EXPECT_EQ(c.messages_out[1], 1u);  // OPEN
  EXPECT_EQ(c.messages_out[4], 1u);  // KEEPALIVE
  EXPECT_EQ(c.messages_in[1], 1u);
  EXPECT_EQ(c.messages_in[4], 1u);
  EXPECT_EQ(c.established_transitions, 1u);
  EXPECT_EQ(c.established_since, h.now);
  ASSERT_TRUE(h.session.established());
}

TEST(Fsm, HoldTimeIsTheSmallerOfBoth) {
  Harness h;
  h.start();
  h.connected();
  h.bytes(D::outbound, peer_open({.hold = 30}));
  EXPECT_EQ(armed(h.last, TimerKind::HoldOutbound), h.now + 30s);
  auto ka = armed(h.last, TimerKind::KeepaliveOutbound);
  ASSERT_TRUE(ka);
  EXPECT_GE(since(h.now, *ka), 7500ms);
  EXPECT_LE(since(h.now, *ka), 10s);
}

TEST(Fsm, HoldTimerExpiryInEstablishedSendsNotificationAndCloses) {
  Harness h;
  h.establish();
  TimePoint deadline = *h.session.timer_deadline(TimerKind::HoldOutbound);
  h.advance_to(deadline);
  h.timer(TimerKind::HoldOutbound);
  // Event 10: NOTIFICATION Hold Timer Expired, drop the connection, Idle.
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 4);
  EXPECT_EQ(n->subcode, 0);
  EXPECT_TRUE(disconnected(h.last, D::outbound));
  EXPECT_TRUE(cancelled(h.last, TimerKind::KeepaliveOutbound));
  auto changes = all<StateChanged>(h.last);
  ASSERT_GE(changes.size(), 1u);
  EXPECT_EQ(changes[0].from, State::Established);
  EXPECT_EQ(changes[0].to, State::Idle);
  EXPECT_EQ(changes[0].reason.event, Event::HoldTimer_Expires);
  EXPECT_EQ(changes[0].reason.text,
            "hold timer expired; NOTIFICATION sent Hold Timer Expired/Unspecific (4/0)");
  EXPECT_TRUE(changes[0].reason.notification_sent);
  auto down = all<SessionDown>(h.last);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].uptime, 90s);
  // Then an automatic restart that waits for the ConnectRetryTimer in Active.
  EXPECT_EQ(h.session.state(), State::Active);
  EXPECT_TRUE(armed(h.last, TimerKind::ConnectRetry));
  EXPECT_EQ(h.session.counters().notifications_sent_by_code[4], 1u);
}

TEST(Fsm, ReceivedMessagesRestartTheHoldTimer) {
  Harness h;
  h.establish();
  TimePoint start = h.now;
  h.advance(60s);
  h.bytes(D::outbound, encode_keepalive());
  EXPECT_TRUE(h.last.empty());  // no timer action per message
  h.advance_to(start + 90s);
  h.timer(TimerKind::HoldOutbound);
  EXPECT_EQ(h.session.state(), State::Established);
  EXPECT_EQ(armed(h.last, TimerKind::HoldOutbound), start + 150s);
}

// Lets `count` KeepaliveTimers expire (the peer's keepalives keep the hold
// timer happy) and returns each gap between a KEEPALIVE sent and the next
// arming of the timer.
std::vector<Duration> keepalive_gaps(Harness& h, int count) {
  std::vector<Duration> gaps;
  for (int i = 0; i < count; ++i) {
    TimePoint due = *h.session.timer_deadline(TimerKind::KeepaliveOutbound);
    h.bytes(D::outbound, encode_keepalive());
    h.advance_to(due);
    TimePoint sent_at = h.now;
    h.timer(TimerKind::KeepaliveOutbound);
    EXPECT_EQ(sent_types(h.last, D::outbound), std::vector<MessageType>{MessageType::keepalive});
    auto next = armed(h.last, TimerKind::KeepaliveOutbound);
    if (!next) {
      ADD_FAILURE() << "KeepaliveTimer not re-armed";
      break;
    }
    gaps.push_back(since(sent_at, *next));
  }
  return gaps;
}

TEST(Fsm, KeepalivesAtOneThirdOfTheHoldTime) {
  Harness h;
  h.establish();
  const auto gaps = keepalive_gaps(h, 5);
  ASSERT_EQ(gaps.size(), 5u);
  for (Duration gap : gaps) {
    EXPECT_GE(gap, 22500ms);
    EXPECT_LE(gap, 30s);
  }
}

// §4.4: "KEEPALIVE messages MUST NOT be sent more frequently than one per
// second" — with a 3 s hold time the keepalive time is 1 s, and the §10
// jitter (75-100 %) must not bring it below that.
TEST(Fsm, KeepalivesNeverMoreOftenThanOncePerSecond) {
  SessionConfig c = default_config();
  c.hold_time = 3;
  Harness h(c);
  h.random.script = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // the largest reduction jitter can draw
  PeerSpec peer;
  peer.hold = 3;
  h.establish(Direction::outbound, peer);
  const auto gaps = keepalive_gaps(h, 5);
  ASSERT_EQ(gaps.size(), 5u);
  for (Duration gap : gaps) EXPECT_GE(gap, 1s);
}

TEST(Fsm, SendingAnUpdateRestartsTheKeepaliveTimer) {
  Harness h;
  h.establish();
  TimePoint due = *h.session.timer_deadline(TimerKind::KeepaliveOutbound);
  h.advance(10s);
  TimePoint update_at = h.now;
  std::vector<std::vector<std::uint8_t>> updates{encode_end_of_rib(kIpv4Unicast)};
  h.last = h.session.send_updates(h.now, updates);
  EXPECT_EQ(sent_types(h.last, D::outbound), std::vector<MessageType>{MessageType::update});
  EXPECT_FALSE(armed(h.last, TimerKind::KeepaliveOutbound));  // lazy
  h.advance_to(due);
  h.timer(TimerKind::KeepaliveOutbound);
  EXPECT_TRUE(sent(h.last, D::outbound).empty());
  auto next = armed(h.last, TimerKind::KeepaliveOutbound);
  ASSERT_TRUE(next);
  EXPECT_GE(since(update_at, *next), 22500ms);
  EXPECT_LE(since(update_at, *next), 30s);
  EXPECT_EQ(h.session.counters().updates_out(), 1u);
}

TEST(Fsm, HoldTimeZeroRunsNeitherKeepalivesNorHoldTimer) {
  Harness h;
  h.start();
  h.connected();
  h.bytes(D::outbound, peer_open({.hold = 0}));
  // §8.2.2: "If the negotiated hold time value is zero, then the HoldTimer
  // and KeepaliveTimer are not started" (the OpenSent one is stopped).
  EXPECT_TRUE(cancelled(h.last, TimerKind::HoldOutbound));
  EXPECT_FALSE(armed(h.last, TimerKind::HoldOutbound));
  EXPECT_FALSE(armed(h.last, TimerKind::KeepaliveOutbound));
  EXPECT_EQ(sent_types(h.last, D::outbound), std::vector<MessageType>{MessageType::keepalive});
  h.bytes(D::outbound, encode_keepalive());
  ASSERT_EQ(h.session.state(), State::Established);
  EXPECT_EQ(h.session.established()->hold_time, 0);
  EXPECT_EQ(h.session.established()->keepalive_time, 0s);
  EXPECT_FALSE(h.session.timer_deadline(TimerKind::HoldOutbound));
  EXPECT_FALSE(h.session.timer_deadline(TimerKind::KeepaliveOutbound));
  h.advance(24h);
  h.timer(TimerKind::HoldOutbound);
  h.timer(TimerKind::KeepaliveOutbound);
  EXPECT_TRUE(h.last.empty());
  EXPECT_EQ(h.session.state(), State::Established);
}

TEST(Fsm, OurHoldTimeZeroWinsToo) {
  SessionConfig c = default_config();
  c.hold_time = 0;
  Harness h(c);
  h.start();
  h.connected();
  EXPECT_EQ(decode_open(sent(h.last, D::outbound)[0])->hold_time, 0);
  h.bytes(D::outbound, peer_open({.hold = 90}));
  EXPECT_FALSE(armed(h.last, TimerKind::KeepaliveOutbound));
}

TEST(Fsm, OpenSentHoldTimerOfFourMinutes) {
  Harness h;
  h.start();
  h.connected();
  TimePoint at = *armed(h.last, TimerKind::HoldOutbound);
  EXPECT_EQ(at, h.now + 240s);
  h.advance(239s);
  h.timer(TimerKind::HoldOutbound);  // early: nothing happens but re-arming
  EXPECT_TRUE(sent(h.last, D::outbound).empty());
  EXPECT_EQ(armed(h.last, TimerKind::HoldOutbound), at);
  h.advance_to(at);
  h.timer(TimerKind::HoldOutbound);
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 4);
}

TEST(Fsm, ManualStopSendsCeaseAdministrativeShutdownWithMessage) {
  Harness h;
  h.establish();
  h.advance(5s);
  h.last = h.session.stop(h.now, CeaseSubcode::administrative_shutdown, "planned maintenance");
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 6);
  EXPECT_EQ(n->subcode, 2);
  auto comm = shutdown_communication(*n);
  ASSERT_TRUE(comm);
  EXPECT_EQ(comm->text, "planned maintenance");  // RFC 9003 §2
  EXPECT_TRUE(disconnected(h.last, D::outbound));
  auto changes = all<StateChanged>(h.last);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, State::Idle);
  EXPECT_EQ(changes[0].reason.event, Event::ManualStop);
  EXPECT_NE(changes[0].reason.text.find("Cease/Administrative Shutdown (6/2) 'planned maintenance'"),
            std::string::npos);
  ASSERT_EQ(count<SessionDown>(h.last), 1u);
  EXPECT_EQ(all<SessionDown>(h.last)[0].uptime, 5s);
  // Stays Idle: no reconnect, and inbound connections are refused.
  EXPECT_EQ(count<Connect>(h.last), 0u);
  EXPECT_FALSE(armed(h.last, TimerKind::ConnectRetry));
  EXPECT_FALSE(h.session.accepts(D::inbound));
  EXPECT_EQ(h.session.state(), State::Idle);
}

TEST(Fsm, ManualStopWhileConnectingAbortsTheAttempt) {
  Harness h;
  h.start();
  h.last = h.session.stop(h.now);
  EXPECT_TRUE(disconnected(h.last, D::outbound));
  EXPECT_TRUE(cancelled(h.last, TimerKind::ConnectRetry));
  EXPECT_TRUE(sent(h.last, D::outbound).empty());
  EXPECT_EQ(h.session.state(), State::Idle);
  // A late report of the aborted connect is refused.
  h.connected(D::outbound);
  EXPECT_EQ(count<Refuse>(h.last), 1u);
}

TEST(Fsm, StopWithSubcodeBfdDown) {
  Harness h;
  h.establish();
  h.last = h.session.stop(h.now, CeaseSubcode::bfd_down, "ignored: not an admin subcode");
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 6);
  EXPECT_EQ(n->subcode, 10);   // RFC 9384 §3 "BFD Down"
  EXPECT_TRUE(n->data.empty());  // RFC 9003 only for subcodes 2 and 4
  EXPECT_EQ(h.session.state(), State::Idle);
  EXPECT_EQ(count<Connect>(h.last), 0u);
}

TEST(Fsm, ShutdownCommunicationIsCutAtACharacterBoundary) {
  // 127 two-octet characters = 254 octets, then one more: 256 octets.
  std::string text;
  for (int i = 0; i < 128; ++i) text += "\xc3\xa9";  // U+00E9
  Notification n = cease_notification(CeaseSubcode::administrative_shutdown, text);
  auto comm = shutdown_communication(n);
  ASSERT_TRUE(comm);
  EXPECT_EQ(comm->text.size(), 254u);  // RFC 9003 §2: at most 255, whole characters
  EXPECT_TRUE(comm->valid_utf8);
  // Invalid UTF-8 is not sent; the Cease still is.
  Notification bad = cease_notification(CeaseSubcode::administrative_shutdown, "\xff");
  EXPECT_EQ(bad, make_cease(CeaseSubcode::administrative_shutdown));
  EXPECT_EQ(describe_notification(n).rfind("Cease/Administrative Shutdown (6/2) '", 0), 0u);
}

TEST(Fsm, ResetWithBfdDownSendsCeaseSubcode10AndReconnects) {
  Harness h;
  h.establish();
  h.last = h.session.reset(h.now, CeaseSubcode::bfd_down);
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 6);
  EXPECT_EQ(n->subcode, 10);  // RFC 9384 §3
  EXPECT_TRUE(n->data.empty());
  ASSERT_EQ(transitions(h.last), (std::vector<std::pair<State, State>>{
                                     {State::Established, State::Idle}, {State::Idle, State::Active}}));
  EXPECT_EQ(all<StateChanged>(h.last)[0].reason.event, Event::AutomaticStop);
  EXPECT_NE(all<StateChanged>(h.last)[0].reason.text.find("BFD Down"), std::string::npos);
  EXPECT_EQ(count<SessionDown>(h.last), 1u);
  EXPECT_TRUE(armed(h.last, TimerKind::ConnectRetry));
  // The retry connects.
  h.advance_to(*h.session.timer_deadline(TimerKind::ConnectRetry));
  h.timer(TimerKind::ConnectRetry);
  EXPECT_EQ(count<Connect>(h.last), 1u);
  EXPECT_EQ(h.session.state(), State::Connect);
}

TEST(Fsm, ResetWithoutAConnectionDoesNothing) {
  Harness h;
  h.start();
  EXPECT_TRUE(h.session.reset(h.now, CeaseSubcode::bfd_down).empty());
}

TEST(Fsm, ReceivedNotificationGoesIdleWithReason) {
  Harness h;
  h.establish();
  auto n = make_shutdown_notification(CeaseSubcode::administrative_shutdown, "planned maintenance");
  ASSERT_TRUE(n);
  h.bytes(D::outbound, encode_notification(*n));
  EXPECT_TRUE(sent(h.last, D::outbound).empty());  // §6.4: never answered
  EXPECT_TRUE(disconnected(h.last, D::outbound));
  auto changes = all<StateChanged>(h.last);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes[0].from, State::Established);
  EXPECT_EQ(changes[0].to, State::Idle);
  EXPECT_EQ(changes[0].reason.event, Event::NotifMsg);
  EXPECT_TRUE(changes[0].reason.notification_received);
  EXPECT_EQ(changes[0].reason.code, 6);
  EXPECT_EQ(changes[0].reason.subcode, 2);
  EXPECT_EQ(changes[0].reason.text.rfind(
                "NOTIFICATION received Cease/Administrative Shutdown (6/2) 'planned maintenance'", 0),
            0u);
  EXPECT_EQ(h.session.counters().notifications_received, 1u);
  EXPECT_EQ(h.session.counters().last_notification_received->subcode, 2);
  EXPECT_EQ(count<SessionDown>(h.last), 1u);
}

TEST(Fsm, TcpClosedByThePeerInEstablished) {
  Harness h;
  h.establish();
  h.last = h.session.on_closed(h.now, D::outbound);
  auto changes = all<StateChanged>(h.last);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes[0].reason.event, Event::TcpConnectionFails);
  EXPECT_TRUE(sent(h.last, D::outbound).empty());
  EXPECT_EQ(count<SessionDown>(h.last), 1u);
  EXPECT_EQ(h.session.state(), State::Active);
}

TEST(Fsm, StartIsIgnoredOnceStarted) {
  Harness h;
  h.start();
  EXPECT_TRUE(h.session.start(h.now).empty());
}

}  // namespace
}  // namespace fbf::bgp

namespace fbf::bgp {
namespace {

// Event loops arm against a cached clock and may deliver an expiry slightly
// before the armed time. Dropping it would lose the timer: no more
// KEEPALIVEs, and the router's hold timer would expire (found in review
// after the same defect showed up in the BFD core in the lab).
TEST(FsmTimers, EarlyKeepaliveExpiryReArmsForTheArmedTime) {
  Harness h;
  h.establish();
  const TimePoint due = *h.session.timer_deadline(TimerKind::KeepaliveOutbound);
  h.advance_to(due - std::chrono::microseconds(1));
  h.timer(TimerKind::KeepaliveOutbound);
  EXPECT_TRUE(sent(h.last, Direction::outbound).empty());
  EXPECT_EQ(armed(h.last, TimerKind::KeepaliveOutbound), due);
  h.advance_to(due);
  h.timer(TimerKind::KeepaliveOutbound);
  EXPECT_EQ(sent_types(h.last, Direction::outbound),
            std::vector<MessageType>{MessageType::keepalive});
}

}  // namespace
}  // namespace fbf::bgp
