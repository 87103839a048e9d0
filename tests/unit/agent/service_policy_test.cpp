// The service policy: which of health, addresses and maintenance decides
// what a service announces (agent/service_policy.h lists the rules).
#include "agent/service_policy.h"

#include <gtest/gtest.h>

namespace fbf::agent {
namespace {

using checks::Verdict;
using A = Announcement;

ServiceConfig service(OnFailure on_failure = OnFailure::withdraw) {
  ServiceConfig s;
  s.name = "web";
  s.on_failure = on_failure;
  s.check = HealthCheck{};
  return s;
}

A decide_for(Verdict health, MaintenanceRoutes m = MaintenanceRoutes::normal,
             OnFailure on_failure = OnFailure::withdraw, bool addresses_ok = true) {
  return decide(service(on_failure), {health, addresses_ok, "", m}).announcement;
}

TEST(ServicePolicy, HealthAloneDecidesWhenActive) {
  EXPECT_EQ(decide_for(Verdict::healthy), A::normal);
  EXPECT_EQ(decide_for(Verdict::starting), A::withdrawn);
  EXPECT_EQ(decide_for(Verdict::failing), A::withdrawn);
  EXPECT_EQ(decide_for(Verdict::disabled), A::withdrawn);
}

TEST(ServicePolicy, DegradeAnnouncesDegradedWhileFailingOnly) {
  EXPECT_EQ(decide_for(Verdict::failing, MaintenanceRoutes::normal, OnFailure::degrade),
            A::degraded);
  EXPECT_EQ(decide_for(Verdict::healthy, MaintenanceRoutes::normal, OnFailure::degrade),
            A::normal);
  // Not yet proven is not "failing": nothing is announced, degraded or not.
  EXPECT_EQ(decide_for(Verdict::starting, MaintenanceRoutes::normal, OnFailure::degrade),
            A::withdrawn);
  // The disable file holds the route out whatever on_failure says.
  EXPECT_EQ(decide_for(Verdict::disabled, MaintenanceRoutes::normal, OnFailure::degrade),
            A::withdrawn);
}

TEST(ServicePolicy, DegradeNeedsTheServiceToHaveBeenHealthyOnce) {
  // A new host whose service never came up must not attract traffic, not
  // even with the degraded attributes.
  auto d = decide(service(OnFailure::degrade),
                  {Verdict::failing, true, "", MaintenanceRoutes::normal, false});
  EXPECT_EQ(d.announcement, A::withdrawn);
  EXPECT_EQ(d.reason, "health check failing, never healthy yet");
  EXPECT_EQ(decide(service(OnFailure::degrade),
                   {Verdict::failing, true, "", MaintenanceRoutes::normal, true})
                .announcement,
            A::degraded);
}

TEST(ServicePolicy, DrainingTagsHealthyRoutes) {
  EXPECT_EQ(decide_for(Verdict::healthy, MaintenanceRoutes::graceful_shutdown),
            A::graceful_shutdown);
}

TEST(ServicePolicy, FailureDuringDrainWithdrawsAtOnceEvenWithDegrade) {
  EXPECT_EQ(decide_for(Verdict::failing, MaintenanceRoutes::graceful_shutdown), A::withdrawn);
  EXPECT_EQ(decide_for(Verdict::failing, MaintenanceRoutes::graceful_shutdown, OnFailure::degrade),
            A::withdrawn);
}

TEST(ServicePolicy, DrainedHoldsTheRouteOutWhenHealthHeals) {
  // maintenance start on a failing service, then it heals: still withdrawn.
  EXPECT_EQ(decide_for(Verdict::healthy, MaintenanceRoutes::withdrawn), A::withdrawn);
  EXPECT_EQ(decide(service(), {Verdict::healthy, true, "", MaintenanceRoutes::withdrawn}).reason,
            "maintenance: drained");
}

TEST(ServicePolicy, DisableFileAndMaintenanceCompose) {
  // Either one holds the route out; removing one leaves the other in force.
  EXPECT_EQ(decide_for(Verdict::disabled, MaintenanceRoutes::withdrawn), A::withdrawn);
  EXPECT_EQ(decide_for(Verdict::disabled, MaintenanceRoutes::graceful_shutdown), A::withdrawn);
  EXPECT_EQ(decide_for(Verdict::healthy, MaintenanceRoutes::withdrawn), A::withdrawn);
}

TEST(ServicePolicy, MissingAddressWithdrawsEvenWhenDegradeIsConfigured) {
  auto d = decide(service(OnFailure::degrade),
                  {Verdict::healthy, false, "203.0.113.10 removed from lo", {}});
  EXPECT_EQ(d.announcement, A::withdrawn);
  EXPECT_EQ(d.reason, "addresses: 203.0.113.10 removed from lo");
}

TEST(ServicePolicy, ServiceWithoutCheckIsAnnouncedOnceHealthy) {
  ServiceConfig s;
  s.name = "static";
  auto d = decide(s, {Verdict::healthy, true, "", MaintenanceRoutes::normal});
  EXPECT_EQ(d.announcement, A::normal);
  EXPECT_EQ(d.reason, "no check: always healthy");
}

TEST(ServicePolicy, NamesForShowServices) {
  EXPECT_EQ(to_string(A::normal), "announced");
  EXPECT_EQ(to_string(A::withdrawn), "withdrawn");
  EXPECT_EQ(to_string(A::degraded), "degraded");
  EXPECT_EQ(to_string(A::graceful_shutdown), "graceful_shutdown");
}

}  // namespace
}  // namespace fbf::agent
