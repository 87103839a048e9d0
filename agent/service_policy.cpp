#include "agent/service_policy.h"

namespace fbf::agent {

std::string_view to_string(Announcement a) {
  switch (a) {
    case Announcement::withdrawn:
      return "withdrawn";
    case Announcement::normal:
      return "announced";
    case Announcement::degraded:
      return "degraded";
    case Announcement::graceful_shutdown:
      return "graceful_shutdown";
  }
  return "unknown";
}

ServiceDecision decide(const ServiceConfig& service, const ServiceInputs& in) {
  using checks::Verdict;
  const bool draining = in.maintenance == MaintenanceRoutes::graceful_shutdown;
  if (in.maintenance == MaintenanceRoutes::withdrawn)
    return {Announcement::withdrawn, "maintenance: drained"};
  if (in.health == Verdict::disabled)
    return {Announcement::withdrawn, "disable file present"};
  if (!in.addresses_ok)
    return {Announcement::withdrawn,
            "addresses: " + (in.addresses_why.empty() ? std::string("not in place")
                                                      : in.addresses_why)};
  if (in.health == Verdict::starting)
    return {Announcement::withdrawn, "health check not yet passed"};
  if (in.health == Verdict::failing) {
    if (draining) return {Announcement::withdrawn, "health check failing while draining"};
    if (service.on_failure == OnFailure::degrade && in.ever_healthy)
      return {Announcement::degraded, "health check failing: degraded"};
    if (service.on_failure == OnFailure::degrade)
      return {Announcement::withdrawn, "health check failing, never healthy yet"};
    return {Announcement::withdrawn, "health check failing"};
  }
  if (draining) return {Announcement::graceful_shutdown, "maintenance: draining (GRACEFUL_SHUTDOWN)"};
  return {Announcement::normal, service.check ? "healthy" : "no check: always healthy"};
}

}  // namespace fbf::agent
