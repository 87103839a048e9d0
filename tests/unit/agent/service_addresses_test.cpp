// ServiceAddresses against an in-memory host (fake_address_system.h): which
// addresses go where at apply, what a reload and a stop take away (only what
// fbfd added), and how link and address events move a service's ok.
#include "agent/service_addresses.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_address_system.h"

namespace fbf::agent {
namespace {

using test::FakeAddressSystem;
using test::FakeHost;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const IpAddress kV4 = ip("192.0.2.10");
const IpAddress kV6 = ip("2001:db8::10");

ServiceConfig service(const std::string& name, const std::vector<std::string>& prefixes,
                      const std::string& interface = "lo") {
  ServiceConfig s;
  s.name = name;
  s.interface = interface;
  for (const auto& p : prefixes) s.prefixes.push_back(*Prefix::parse(p));
  return s;
}

Config config(std::vector<ServiceConfig> services) {
  Config c;
  c.services = std::move(services);
  return c;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Change {
  std::string service;
  bool ok = false;
  std::string why;
};

class ServiceAddressesTest : public ::testing::Test {
 protected:
  ServiceAddressesTest() {
    host->add_link("lo");
    host->pending.clear();  // the host was like this before fbfd started
  }

  ServiceAddresses& start() {
    addresses =
        std::make_unique<ServiceAddresses>(std::make_unique<FakeAddressSystem>(host), metrics);
    addresses->on_change([this](const std::string& s, bool ok, std::string why) {
      changes.push_back({s, ok, std::move(why)});
    });
    return *addresses;
  }

  double gauge(const char* name, const std::string& service) {
    return metrics.gauge(name, "", {{"service", service}}).value();
  }

  std::shared_ptr<FakeHost> host = std::make_shared<FakeHost>();
  Metrics metrics;  // outlives `addresses`, which holds its gauges
  std::unique_ptr<ServiceAddresses> addresses;
  std::vector<Change> changes;
};

TEST_F(ServiceAddressesTest, ApplyAddsTheHostAddressesWithTheMarkOnce) {
  auto& sa = start();
  const auto cfg = config({service("web", {"192.0.2.10/32", "2001:db8::10/128"})});

  EXPECT_TRUE(sa.apply(cfg).empty());
  ASSERT_TRUE(host->has("lo", kV4));
  ASSERT_TRUE(host->has("lo", kV6));
  EXPECT_TRUE(host->find("lo", kV4)->marked);
  EXPECT_EQ(host->find("lo", kV6)->prefix_length, 128);
  EXPECT_EQ(host->added, (std::vector<IpAddress>{kV4, kV6}));
  EXPECT_TRUE(sa.ok("web"));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].service, "web");
  EXPECT_TRUE(changes[0].ok);
  EXPECT_EQ(gauge("fbf_service_addresses_added", "web"), 2);
  EXPECT_EQ(gauge("fbf_service_address_ok", "web"), 1);

  // The kernel's own announcements of the additions, then a reload of the
  // same config: nothing to do, nothing to report.
  host->deliver();
  EXPECT_TRUE(sa.apply(cfg).empty());
  EXPECT_EQ(host->added.size(), 2u);
  EXPECT_TRUE(host->removed.empty());
  EXPECT_EQ(changes.size(), 1u);
  EXPECT_EQ(sa.show("web")["addresses"][0]["added_by_fbfd"], true);
}

TEST_F(ServiceAddressesTest, AnOperatorsAddressStaysAtShutdown) {
  host->put("lo", kV4, 32);                 // unmarked: someone else's
  host->put("lo", ip("198.51.100.7"), 24);  // same address, another length: also theirs
  host->pending.clear();
  auto& sa = start();

  EXPECT_TRUE(
      sa.apply(config({service("web", {"192.0.2.10/32", "2001:db8::10/128", "198.51.100.7/32"})}))
          .empty());
  EXPECT_EQ(host->added, (std::vector<IpAddress>{kV6}));
  EXPECT_TRUE(sa.ok("web"));
  EXPECT_EQ(sa.show("web")["addresses"][0]["added_by_fbfd"], false);

  sa.shutdown();
  EXPECT_TRUE(host->has("lo", kV4));
  EXPECT_TRUE(host->has("lo", ip("198.51.100.7")));
  EXPECT_FALSE(host->has("lo", kV6));
  EXPECT_EQ(host->removed, (std::vector<IpAddress>{kV6}));
}

TEST_F(ServiceAddressesTest, OwnedAddressesGoAtShutdownAndLaterEventsAreIgnored) {
  auto& sa = start();
  ASSERT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32", "2001:db8::10/128"})})).empty());
  host->deliver();
  changes.clear();

  sa.shutdown();
  EXPECT_FALSE(host->has("lo", kV4));
  EXPECT_FALSE(host->has("lo", kV6));
  EXPECT_EQ(host->removed.size(), 2u);
  EXPECT_EQ(gauge("fbf_service_addresses_added", "web"), 0);
  // The removals' own announcements must not make the service "fail".
  host->deliver();
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(host->added.size(), 2u);

  addresses.reset();  // a second stop (the destructor) removes nothing more
  EXPECT_EQ(host->removed.size(), 2u);
}

TEST_F(ServiceAddressesTest, DestructionWithoutShutdownStillRemovesWhatFbfdAdded) {
  auto& sa = start();
  ASSERT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32"})})).empty());
  addresses.reset();
  EXPECT_FALSE(host->has("lo", kV4));
}

TEST_F(ServiceAddressesTest, ALeftoverOfAnEarlierFbfdIsTakenBackAndRemovedAtShutdown) {
  host->put("lo", kV4, 32, /*marked=*/true);  // an earlier fbfd that did not stop cleanly
  host->pending.clear();
  auto& sa = start();

  ASSERT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32"})})).empty());
  EXPECT_TRUE(host->added.empty());
  EXPECT_EQ(gauge("fbf_service_addresses_added", "web"), 1);
  sa.shutdown();
  EXPECT_FALSE(host->has("lo", kV4));
}

TEST_F(ServiceAddressesTest, AReloadRemovesOnlyTheDroppedAddressesFbfdAdded) {
  const IpAddress web_a = ip("192.0.2.10"), web_b = ip("192.0.2.11"), web_c = ip("192.0.2.12");
  const IpAddress dns_a = ip("192.0.2.53"), dns_b = ip("192.0.2.54");
  host->put("lo", web_b, 32);  // operators' addresses, also named in the config
  host->put("lo", dns_b, 32);
  host->pending.clear();
  auto& sa = start();
  ASSERT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32", "192.0.2.11/32", "192.0.2.12/32"}),
                               service("dns", {"192.0.2.53/32", "192.0.2.54/32"})}))
                  .empty());
  ASSERT_EQ(host->added, (std::vector<IpAddress>{web_a, web_c, dns_a}));
  host->deliver();
  changes.clear();

  // web loses two prefixes (one fbfd's, one not), dns goes away altogether.
  EXPECT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32"})})).empty());
  EXPECT_EQ(host->removed, (std::vector<IpAddress>{dns_a, web_c}));
  EXPECT_FALSE(host->has("lo", web_c));
  EXPECT_TRUE(host->has("lo", web_a));
  EXPECT_TRUE(host->has("lo", web_b));
  EXPECT_TRUE(host->has("lo", dns_b));
  EXPECT_FALSE(host->has("lo", dns_a));
  host->deliver();
  EXPECT_TRUE(sa.ok("web"));
  EXPECT_TRUE(changes.empty()) << changes[0].service << ": " << changes[0].why;
  EXPECT_TRUE(sa.show("dns").is_null());

  sa.shutdown();
  EXPECT_EQ(host->removed, (std::vector<IpAddress>{dns_a, web_c, web_a}));
  EXPECT_TRUE(host->has("lo", web_b));
}

TEST_F(ServiceAddressesTest, APrefixMovedToAnotherServiceOnReloadStaysAndStaysFbfds) {
  const IpAddress moved = ip("192.0.2.10");
  auto& sa = start();
  ASSERT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32", "192.0.2.30/32"}),
                               service("api", {"192.0.2.20/32"})}))
                  .empty());
  host->deliver();
  changes.clear();

  // api (listed first) takes over web's address.
  EXPECT_TRUE(sa.apply(config({service("api", {"192.0.2.20/32", "192.0.2.10/32"}),
                               service("web", {"192.0.2.30/32"})}))
                  .empty());
  host->deliver();
  EXPECT_TRUE(host->has("lo", moved));
  EXPECT_TRUE(sa.ok("api")) << sa.show("api")["why"];
  EXPECT_TRUE(sa.ok("web"));
  EXPECT_TRUE(changes.empty()) << changes[0].service << ": " << changes[0].why;
  sa.shutdown();
  EXPECT_FALSE(host->has("lo", moved)) << "fbfd's address left behind";
}

TEST_F(ServiceAddressesTest, AReloadThatStopsManagingReleasesWhatFbfdAdded) {
  auto& sa = start();
  ASSERT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32"})})).empty());
  auto unmanaged = service("web", {"192.0.2.10/32"});
  unmanaged.manage_addresses = false;
  EXPECT_TRUE(sa.apply(config({unmanaged})).empty());
  EXPECT_FALSE(host->has("lo", kV4));
  EXPECT_TRUE(sa.ok("web"));
}

TEST_F(ServiceAddressesTest, AnAddressRemovedBySomeoneElseFailsTheServiceAndIsNotPutBack) {
  auto& sa = start();
  ASSERT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32", "2001:db8::10/128"})})).empty());
  host->deliver();
  changes.clear();

  host->take_away("lo", kV4);
  host->deliver();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].service, "web");
  EXPECT_FALSE(changes[0].ok);
  EXPECT_TRUE(contains(changes[0].why, "192.0.2.10/32")) << changes[0].why;
  EXPECT_FALSE(sa.ok("web"));
  EXPECT_EQ(gauge("fbf_service_address_ok", "web"), 0);

  // Not behind the remover's back, not even when fbfd re-reads everything.
  host->pending.push_back(platform::EventsLost{"test"});
  host->deliver();
  EXPECT_FALSE(host->has("lo", kV4));
  EXPECT_EQ(host->added.size(), 2u);
  EXPECT_FALSE(sa.ok("web"));

  // Back (the operator's now): ok again, and it stays at shutdown.
  host->put("lo", kV4, 32);
  host->deliver();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_TRUE(changes[1].ok);
  sa.shutdown();
  EXPECT_TRUE(host->has("lo", kV4));
  EXPECT_FALSE(host->has("lo", kV6));
}

TEST_F(ServiceAddressesTest, LinkDownFailsTheServiceAndLinkUpRestoresIt) {
  host->add_link("svc0");
  host->pending.clear();
  auto& sa = start();
  ASSERT_TRUE(
      sa.apply(config({service("web", {"192.0.2.10/32", "2001:db8::10/128"}, "svc0")})).empty());
  host->deliver();
  changes.clear();

  host->set_up("svc0", false);  // the kernel also drops the IPv6 address
  host->deliver();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].ok);
  EXPECT_TRUE(contains(changes[0].why, "svc0 is down")) << changes[0].why;
  EXPECT_FALSE(host->has("svc0", kV6));
  EXPECT_EQ(host->added.size(), 2u);  // nothing put back while down

  host->set_up("svc0", true);
  host->deliver();
  EXPECT_TRUE(host->has("svc0", kV6));
  EXPECT_TRUE(host->has("svc0", kV4));
  EXPECT_EQ(host->added.size(), 3u);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_TRUE(changes[1].ok) << changes[1].why;
  EXPECT_TRUE(sa.ok("web"));

  // Still fbfd's: removed at stop.
  sa.shutdown();
  EXPECT_FALSE(host->has("svc0", kV4));
  EXPECT_FALSE(host->has("svc0", kV6));
}

TEST_F(ServiceAddressesTest, LostEventsWhileTheLinkCameBackStillRestoreTheAddresses) {
  host->add_link("svc0");
  host->pending.clear();
  auto& sa = start();
  ASSERT_TRUE(sa.apply(config({service("web", {"2001:db8::10/128"}, "svc0")})).empty());
  host->set_up("svc0", false);
  host->deliver();
  ASSERT_FALSE(sa.ok("web"));

  // The link comes back but its messages are lost (receive buffer overrun).
  host->set_up("svc0", true);
  host->pending.clear();
  host->pending.push_back(platform::EventsLost{"netlink receive buffer overrun"});
  host->deliver();
  EXPECT_TRUE(host->has("svc0", kV6));
  EXPECT_TRUE(sa.ok("web")) << sa.show("web")["why"];
}

TEST_F(ServiceAddressesTest, AMissingInterfaceWithoutDummyLinksIsAnErrorNamingServiceAndCause) {
  auto& sa = start();
  const auto errors =
      sa.apply(config({service("web", {"192.0.2.10/32"}, "svc0"), service("dns", {"192.0.2.53"})}));

  ASSERT_EQ(errors.size(), 1u);
  const std::string& e = errors[0];
  EXPECT_EQ(e.rfind("service web: ", 0), 0u) << e;
  EXPECT_TRUE(contains(e, "svc0")) << e;
  EXPECT_TRUE(contains(e, "no dummy link type")) << e;
  EXPECT_TRUE(contains(e, "interface = \"lo\"")) << e;
  EXPECT_FALSE(sa.ok("web"));
  EXPECT_TRUE(sa.ok("dns"));  // the other service is not held hostage
  EXPECT_EQ(host->added, (std::vector<IpAddress>{ip("192.0.2.53")}));
  ASSERT_EQ(changes.size(), 2u);
  const auto& web = changes[0].service == "web" ? changes[0] : changes[1];
  EXPECT_FALSE(web.ok);
  EXPECT_TRUE(contains(web.why, "no dummy link type")) << web.why;

  // The operator creates the interface: the addresses go on it.
  host->add_link("svc0");
  host->deliver();
  EXPECT_TRUE(host->has("svc0", kV4));
  EXPECT_TRUE(sa.ok("web"));
}

TEST_F(ServiceAddressesTest, ADummyLinkFbfdCreatedIsDeletedAtShutdown) {
  host->dummy_supported = true;
  auto& sa = start();
  ASSERT_TRUE(sa.apply(config({service("web", {"192.0.2.10/32"}, "svc0")})).empty());
  EXPECT_EQ(host->created_links, (std::vector<std::string>{"svc0"}));
  EXPECT_TRUE(host->has("svc0", kV4));
  EXPECT_TRUE(sa.ok("web"));
  sa.shutdown();
  EXPECT_EQ(host->deleted_links, (std::vector<std::string>{"svc0"}));
}

TEST_F(ServiceAddressesTest, UnmanagedAddressesAreAlwaysOkAndNothingIsTouched) {
  auto web = service("web", {"192.0.2.10/32", "2001:db8::10/128"}, "svc-missing");
  web.manage_addresses = false;
  auto& sa = start();

  EXPECT_TRUE(sa.apply(config({web})).empty());
  EXPECT_TRUE(sa.ok("web"));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].ok);
  EXPECT_EQ(host->ensure_calls, 0);
  EXPECT_EQ(host->watch_calls, 0);

  // Nothing that happens on the host concerns it.
  host->put("lo", kV4, 32);
  host->take_away("lo", kV4);
  host->set_up("lo", false);
  host->deliver();
  EXPECT_TRUE(sa.ok("web"));
  EXPECT_EQ(changes.size(), 1u);
  sa.shutdown();
  EXPECT_TRUE(host->added.empty());
  EXPECT_TRUE(host->removed.empty());
}

TEST_F(ServiceAddressesTest, WiderPrefixesPutNoAddress) {
  auto& sa = start();
  EXPECT_TRUE(sa.apply(config({service("range", {"192.0.2.0/24", "2001:db8::/64"}, "svc-missing")}))
                  .empty());
  EXPECT_TRUE(sa.ok("range"));
  EXPECT_EQ(host->ensure_calls, 0);
  EXPECT_TRUE(host->added.empty());

  // Mixed: only the host prefix gets an address.
  EXPECT_TRUE(sa.apply(config({service("mixed",
                                       {"198.51.100.0/24", "198.51.100.7/32", "2001:db8:1::/48"})}))
                  .empty());
  EXPECT_EQ(host->added, (std::vector<IpAddress>{ip("198.51.100.7")}));
  EXPECT_EQ(sa.show("mixed")["announced_only"].size(), 2u);
}

}  // namespace
}  // namespace fbf::agent
