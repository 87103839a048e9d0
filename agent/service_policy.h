#pragma once
// What a service announces, decided from everything that has a say: its
// health verdict, its addresses on the host, and its maintenance phase.
// Pure: the agent (agent/services.*) gathers the inputs, BgpNeighbors turns
// the decision into attributes per neighbor (bgp/route_policy.h).
//
// The rules, in order (the first that applies wins):
//   1. maintenance drained with withdraw = true      -> withdrawn
//   2. disable file present                          -> withdrawn
//   3. a service address missing or its link down    -> withdrawn
//      (the host could not answer on it: degrading would still attract traffic)
//   4. health not yet proven (`rise` not reached)    -> withdrawn
//   5. failing while draining                        -> withdrawn at once
//      (issue: "a health failure during draining withdraws at once")
//   6. failing, on_failure = "degrade"               -> degraded attributes
//      (only once it has been healthy: a service that never came up is not
//      announced at all, degraded or not — it would attract traffic it has
//      never served)
//      failing, on_failure = "withdraw"              -> withdrawn
//   7. healthy                                       -> normal attributes,
//      tagged GRACEFUL_SHUTDOWN while draining (RFC 8326 §4)
// Either the disable file or maintenance holds the route out (they compose);
// a service that healed while drained stays withdrawn until `maintenance stop`.

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/checks/health.h"
#include "agent/config.h"
#include "agent/maintenance.h"

namespace fbf::agent {

struct ServiceInputs {
  checks::Verdict health = checks::Verdict::starting;
  bool addresses_ok = true;
  std::string addresses_why;  // why not ok
  MaintenanceRoutes maintenance = MaintenanceRoutes::normal;
  bool ever_healthy = true;  // the service has been healthy since fbfd started
};

enum class Announcement : std::uint8_t {
  withdrawn,
  normal,
  degraded,           // `degraded` attributes (on_failure = "degrade")
  graceful_shutdown,  // normal attributes + GRACEFUL_SHUTDOWN (draining)
};
std::string_view to_string(Announcement a);

struct ServiceDecision {
  Announcement announcement = Announcement::withdrawn;
  std::string reason;  // one phrase for logs and `show services`
  bool announced() const { return announcement != Announcement::withdrawn; }
  friend bool operator==(const ServiceDecision&, const ServiceDecision&) = default;
};

ServiceDecision decide(const ServiceConfig& service, const ServiceInputs& in);

}  // namespace fbf::agent
