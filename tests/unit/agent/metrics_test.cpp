#include "agent/metrics.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

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

TEST(Metrics, ValidNames) {
  EXPECT_TRUE(valid_metric_name("fbf_bfd_session_state"));
  EXPECT_TRUE(valid_metric_name("ns:name_2"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("1x"));
  EXPECT_FALSE(valid_metric_name("a-b"));
}

}  // namespace
}  // namespace fbf::agent
