#include "agent/metrics.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fbf::agent {
namespace {

TEST(Metrics, RendersCountersAndGaugesInTextFormat) {
  Metrics m;
  m.counter("fbf_b_total", "B things", {{"result", "ok"}}).inc(3);
  m.counter("fbf_b_total", "B things", {{"result", "error"}}).inc();
  m.gauge("fbf_a", "A level").set(1.5);
  EXPECT_EQ(m.render(),
            "# HELP fbf_a A level\n"
            "# TYPE fbf_a gauge\n"
            "fbf_a 1.5\n"
            "# HELP fbf_b_total B things\n"
            "# TYPE fbf_b_total counter\n"
            "fbf_b_total{result=\"error\"} 1\n"
            "fbf_b_total{result=\"ok\"} 3\n");
}

TEST(Metrics, ReturnsTheSameSeriesForTheSameLabels) {
  Metrics m;
  auto& a = m.counter("fbf_x_total", "x", {{"peer", "192.0.2.1"}});
  auto& b = m.counter("fbf_x_total", "x", {{"peer", "192.0.2.1"}});
  EXPECT_EQ(&a, &b);
  a.inc();
  EXPECT_EQ(b.value(), 1u);
}

TEST(Metrics, GaugeFunctionsAreReadAtScrapeTime) {
  Metrics m;
  double v = 1;
  m.gauge_fn("fbf_live", "live", {}, [&] { return v; });
  EXPECT_NE(m.render().find("fbf_live 1\n"), std::string::npos);
  v = 2.25;
  EXPECT_NE(m.render().find("fbf_live 2.25\n"), std::string::npos);
}

TEST(Metrics, CounterFunctionsAreReadAtScrapeTimeAndTypedAsCounters) {
  Metrics m;
  std::uint64_t packets = 7;
  m.counter_fn("fbf_packets_total", "p", {{"peer", "x"}}, [&] { return packets; });
  packets = 9;
  EXPECT_EQ(m.render(),
            "# HELP fbf_packets_total p\n# TYPE fbf_packets_total counter\n"
            "fbf_packets_total{peer=\"x\"} 9\n");
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Metrics m;
  m.gauge("fbf_e", "line1\nback\\slash", {{"name", "a\"b\\c\nd"}}).set(0);
  const auto text = m.render();
  EXPECT_NE(text.find("# HELP fbf_e line1\\nback\\\\slash\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fbf_e{name=\"a\\\"b\\\\c\\nd\"} 0\n"), std::string::npos) << text;
}

TEST(Metrics, SpecialFloatValues) {
  Metrics m;
  m.gauge("fbf_nan", "n").set(std::numeric_limits<double>::quiet_NaN());
  m.gauge("fbf_inf", "i").set(std::numeric_limits<double>::infinity());
  const auto text = m.render();
  EXPECT_NE(text.find("fbf_nan NaN\n"), std::string::npos);
  EXPECT_NE(text.find("fbf_inf +Inf\n"), std::string::npos);
}

TEST(Metrics, RemoveDropsSeriesAndEmptyFamilies) {
  Metrics m;
  m.gauge("fbf_s", "s", {{"peer", "a"}}).set(1);
  m.gauge("fbf_s", "s", {{"peer", "b"}}).set(2);
  m.remove("fbf_s", {{"peer", "a"}});
  EXPECT_EQ(m.render().find("peer=\"a\""), std::string::npos);
  EXPECT_NE(m.render().find("peer=\"b\""), std::string::npos);
  m.remove("fbf_s", {{"peer", "b"}});
  EXPECT_EQ(m.render(), "");
}

TEST(Metrics, RejectsProgrammingErrors) {
  Metrics m;
  EXPECT_THROW(m.gauge("9bad", "x"), std::logic_error);
  EXPECT_THROW(m.gauge("fbf_ok", "x", {{"bad-label", "v"}}), std::logic_error);
  m.gauge("fbf_typed", "x");
  EXPECT_THROW(m.counter("fbf_typed", "x"), std::logic_error);
}

// A collector family: declared once, its samples written at every render.
TEST(Metrics, CollectorFamiliesRenderTheirSamplesInOrder) {
  Metrics m;
  std::vector<std::pair<std::string, double>> peers = {{"b", 2.5}, {"a\"\\\n", 1}};
  auto reg = m.collect("fbf_peer_level", "Per peer", MetricType::gauge, [&](SampleWriter& w) {
    for (const auto& [peer, v] : peers) w.sample({{"peer", peer}, {"side", "x"}}, v);
    w.sample({{"peer", "nan"}, {"side", "x"}}, std::numeric_limits<double>::quiet_NaN());
    w.sample({{"peer", "inf"}, {"side", "x"}}, -std::numeric_limits<double>::infinity());
  });
  auto packets = m.collect("fbf_peer_packets_total", "Packets", MetricType::counter,
                           [](SampleWriter& w) {
                             w.sample({{"peer", "b"}}, std::uint64_t{18446744073709551615u});
                             w.sample({}, std::uint64_t{3});
                           });
  m.gauge("fbf_a", "Static, sorted before").set(1);
  m.gauge("fbf_z", "Static, sorted after").set(2);
  const std::string expected =
      "# HELP fbf_a Static, sorted before\n# TYPE fbf_a gauge\nfbf_a 1\n"
      "# HELP fbf_peer_level Per peer\n# TYPE fbf_peer_level gauge\n"
      "fbf_peer_level{peer=\"b\",side=\"x\"} 2.5\n"
      "fbf_peer_level{peer=\"a\\\"\\\\\\n\",side=\"x\"} 1\n"
      "fbf_peer_level{peer=\"nan\",side=\"x\"} NaN\n"
      "fbf_peer_level{peer=\"inf\",side=\"x\"} -Inf\n"
      "# HELP fbf_peer_packets_total Packets\n# TYPE fbf_peer_packets_total counter\n"
      "fbf_peer_packets_total{peer=\"b\"} 18446744073709551615\n"
      "fbf_peer_packets_total 3\n"
      "# HELP fbf_z Static, sorted after\n# TYPE fbf_z gauge\nfbf_z 2\n";
  EXPECT_EQ(m.render(), expected);
  // Read at scrape time: what the collector sees now, nothing kept.
  peers.erase(peers.begin());
  EXPECT_EQ(m.render().find("peer=\"b\",side"), std::string::npos);
}

TEST(Metrics, ACollectorWithNoSamplesLeavesNoFamily) {
  Metrics m;
  bool any = false;
  auto reg = m.collect("fbf_maybe", "m", MetricType::gauge, [&](SampleWriter& w) {
    if (any) w.sample({{"peer", "a"}}, 1.0);
  });
  EXPECT_EQ(m.render(), "");
  any = true;
  EXPECT_EQ(m.render(), "# HELP fbf_maybe m\n# TYPE fbf_maybe gauge\nfbf_maybe{peer=\"a\"} 1\n");
}

TEST(Metrics, DroppingTheRegistrationRemovesTheCollector) {
  Metrics m;
  auto collector = [](SampleWriter& w) { w.sample({}, 1.0); };
  {
    auto reg = m.collect("fbf_scoped", "s", MetricType::gauge, collector);
    auto moved = std::move(reg);  // the family follows the registration
    EXPECT_NE(m.render(), "");
  }
  EXPECT_EQ(m.render(), "");
  auto again = m.collect("fbf_scoped", "s", MetricType::gauge, collector);  // free again
  m.remove("fbf_scoped", {});  // stored series only: the collector stays
  EXPECT_EQ(m.render(), "# HELP fbf_scoped s\n# TYPE fbf_scoped gauge\nfbf_scoped 1\n");
}

TEST(Metrics, AFamilyNameIsEitherStoredSeriesOrOneCollector) {
  Metrics m;
  auto nothing = [](SampleWriter&) {};
  auto reg = m.collect("fbf_c", "c", MetricType::counter, nothing);
  EXPECT_THROW((void)m.collect("fbf_c", "c", MetricType::counter, nothing), std::logic_error);
  EXPECT_THROW(m.counter("fbf_c", "c"), std::logic_error);
  EXPECT_THROW(m.counter_fn("fbf_c", "c", {}, [] { return std::uint64_t{0}; }), std::logic_error);
  m.gauge("fbf_g", "g");
  EXPECT_THROW((void)m.collect("fbf_g", "g", MetricType::gauge, nothing), std::logic_error);
  EXPECT_THROW((void)m.collect("9bad", "x", MetricType::gauge, nothing), std::logic_error);
  // A bad label name is a bug in the collector: caught by the first render.
  auto bad = m.collect("fbf_bad_label", "x", MetricType::gauge,
                       [](SampleWriter& w) { w.sample({{"bad-label", "v"}}, 1.0); });
  EXPECT_THROW(m.render(), std::logic_error);
}

TEST(Metrics, ValidNames) {
  EXPECT_TRUE(valid_metric_name("fbf_bfd_session_state"));
  EXPECT_TRUE(valid_metric_name("ns:name_2"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("1x"));
  EXPECT_FALSE(valid_metric_name("a-b"));
}

}  // namespace
}  // namespace fbf::agent
