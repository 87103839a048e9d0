// BgpNeighbors' metrics are collected from the configured neighbors at
// scrape time: a reload that removes a neighbor takes its series with it.
// The neighbors are held closed (maintenance), so no connection is tried.
#include "agent/bgp_neighbors.h"

#include <event2/event.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "platform/event.h"
#include "platform/tcp.h"
#include "platform/unique_fd.h"
#include "tests/unit/own_network_namespace.h"

namespace fbf::agent {
namespace {

using platform::IpAddress;

NeighborConfig neighbor(const char* name, const char* address) {
  NeighborConfig n;
  n.name = name;
  n.address = *IpAddress::parse(address);
  n.remote_as = 65501;
  return n;
}

Config config(std::vector<NeighborConfig> neighbors) {
  Config c;
  c.agent.local_as = 65500;
  c.agent.router_id = *IpAddress::parse("192.0.2.254");
  c.neighbors = std::move(neighbors);
  return c;
}

// BgpNeighbors listens on port 179 for its neighbors' connections: as root,
// a test gets a network namespace of its own, so that no test takes the
// host's port or meets another test's listener (as another user the bind
// fails, which BgpNeighbors only logs).
void keep_off_the_hosts_port_179() { (void)::fbf::test::own_network_namespace(); }

// Runs the loop until something was reported, for 2 s at most.
void run_until_reported(event_base* base, const std::vector<BgpProgress>& seen) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (seen.empty() && std::chrono::steady_clock::now() < end) {
    event_base_loop(base, EVLOOP_NONBLOCK);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// A BgpNeighbors on its own loop that records neighbor "a"'s progress.
struct Watched {
  platform::EventBasePtr base = platform::make_event_base();
  Metrics metrics;
  BgpNeighbors bgp{base.get(), metrics};
  std::vector<BgpProgress> seen;
  Watched() {
    bgp.on_progress([this](const std::string& name, BgpProgress p) {
      if (name == "a") seen.push_back(p);
    });
  }
};

// A TCP connection from 127.0.0.`host` to the listener on 127.0.0.1:179;
// an invalid fd when it was refused (errno says why).
platform::UniqueFd connect_to_listener(std::uint8_t host) {
  platform::UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in from{.sin_family = AF_INET, .sin_port = 0,
                   .sin_addr = {htonl(0x7f000000u | host)}, .sin_zero = {}};
  sockaddr_in to{.sin_family = AF_INET, .sin_port = htons(179),
                 .sin_addr = {htonl(0x7f000001u)}, .sin_zero = {}};
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
    return {};
  return fd;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(BgpNeighborsMetrics, ShowExactlyTheConfiguredNeighbors) {
  keep_off_the_hosts_port_179();
  platform::EventBasePtr base = platform::make_event_base();
  Metrics metrics;
  BgpNeighbors bgp(base.get(), metrics);
  bgp.set_closed({"a", "b"}, "test");
  ASSERT_TRUE(bgp.apply(config({neighbor("b", "192.0.2.2"), neighbor("a", "2001:db8::1")})).empty());
  std::string text = metrics.render();
  EXPECT_EQ(count(text, "# TYPE fbf_bgp_session_state gauge\n"), 1u) << text;
  // By neighbor name; Idle (0); counters as integers; one per family.
  const auto a = text.find("fbf_bgp_session_state{neighbor=\"a\",peer=\"2001:db8::1\"} 0\n");
  const auto b = text.find("fbf_bgp_session_state{neighbor=\"b\",peer=\"192.0.2.2\"} 0\n");
  ASSERT_NE(a, std::string::npos) << text;
  ASSERT_NE(b, std::string::npos) << text;
  EXPECT_LT(a, b);
  EXPECT_NE(text.find("fbf_bgp_prefixes_received_total{neighbor=\"b\",peer=\"192.0.2.2\","
                      "family=\"ipv6\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fbf_bgp_prefixes_announced{neighbor=\"b\",peer=\"192.0.2.2\"} 0\n"),
            std::string::npos);
  // Damping, for an alert on a neighbor held Idle (docs/metrics.md).
  EXPECT_NE(text.find("# TYPE fbf_bgp_idle_holds_total counter\n"
                      "fbf_bgp_idle_holds_total{neighbor=\"a\",peer=\"2001:db8::1\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fbf_bgp_administrative_resets_total{neighbor=\"b\",peer=\"192.0.2.2\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(count(text, "neighbor=\"b\""), 11u);  // 10 families, two samples in one

  ASSERT_TRUE(bgp.apply(config({neighbor("a", "2001:db8::1")})).empty());  // b removed
  text = metrics.render();
  EXPECT_EQ(text.find("neighbor=\"b\""), std::string::npos) << text;
  EXPECT_EQ(count(text, "neighbor=\"a\""), 11u) << text;

  ASSERT_TRUE(bgp.apply(config({})).empty());  // none: the families vanish
  EXPECT_EQ(metrics.render().find("fbf_bgp_"), std::string::npos);
}

int timers_added(event_base* base) {
  return event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
}

// Without neighbors BgpNeighbors keeps nothing in the loop: no periodic
// wake-up of an idle daemon. A neighbor removed by a reload is polled until
// its connections have closed, then nothing is left again.
TEST(BgpNeighborsReaper, PollsOnlyWhileARemovedNeighborIsStillClosing) {
  keep_off_the_hosts_port_179();
  platform::EventBasePtr base = platform::make_event_base();
  Metrics metrics;
  BgpNeighbors bgp(base.get(), metrics);
  EXPECT_EQ(timers_added(base.get()), 0) << "a timer runs with nothing to do";

  bgp.set_closed({"b"}, "test");
  ASSERT_TRUE(bgp.apply(config({neighbor("b", "192.0.2.2")})).empty());
  ASSERT_TRUE(bgp.apply(config({})).empty());  // b retires
  EXPECT_GE(timers_added(base.get()), 1);
  // Held closed, b has no connection: the first poll (200 ms) reaps it.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (timers_added(base.get()) != 0 && std::chrono::steady_clock::now() < end)
    event_base_loop(base.get(), EVLOOP_ONCE);
  EXPECT_EQ(timers_added(base.get()), 0) << "still polling after the neighbor was reaped";
}


// A BFD Down the neighbor signalled arms a grace (agent/bfd_coupling.h).
// If it runs out while maintenance holds the session closed, it must not
// close it again: for a bfd_strict neighbor that would mark it as waiting
// for BFD, and it would not come back when maintenance ends. The neighbor is
// on loopback with nothing listening: no BGP session ever comes up.
TEST(BgpNeighborsGrace, RunningOutDuringMaintenanceLeavesTheSessionToIt) {
  keep_off_the_hosts_port_179();
  platform::EventBasePtr base = platform::make_event_base();
  Metrics metrics;
  BgpNeighbors bgp(base.get(), metrics);
  NeighborConfig n = neighbor("a", "127.0.0.2");
  n.bfd = BfdSettings{};
  n.bfd_strict = true;
  ASSERT_TRUE(bgp.apply(config({n})).empty());
  bfd::SessionSpec spec;
  spec.name = "a";
  spec.key.peer = n.address;
  bgp.on_bfd(spec, {bfd::State::Init, bfd::State::Up, bfd::Diag::None});  // strict: BGP starts
  bgp.on_bfd(spec, {bfd::State::Up, bfd::State::Down, bfd::Diag::NeighborSignaledSessionDown});
  bgp.set_closed({"a"}, "test");

  const auto end = std::chrono::steady_clock::now() + kPeerSignalledDownGrace +
                   std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < end) {
    event_base_loop(base.get(), EVLOOP_NONBLOCK);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bgp.set_closed({}, "test");
  const auto shown = bgp.show_bgp()["neighbors"][0];
  EXPECT_FALSE(shown["held_for_bfd"].get<bool>()) << shown.dump();
  EXPECT_NE(shown["state"], "Idle") << shown.dump();
}

// The neighbor's BFD session waits for BGP (agent/bfd_sessions.h): it is
// told when the connection is up and our OPEN sent, not only at
// Established, so a router that holds BGP until BFD is Up (strict mode)
// gets BFD. A listener on 127.0.0.2:179 that accepts and says nothing: the
// session reaches OpenSent and stays there.
TEST(BgpNeighborsProgress, AnOpenConnectionIsReported) {
  if (!::fbf::test::own_network_namespace()) GTEST_SKIP() << "needs root for a network namespace";
  auto listener = platform::listen_tcp(
      {.bind_address = IpAddress::parse("127.0.0.2"), .bind_port = 179});
  ASSERT_TRUE(listener) << listener.error().what;
  Watched w;
  ASSERT_TRUE(w.bgp.apply(config({neighbor("a", "127.0.0.2")})).empty());
  run_until_reported(w.base.get(), w.seen);
  EXPECT_EQ(w.seen, std::vector<BgpProgress>{BgpProgress::opened});
  EXPECT_EQ(w.bgp.show_bgp()["neighbors"][0]["state"], "OpenSent");
}

// A neighbor that is not passive is also accepted (RFC 4271 §8): a router
// coming back connects at once instead of waiting for our backed-off retry.
// fbfd listens on 127.0.0.1 (local_address) and connects to 127.0.0.2,
// where nothing listens; the router's connection from 127.0.0.2 is taken
// and answered with an OPEN.
TEST(BgpNeighborsListen, AnActiveNeighborsConnectionIsAccepted) {
  if (!::fbf::test::own_network_namespace()) GTEST_SKIP() << "needs root for a network namespace";
  Watched w;
  NeighborConfig n = neighbor("a", "127.0.0.2");
  n.local_address = IpAddress::parse("127.0.0.1");
  ASSERT_FALSE(n.passive);
  ASSERT_TRUE(w.bgp.apply(config({n})).empty());
  event_base_loop(w.base.get(), EVLOOP_NONBLOCK);  // our own connect is refused

  platform::UniqueFd router = connect_to_listener(2);
  ASSERT_TRUE(router) << "nothing listens for an active neighbor: " << std::strerror(errno);

  run_until_reported(w.base.get(), w.seen);
  EXPECT_EQ(w.seen, std::vector<BgpProgress>{BgpProgress::opened});
  EXPECT_EQ(w.bgp.show_bgp()["neighbors"][0]["state"], "OpenSent");
  std::uint8_t header[19] = {};
  ASSERT_EQ(::recv(router.get(), header, sizeof header, MSG_DONTWAIT), 19);
  EXPECT_EQ(header[0], 0xff);
  EXPECT_EQ(header[18], 1) << "an OPEN";
}

// Anyone else reaching the listener is closed at once, without a byte.
TEST(BgpNeighborsListen, AnAddressThatIsNoNeighborIsClosed) {
  if (!::fbf::test::own_network_namespace()) GTEST_SKIP() << "needs root for a network namespace";
  platform::EventBasePtr base = platform::make_event_base();
  Metrics metrics;
  BgpNeighbors bgp(base.get(), metrics);
  NeighborConfig n = neighbor("a", "127.0.0.2");
  n.local_address = IpAddress::parse("127.0.0.1");
  ASSERT_TRUE(bgp.apply(config({n})).empty());

  platform::UniqueFd stranger = connect_to_listener(3);
  ASSERT_TRUE(stranger) << std::strerror(errno);
  std::uint8_t byte = 0;
  ssize_t got = -1;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < end) {
    event_base_loop(base.get(), EVLOOP_NONBLOCK);
    got = ::recv(stranger.get(), &byte, 1, MSG_DONTWAIT);
    if (got >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(got, 0) << "not closed: " << std::strerror(errno);
  EXPECT_NE(bgp.show_bgp()["neighbors"][0]["state"], "OpenSent") << "the stranger was answered";
}

}  // namespace
}  // namespace fbf::agent
