#pragma once
// The agent's services ([[service]]): for each one its health check
// (agent/checks/service_health.*), its addresses on the host
// (agent/service_addresses.*) and its maintenance phase
// (agent/maintenance_runner.*), combined by the service policy
// (agent/service_policy.h) into what it announces. Every change of that
// decision is logged once, counted, and handed to the BGP side in the same
// loop turn (`Hooks::routes_changed`), so a verdict reaches every Established
// neighbor before the loop waits again.

#include <event2/event.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/checks/service_health.h"
#include "agent/config.h"
#include "agent/control_protocol.h"
#include "agent/maintenance_runner.h"
#include "agent/metrics.h"
#include "agent/service_addresses.h"
#include "agent/service_policy.h"

namespace fbf::agent {

class Services {
 public:
  struct Hooks {
    // A service's decision changed: re-evaluate the routes of every neighbor
    // now (BgpNeighbors::refresh_all).
    std::function<void()> routes_changed;
    // Whether `service`'s routes are sent to at least one neighbor that is up.
    std::function<bool(const ServiceConfig& service)> announced;
    // Whether `service`'s routes are out (BgpNeighbors::sent_to_all_up):
    // restoring is over.
    std::function<bool(const ServiceConfig& service)> sent_to_all_up;
    // Maintenance wants sessions closed or reopened (close_sessions).
    std::function<void()> sessions_changed;
  };

  // On the host's address system (rtnetlink on Linux).
  Services(event_base* base, Metrics& metrics, Hooks hooks);
  // With a given address system (tests).
  Services(event_base* base, Metrics& metrics, Hooks hooks,
           std::unique_ptr<ServiceAddresses> addresses);
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  // Start or reconcile with `config`: addresses put in place, maintenance
  // phases resumed (first call) or kept (reload), health checks started —
  // an unchanged check keeps running, a changed one restarts seeded with the
  // old verdict, so a reload alone never flaps a route. Returns errors
  // (addresses that cannot be put in place, an unreadable maintenance state).
  std::vector<std::string> apply(const Config& config);
  // Graceful stop: remove the addresses fbfd added. Checks stop probing.
  void shutdown();

  // The policy's decision for `service` (withdrawn for an unknown one).
  ServiceDecision decision(const std::string& service) const;
  // Names of neighbors whose sessions maintenance wants closed: every
  // service announced to them has close_sessions in force.
  std::set<std::string> neighbors_to_close(const Config& config) const;
  // The BGP side sent routes (a session came up): restoring services whose
  // routes are out move on to active.
  void routes_sent();
  // "active" or "draining (web)" for `show status`.
  std::string maintenance_summary() const;

  void register_commands(CommandTable& commands);
  json show() const;

 private:
  struct Entry;

  void reevaluate(const std::string& name, std::string_view cause);
  // The per-service families: collectors over entries_, once.
  void register_metrics();

  event_base* base_;
  Metrics& metrics_;
  Hooks hooks_;
  std::unique_ptr<ServiceAddresses> addresses_;
  std::unique_ptr<MaintenanceRunner> maintenance_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  // Of the configuration, what show() reads: the services in their order and
  // the neighbor names (a copy of all of it held every BFD peer once more).
  std::vector<ServiceConfig> services_;
  std::vector<std::string> neighbor_names_;
  bool applying_ = false;  // batch route changes during apply()
  bool routes_dirty_ = false;
  bool stopped_ = false;
  std::vector<Metrics::Registration> metric_families_;  // read entries_: dropped first
};

}  // namespace fbf::agent
