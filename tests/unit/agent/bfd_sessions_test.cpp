// BfdSessions binds every single-hop session without a configured interface
// (a [[neighbor]]'s) to the interface of the connected prefix holding the
// peer (RFC 5881 §3, §9), in place and again when that changes. Real sockets
// on the loopback: the "other link" is an interface index the fake snapshot
// names instead of lo's, so packets that really arrive over lo are exactly
// "the peer's address from another interface".
#include "agent/bfd_sessions.h"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include <chrono>
#include <functional>
#include <thread>

#include "agent/config.h"
#include "bfd/packet.h"
#include "platform/udp.h"
#include "tests/unit/own_network_namespace.h"

namespace fbf::agent {
namespace {

using platform::InterfacePrefix;
using platform::IpAddress;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

constexpr std::uint32_t kOtherLink = 4242;  // no such interface: stands for another link
constexpr std::uint32_t kOtherLink2 = 4343;

const char* kNeighbor =
    "[agent]\nlocal_as = 65500\n"
    "[[neighbor]]\nname = \"rtr\"\naddress = \"127.0.0.2\"\nremote_as = 65501\nbfd = true\n";

Config parse(const std::string& text) {
  auto c = parse_config(text, "t.toml");
  if (!c) {
    for (const auto& e : c.error()) ADD_FAILURE() << e.to_string();
    return {};
  }
  return *c;
}

std::uint64_t sent(const BfdSessions& s, bfd::SessionId id) {
  return s.service().engine().find(id)->counters().packets_out;
}

bfd::State state(const BfdSessions& s, bfd::SessionId id) {
  return s.service().engine().find(id)->variables().SessionState;
}

class BfdBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Its own namespace: the service binds 127.0.0.1:3784, as other tests
    // running at the same time do.
    if (!::fbf::test::own_network_namespace()) GTEST_SKIP() << "needs root for a network namespace";
    lo_ = if_nametoindex("lo");
    if (lo_ == 0) GTEST_SKIP() << "no interface called lo";
  }

  std::unique_ptr<BfdSessions> make() {
    return std::make_unique<BfdSessions>(base_.get(), metrics_, [this] {
      return std::expected<std::vector<InterfacePrefix>, std::string>(snap_);
    });
  }
  void on(const char* name, std::uint32_t index) {
    snap_ = {{name, index, *platform::Prefix::parse("127.0.0.0/8"), true}};
  }

  static bfd::SessionId only(const BfdSessions& s, const char* peer) {
    for (auto id : s.service().engine().ids())
      if (s.service().engine().spec(id)->key.peer == ip(peer)) return id;
    ADD_FAILURE() << "no session to " << peer;
    return 0;
  }
  static std::uint32_t ifindex(const BfdSessions& s, bfd::SessionId id) {
    return s.service().engine().spec(id)->key.ifindex;
  }
  static json shown(const BfdSessions& s, const char* peer) {
    const json all = s.show();
    for (const auto& j : all["sessions"])
      if (j["peer"] == peer) return j;
    return {};
  }

  // `cause` lets the waiting session 127.0.0.2 go: it leaves AdminDown
  // `after` that (not sooner, less the loop's millisecond rounding) and
  // sends Down with a Poll.
  void expect_released(BfdSessions& s, bfd::SessionId id, std::chrono::milliseconds after,
                       const std::function<void()>& cause) {
    const auto from = std::chrono::steady_clock::now();
    cause();
    ASSERT_TRUE(run_until([&] { return state(s, id) == bfd::State::Down; },
                          std::chrono::duration<double>(after).count() + 0.3));
    EXPECT_GE(std::chrono::steady_clock::now() - from, after - std::chrono::milliseconds(5));
    EXPECT_GE(sent(s, id), 1u);
    EXPECT_TRUE(s.service().engine().find(id)->poll_active());
    EXPECT_EQ(shown(s, "127.0.0.2")["waiting_for_bgp"], false);
  }

  // Runs the loop until `done` or `seconds` pass.
  bool run_until(const std::function<bool()>& done, double seconds = 2.0) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      event_base_loop(base_.get(), EVLOOP_NONBLOCK);
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
  }

  // `count` Control packets, State Down, TTL 255, from the peer's address
  // 127.0.0.2 to fbfd's listener: over lo, whatever the session is bound to.
  void send_down(std::uint32_t your, int count) { send_state(bfd::State::Down, your, count); }
  void send_state(bfd::State state, std::uint32_t your, int count) {
    auto fd = platform::open_udp({.family = platform::Family::v4,
                                  .bind_address = ip("127.0.0.2"),
                                  .send_ttl = 255,
                                  .receive_metadata = false});
    ASSERT_TRUE(fd) << fd.error().what;
    bfd::ControlPacket p;
    p.state = state;
    p.detect_mult = 3;
    p.my_discriminator = 0x7e57;
    p.your_discriminator = your;
    p.desired_min_tx_interval = 100'000;
    p.required_min_rx_interval = 100'000;
    auto wire = bfd::encode(p);
    ASSERT_TRUE(wire);
    for (int i = 0; i < count; ++i) {
      auto sent = platform::send_datagram(fd->get(), wire->bytes(), {ip("127.0.0.1"), 3784, 0});
      ASSERT_TRUE(sent) << sent.error().what;
    }
  }

  platform::EventBasePtr base_ = platform::make_event_base();
  Metrics metrics_;
  std::vector<InterfacePrefix> snap_;
  std::uint32_t lo_ = 0;
};

// A [[neighbor]]'s session waits for BGP (BfdSessions::kAfterBgp after
// Established): AdminDown and Passive, so silent, even when the router's
// BFD speaks first (bfd/session.cpp may_transmit). Then it sends Down with a
// Poll; bfd_strict's sends at once.
TEST_F(BfdBindingTest, NeighborSessionSendsOnceItsBgpIsEstablished) {
  on("lo", lo_);
  auto s = make();
  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());
  const auto id = only(*s, "127.0.0.2");
  run_until([] { return false; }, 0.3);
  EXPECT_EQ(sent(*s, id), 0u);
  EXPECT_EQ(state(*s, id), bfd::State::AdminDown);
  EXPECT_EQ(shown(*s, "127.0.0.2")["waiting_for_bgp"], true);
  send_down(0, 1);  // the router's BFD, before its BGP: not answered
  run_until([] { return false; }, 0.1);
  EXPECT_EQ(state(*s, id), bfd::State::AdminDown);
  EXPECT_EQ(sent(*s, id), 0u);

  s->on_bgp("other-neighbor", BgpProgress::established);
  run_until([] { return false; }, 0.2);
  EXPECT_EQ(state(*s, id), bfd::State::AdminDown);

  expect_released(*s, id, BfdSessions::kAfterBgp,
                  [&] { s->on_bgp("rtr", BgpProgress::established); });
}

// A session held for BGP discards the router's packets, and tells the BGP
// side that the router is up (on_peer_heard, polled every kHeardPoll), so
// that BGP connects now instead of at its backed-off retry. Nothing is
// reported while nothing arrives, nor once the session runs.
TEST_F(BfdBindingTest, AHeldSessionReportsThatItHearsTheRouter) {
  on("lo", lo_);
  auto s = make();
  std::vector<std::string> heard;
  s->on_peer_heard([&](const std::string& name) { heard.push_back(name); });
  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());
  const auto id = only(*s, "127.0.0.2");
  run_until([] { return false; }, 0.6);
  EXPECT_TRUE(heard.empty());

  send_down(0, 1);  // the router's BFD, before its BGP
  ASSERT_TRUE(run_until([&] { return !heard.empty(); }, 1.0)) << "not reported";
  EXPECT_EQ(heard, std::vector<std::string>{"rtr"});
  run_until([] { return false; }, 0.6);
  EXPECT_EQ(heard.size(), 1u) << "reported again without a new packet";
  EXPECT_EQ(state(*s, id), bfd::State::AdminDown);

  expect_released(*s, id, BfdSessions::kAfterBgp,
                  [&] { s->on_bgp("rtr", BgpProgress::established); });
  send_down(0, 1);
  run_until([] { return false; }, 0.6);
  EXPECT_EQ(heard.size(), 1u) << "reported while running";
}

// BGP came up while BFD was not Up: the router does not wait for BFD, so a
// BGP session going down holds BFD AdminDown (diag 7) until BGP is
// Established again — a restarting router (FRR) brings BFD back first and
// would close BGP again when it re-creates its session at Established. No
// fallback lets go of it, and maintenance ending does not either.
TEST_F(BfdBindingTest, NeighborSessionIsAdminDownWhileItsBgpIsDown) {
  on("lo", lo_);
  auto s = make();
  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());
  const auto id = only(*s, "127.0.0.2");
  s->on_bgp("rtr", BgpProgress::established);  // BFD Down: the router did not wait for it
  ASSERT_TRUE(run_until([&] { return sent(*s, id) > 0; }, 0.4));

  s->on_bgp("rtr", BgpProgress::down);
  EXPECT_EQ(state(*s, id), bfd::State::AdminDown);
  EXPECT_EQ(s->service().engine().find(id)->variables().LocalDiag, bfd::Diag::AdministrativelyDown);
  EXPECT_EQ(shown(*s, "127.0.0.2")["waiting_for_bgp"], true);
  run_until([] { return false; }, 1.3);  // longer than kWaitAfterBgpOpen
  EXPECT_EQ(state(*s, id), bfd::State::AdminDown);
  s->set_admin_down({"rtr"});  // maintenance, and over: BGP still holds it
  s->set_admin_down({});
  EXPECT_EQ(state(*s, id), bfd::State::AdminDown);

  expect_released(*s, id, BfdSessions::kAfterBgp,
                  [&] { s->on_bgp("rtr", BgpProgress::established); });
}

// BFD was Up when BGP came up: the router may wait for BFD (strict mode),
// so BFD keeps running while BGP is down. bfd_strict's never waits.
TEST_F(BfdBindingTest, NeighborSessionUpBeforeBgpKeepsRunningWhenBgpGoesDown) {
  on("lo", lo_);
  auto s = make();
  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());
  const auto id = only(*s, "127.0.0.2");
  s->on_bgp("rtr", BgpProgress::opened);  // held short of Established: BFD first
  ASSERT_TRUE(run_until([&] { return sent(*s, id) > 0; }, 1.5));
  send_down(0, 1);  // the peer answers: Init, then Up
  ASSERT_TRUE(run_until([&] { return state(*s, id) == bfd::State::Init; }));
  send_state(bfd::State::Up, id, 1);
  ASSERT_TRUE(run_until([&] { return state(*s, id) == bfd::State::Up; }));

  s->on_bgp("rtr", BgpProgress::established);
  s->on_bgp("rtr", BgpProgress::down);
  EXPECT_EQ(state(*s, id), bfd::State::Up);
  EXPECT_EQ(shown(*s, "127.0.0.2")["waiting_for_bgp"], false);
}

TEST_F(BfdBindingTest, StrictNeighborSessionKeepsRunningWhenBgpGoesDown) {
  on("lo", lo_);
  auto s = make();
  ASSERT_TRUE(s->apply(parse(std::string(kNeighbor) + "bfd_strict = true\n")).empty());
  const auto id = only(*s, "127.0.0.2");
  s->on_bgp("rtr", BgpProgress::established);
  s->on_bgp("rtr", BgpProgress::down);
  EXPECT_EQ(state(*s, id), bfd::State::Down);
}

// A reload that makes a waiting neighbor bfd_strict lets its session go:
// its BGP now waits for BFD, and BFD waiting for BGP would hold both.
TEST_F(BfdBindingTest, ReloadToStrictReleasesASessionWaitingForBgp) {
  on("lo", lo_);
  auto s = make();
  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());
  const auto id = only(*s, "127.0.0.2");
  ASSERT_EQ(state(*s, id), bfd::State::AdminDown);
  expect_released(*s, id, std::chrono::milliseconds(0), [&] {
    ASSERT_TRUE(s->apply(parse(std::string(kNeighbor) + "bfd_strict = true\n")).empty());
  });
  EXPECT_EQ(only(*s, "127.0.0.2"), id);  // the same session, released in place
}

// A router in BFD strict mode holds BGP short of Established until BFD is
// Up: a BGP connection open for kWaitAfterBgpOpen starts BFD. Without a
// connection BFD has nothing to protect and stays silent.
TEST_F(BfdBindingTest, NeighborSessionSendsWhenBgpOpensButIsNotEstablished) {
  on("lo", lo_);
  auto s = make();
  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());
  const auto id = only(*s, "127.0.0.2");
  run_until([] { return false; }, 1.3);
  EXPECT_EQ(sent(*s, id), 0u);
  expect_released(*s, id, BfdSessions::kWaitAfterBgpOpen,
                  [&] { s->on_bgp("rtr", BgpProgress::opened); });
}

TEST_F(BfdBindingTest, StrictNeighborSessionSendsAtOnce) {
  on("lo", lo_);
  auto s = make();
  ASSERT_TRUE(s->apply(parse(std::string(kNeighbor) + "bfd_strict = true\n")).empty());
  const auto id = only(*s, "127.0.0.2");
  EXPECT_GE(sent(*s, id), 1u);  // start() sent it
  EXPECT_EQ(shown(*s, "127.0.0.2")["waiting_for_bgp"], false);
  EXPECT_TRUE(s->service().engine().find(id)->poll_active());
}

TEST_F(BfdBindingTest, NeighborSessionIsBoundToTheConnectedInterface) {
  on("lo", lo_);
  auto s = make();
  EXPECT_TRUE(s->apply(parse(kNeighbor)).empty());
  const auto id = only(*s, "127.0.0.2");
  EXPECT_EQ(ifindex(*s, id), lo_);
  const auto j = shown(*s, "127.0.0.2");
  EXPECT_EQ(j["interface"], "lo");
  EXPECT_EQ(j["ifindex"], lo_);
  EXPECT_EQ(j["binding"], "connected");
}

TEST_F(BfdBindingTest, PeerAddressFromAnotherInterfaceIsDropped) {
  on("other0", kOtherLink);
  auto s = make();
  // bfd_strict: the session runs from the start instead of waiting for BGP.
  ASSERT_TRUE(s->apply(parse(std::string(kNeighbor) + "bfd_strict = true\n")).empty());
  const auto id = only(*s, "127.0.0.2");
  ASSERT_EQ(ifindex(*s, id), kOtherLink);
  const auto& engine = s->service().engine();
  const auto packets_in = [&] { return engine.find(id)->counters().packets_in; };

  // Your Discriminator ours: a known discriminator over the wrong path.
  const auto mismatch = engine.counters().address_mismatch;
  send_down(id, 3);
  ASSERT_TRUE(run_until([&] { return engine.counters().address_mismatch >= mismatch + 3; }));
  EXPECT_EQ(engine.counters().address_mismatch, mismatch + 3);
  // Your Discriminator zero: no session for this address on this interface.
  const auto no_session = engine.counters().no_session;
  send_down(0, 3);
  ASSERT_TRUE(run_until([&] { return engine.counters().no_session >= no_session + 3; }));
  EXPECT_EQ(packets_in(), 0u);
  EXPECT_EQ(engine.find(id)->variables().SessionState, bfd::State::Down);
  EXPECT_EQ(engine.find(id)->variables().RemoteDiscr, 0u);

  // The control: bound to lo, the very same packet is the session's (and
  // the session was re-bound in place, not re-created).
  on("lo", lo_);
  s->resolve_interfaces();
  ASSERT_EQ(engine.ids(), std::vector<bfd::SessionId>{id});
  EXPECT_EQ(ifindex(*s, id), lo_);
  send_down(0, 1);
  ASSERT_TRUE(run_until([&] { return packets_in() >= 1; }));
  EXPECT_EQ(engine.find(id)->variables().RemoteDiscr, 0x7e57u);
  EXPECT_EQ(engine.find(id)->variables().SessionState, bfd::State::Init);
}

TEST_F(BfdBindingTest, BindingFollowsTheInterfaceInPlace) {
  const std::string text = std::string(kNeighbor) +
                           "[[bfd_peer]]\naddress = \"127.0.0.3\"\ninterface = \"lo\"\n"
                           "[[bfd_peer]]\naddress = \"127.0.0.4\"\nmultihop = true\n";
  auto s = make();  // no connected prefix yet (link not up at start-up)
  ASSERT_TRUE(s->apply(parse(text)).empty());
  const auto id = only(*s, "127.0.0.2");
  EXPECT_EQ(ifindex(*s, id), 0u);
  EXPECT_EQ(shown(*s, "127.0.0.2")["binding"], "none");
  EXPECT_EQ(shown(*s, "127.0.0.2")["interface"], "");

  on("other0", kOtherLink);  // the interface appears
  s->resolve_interfaces();
  EXPECT_EQ(ifindex(*s, id), kOtherLink);
  EXPECT_EQ(shown(*s, "127.0.0.2")["interface"], "other0");

  snap_.clear();  // gone: the stale binding stays (nothing arrives over it)
  s->resolve_interfaces();
  EXPECT_EQ(ifindex(*s, id), kOtherLink);

  on("other1", kOtherLink2);  // back under another index
  s->resolve_interfaces();
  EXPECT_EQ(ifindex(*s, id), kOtherLink2);
  EXPECT_EQ(shown(*s, "127.0.0.2")["interface"], "other1");

  // A reload, also one changing the intervals, keeps session and binding.
  ASSERT_TRUE(s->apply(parse(text)).empty());
  ASSERT_TRUE(s->apply(parse(text + "[bfd]\nmin_tx = \"200ms\"\n")).empty());
  EXPECT_EQ(only(*s, "127.0.0.2"), id);
  EXPECT_EQ(ifindex(*s, id), kOtherLink2);
  EXPECT_EQ(s->service().engine().spec(id)->timers.desired_min_tx_interval, 200'000u);

  // The configured interface and the multihop session are left as they are.
  const auto peer = only(*s, "127.0.0.3");
  EXPECT_EQ(ifindex(*s, peer), lo_);
  EXPECT_EQ(shown(*s, "127.0.0.3")["binding"], "configured");
  EXPECT_EQ(shown(*s, "127.0.0.3")["interface"], "lo");
  const auto mh = only(*s, "127.0.0.4");
  EXPECT_EQ(ifindex(*s, mh), 0u);
  EXPECT_EQ(shown(*s, "127.0.0.4")["binding"], "multihop");
}

TEST_F(BfdBindingTest, AnUnboundSessionIsLookedAtAgainOnATimer) {
  auto s = make();
  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());
  const auto id = only(*s, "127.0.0.2");
  ASSERT_EQ(ifindex(*s, id), 0u);
  on("lo", lo_);  // appears later; nobody calls resolve_interfaces()
  const double wait = std::chrono::duration<double>(BfdSessions::kResolveUnbound).count() + 1.5;
  EXPECT_TRUE(run_until([&] { return ifindex(*s, id) == lo_; }, wait));
  EXPECT_EQ(only(*s, "127.0.0.2"), id);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The per-session metrics are collected from the running sessions at scrape
// time: a reload that removes a session takes its series with it.
// The late-wake-up counters of the BFD service are exported, one series per
// threshold, with the worst lateness (0 until a wake-up runs late).
TEST_F(BfdBindingTest, LateWakeUpCountersAreExported) {
  auto s = make();
  const std::string text = metrics_.render();
  for (const char* by : {"1ms", "5ms", "25ms"})
    EXPECT_NE(text.find(std::string("fbf_bfd_wakeups_late_total{by=\"") + by + "\"} 0\n"),
              std::string::npos)
        << by << "\n" << text;
  EXPECT_NE(text.find("fbf_bfd_wakeup_lateness_max_seconds 0\n"), std::string::npos) << text;
}

TEST_F(BfdBindingTest, MetricsShowExactlyTheLiveSessions) {
  on("lo", lo_);
  auto s = make();
  const std::string peer = "[[bfd_peer]]\naddress = \"127.0.0.3\"\nmultihop = true\n";
  ASSERT_TRUE(s->apply(parse(kNeighbor + std::string("bfd_strict = true\n") + peer)).empty());
  const std::string rtr = "{session=\"rtr\",peer=\"127.0.0.2\"}";
  const std::string other = "{session=\"127.0.0.3\",peer=\"127.0.0.3\"}";
  std::string text = metrics_.render();
  EXPECT_EQ(count(text, "# TYPE fbf_bfd_session_state gauge\n"), 1u) << text;
  EXPECT_EQ(count(text, "# TYPE fbf_bfd_rx_dropped_total counter\n"), 1u) << text;
  // Sorted by session name, both Down (1); counters as integers; no RTT yet.
  const auto first = text.find("fbf_bfd_session_state" + other + " 1\n");
  const auto second = text.find("fbf_bfd_session_state" + rtr + " 1\n");
  ASSERT_NE(first, std::string::npos) << text;
  ASSERT_NE(second, std::string::npos) << text;
  EXPECT_LT(first, second);
  EXPECT_NE(text.find("fbf_bfd_packets_received_total" + rtr + " 0\n"), std::string::npos);
  EXPECT_NE(text.find("fbf_bfd_echo_rtt_seconds" + rtr + " NaN\n"), std::string::npos);
  EXPECT_NE(text.find("fbf_bfd_rx_dropped_total{session=\"rtr\",peer=\"127.0.0.2\","
                      "reason=\"bad_ttl\"} 0\n"),
            std::string::npos);
  EXPECT_EQ(count(text, "fbf_bfd_rx_dropped_total{session=\"rtr\""), bfd::kRxDropCount);
  EXPECT_EQ(count(text, "peer=\"127.0.0.3\"}"), 13u);  // one per per-session family

  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());  // reload: the bfd_peer is gone
  text = metrics_.render();
  EXPECT_EQ(text.find("127.0.0.3"), std::string::npos) << text;
  EXPECT_NE(text.find("fbf_bfd_session_state" + rtr + " 1\n"), std::string::npos) << text;

  ASSERT_TRUE(s->apply(parse(kNeighbor + peer)).empty());  // and back
  EXPECT_NE(metrics_.render().find("fbf_bfd_session_state" + other), std::string::npos);

  // No session at all: the per-session families vanish, the daemon-wide stay.
  ASSERT_TRUE(s->apply(parse("[agent]\nlocal_as = 65500\n")).empty());
  text = metrics_.render();
  EXPECT_EQ(text.find("fbf_bfd_session_state"), std::string::npos) << text;
  EXPECT_EQ(text.find("fbf_bfd_rx_dropped_total"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE fbf_bfd_rx_invalid_total counter\n"), std::string::npos) << text;

  // The families leave with their BfdSessions: another can take them.
  s.reset();
  s = make();
  ASSERT_TRUE(s->apply(parse(kNeighbor)).empty());
  EXPECT_NE(metrics_.render().find("fbf_bfd_session_state" + rtr), std::string::npos);
}

}  // namespace
}  // namespace fbf::agent
