// Services' metrics are collected from the configured services at scrape
// time: a reload that removes a service takes its series with it. Services
// without a check (always healthy) on an in-memory host.
#include "agent/services.h"

#include <event2/event.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "fake_address_system.h"
#include "platform/event.h"

namespace fbf::agent {
namespace {

ServiceConfig service(const char* name, const char* prefix) {
  ServiceConfig s;
  s.name = name;
  s.prefixes.push_back(*Prefix::parse(prefix));
  return s;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ServicesMetrics, ShowExactlyTheConfiguredServices) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "fbf-services-metrics";
  std::filesystem::remove_all(dir);
  auto host = std::make_shared<test::FakeHost>();
  host->add_link("lo");
  platform::EventBasePtr base = platform::make_event_base();
  Metrics metrics;
  Services services(base.get(), metrics, {},
                    std::make_unique<ServiceAddresses>(
                        std::make_unique<test::FakeAddressSystem>(host), metrics));
  Config c;
  c.agent.state_dir = dir.string();
  c.services = {service("web", "192.0.2.10/32"), service("dns", "192.0.2.53/32")};
  ASSERT_TRUE(services.apply(c).empty());
  std::string text = metrics.render();
  EXPECT_EQ(count(text, "# TYPE fbf_service_probes_total counter\n"), 1u) << text;
  // By service name; results in label order; counters as integers.
  const auto dns = text.find("fbf_service_health{service=\"dns\"} 1\n");
  const auto web = text.find("fbf_service_health{service=\"web\"} 1\n");
  ASSERT_NE(dns, std::string::npos) << text;
  ASSERT_NE(web, std::string::npos) << text;
  EXPECT_LT(dns, web);
  EXPECT_NE(text.find("fbf_service_probes_total{service=\"web\",result=\"failed\"} 0\n"
                      "fbf_service_probes_total{service=\"web\",result=\"ok\"} 0\n"
                      "fbf_service_probes_total{service=\"web\",result=\"timed_out\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fbf_service_announcement{service=\"web\"} 1\n"), std::string::npos);

  c.services = {service("web", "192.0.2.10/32")};  // reload: dns removed
  ASSERT_TRUE(services.apply(c).empty());
  text = metrics.render();
  EXPECT_EQ(text.find("fbf_service_health{service=\"dns\"}"), std::string::npos) << text;
  EXPECT_EQ(text.find("fbf_service_probes_total{service=\"dns\""), std::string::npos) << text;
  EXPECT_NE(text.find("fbf_service_health{service=\"web\"} 1\n"), std::string::npos) << text;

  services.shutdown();  // the entries go, and with them every sample
  EXPECT_EQ(metrics.render().find("fbf_service_health"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fbf::agent
