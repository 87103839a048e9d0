// BgpNeighbors' metrics are collected from the configured neighbors at
// scrape time: a reload that removes a neighbor takes its series with it.
// The neighbors are held closed (maintenance), so no connection is tried.
#include "agent/bgp_neighbors.h"

#include <event2/event.h>
#include <gtest/gtest.h>

#include <string>

#include "platform/event.h"

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

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(BgpNeighborsMetrics, ShowExactlyTheConfiguredNeighbors) {
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
  EXPECT_EQ(count(text, "neighbor=\"b\""), 9u);  // 8 families, two samples in one

  ASSERT_TRUE(bgp.apply(config({neighbor("a", "2001:db8::1")})).empty());  // b removed
  text = metrics.render();
  EXPECT_EQ(text.find("neighbor=\"b\""), std::string::npos) << text;
  EXPECT_EQ(count(text, "neighbor=\"a\""), 9u) << text;

  ASSERT_TRUE(bgp.apply(config({})).empty());  // none: the families vanish
  EXPECT_EQ(metrics.render().find("fbf_bgp_"), std::string::npos);
}

}  // namespace
}  // namespace fbf::agent
