// OPEN validation (RFC 4271 §6.2, RFC 6793, RFC 6286) and the other errors
// that close a connection with a NOTIFICATION: header errors (§6.1) and
// messages unexpected in the state (§8.2.2 "any other event", RFC 6608).
#include <gtest/gtest.h>

#include "bgp/session.h"
#include "bgp/update.h"
#include "fsm_test_support.h"

namespace fbf::bgp {
namespace {

using namespace test;
using D = Direction;

TEST(FsmErrors, UnacceptableHoldTimeOfOneSecond) {
  Harness h;
  h.start();
  h.connected();
  h.bytes(D::outbound, peer_open({.hold = 1}));
  // §6.2: OPEN Message Error / Unacceptable Hold Time, BGPOpenMsgErr (22).
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 2);
  EXPECT_EQ(n->subcode, 6);
  EXPECT_TRUE(disconnected(h.last, D::outbound));
  auto changes = all<StateChanged>(h.last);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes[0].from, State::OpenSent);
  EXPECT_EQ(changes[0].to, State::Idle);
  EXPECT_EQ(changes[0].reason.event, Event::BGPOpenMsgErr);
  EXPECT_EQ(count<SessionDown>(h.last), 0u);  // never was Established
}

TEST(FsmErrors, BadPeerAs) {
  Harness h;
  h.start();
  h.connected();
  h.bytes(D::outbound, peer_open({.as = 65001}));
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 2);
  EXPECT_EQ(n->subcode, 2);
  auto changes = all<StateChanged>(h.last);
  ASSERT_FALSE(changes.empty());
  EXPECT_NE(changes[0].reason.text.find("OPEN from AS 65001, expected AS 64515"), std::string::npos);
  EXPECT_EQ(h.session.counters().last_notification_sent->subcode, 2);
}

TEST(FsmErrors, FourOctetPeerAsViaCapabilityWithAsTrans) {
  SessionConfig c = default_config();
  c.remote_as = 4200000001u;
  Harness h(c);
  h.start();
  h.connected();
  auto open = peer_open({.as = 4200000001u});
  ASSERT_EQ(decode_open(open)->my_as, kAsTrans);  // RFC 6793 §4.2.1
  h.bytes(D::outbound, open);
  EXPECT_EQ(h.session.state(), State::OpenConfirm);
}

TEST(FsmErrors, AsTransWithoutCapabilityIsBadPeerAs) {
  SessionConfig c = default_config();
  c.remote_as = 4200000001u;
  Harness h(c);
  h.start();
  h.connected();
  // An OLD speaker: My AS = AS_TRANS and no 4-octet AS capability.
  h.bytes(D::outbound, peer_open({.as = kAsTrans, .four_octet_as = false}));
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->subcode, 2);
}

TEST(FsmErrors, OurBgpIdentifierFromAnInternalPeerIsRejected) {
  SessionConfig c = default_config();
  c.remote_as = kLocalAs;  // iBGP
  Harness h(c);
  h.start();
  h.connected();
  h.bytes(D::outbound, peer_open({.as = kLocalAs, .id = kLocalId}));
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 2);
  EXPECT_EQ(n->subcode, 3);  // RFC 6286 §2.2 Bad BGP Identifier
}

TEST(FsmErrors, AnExternalPeerMayShareOurBgpIdentifier) {
  Harness h;
  h.start();
  h.connected();
  h.bytes(D::outbound, peer_open({.id = kLocalId}));  // RFC 6286 §2.2 applies to iBGP only
  EXPECT_EQ(h.session.state(), State::OpenConfirm);
}

TEST(FsmErrors, UnexpectedUpdateInOpenSentIsAnFsmError) {
  Harness h;
  h.start();
  h.connected();
  h.bytes(D::outbound, encode_end_of_rib(kIpv4Unicast));
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 5);
  EXPECT_EQ(n->subcode, 1);  // RFC 6608: Receive Unexpected Message in OpenSent State
  EXPECT_EQ(n->data, std::vector<std::uint8_t>{2});
}

TEST(FsmErrors, KeepaliveInOpenSentAndOpenInEstablishedAreFsmErrors) {
  Harness h;
  h.start();
  h.connected();
  h.bytes(D::outbound, encode_keepalive());
  EXPECT_EQ(sent_notification(h.last, D::outbound)->code, 5);

  Harness e;
  e.establish();
  e.bytes(D::outbound, peer_open());
  auto n = sent_notification(e.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 5);
  EXPECT_EQ(n->subcode, 3);
}

TEST(FsmErrors, BadMarkerIsAHeaderError) {
  Harness h;
  h.establish();
  auto bad = encode_keepalive();
  bad[3] = 0;
  h.bytes(D::outbound, bad);
  auto n = sent_notification(h.last, D::outbound);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 1);
  EXPECT_EQ(n->subcode, 1);  // Connection Not Synchronized
  EXPECT_EQ(all<StateChanged>(h.last)[0].reason.event, Event::BGPHeaderErr);
}

}  // namespace
}  // namespace fbf::bgp
