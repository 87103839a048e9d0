#pragma once
// The I/O side of planned maintenance: one MaintenanceSequencer per service
// (agent/maintenance.h) driven by the event loop — its timers, connection
// counts through inet_diag, the state file written on every phase change,
// metrics, logs, and the `maintenance start|stop|status` control commands.
// What a phase means for the routes and the sessions is the service
// policy's business; the runner tells it through `changed`.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/control_protocol.h"
#include "agent/maintenance.h"
#include "agent/maintenance_store.h"
#include "agent/metrics.h"
#include "platform/event.h"

namespace fbf::agent {

class MaintenanceRunner {
 public:
  struct Hooks {
    // A service's phase changed: re-evaluate its routes (and, for
    // close_sessions, the neighbors' sessions) in this loop turn.
    std::function<void(const std::string& service)> changed;
    // Whether the service's routes are announced now (a start on a service
    // that announces nothing goes to drained at once).
    std::function<bool(const std::string& service)> announced;
  };

  MaintenanceRunner(event_base* base, Metrics& metrics, Hooks hooks);
  ~MaintenanceRunner();

  // First call: load the state file and resume each service's phase (an
  // unreadable file fails safe: every service drained, reported as an
  // error). Later calls (reload): new services start active, removed ones
  // are forgotten, the others keep their phase with the new settings.
  std::vector<std::string> apply(const Config& config);

  MaintenanceRoutes routes(const std::string& service) const;
  bool sessions_closed(const std::string& service) const;
  MaintenancePhase phase(const std::string& service) const;
  // The agent sent the normal routes to every neighbor of `service` that is up.
  void routes_sent(const std::string& service);

  // "active", or e.g. "draining (web), drained (dns)" for `show status`.
  std::string summary() const;
  json status() const;
  void register_commands(CommandTable& commands);

 private:
  struct Entry;

  CommandResult start(const json& args);
  CommandResult stop(const json& args);
  std::expected<std::vector<Entry*>, CommandError> select(const json& args);
  void execute(Entry& e, const MaintenanceSequencer::Actions& actions);
  void poll_connections();
  void save();
  void update_poller();

  event_base* base_;
  Metrics& metrics_;
  Hooks hooks_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::filesystem::path state_file_;
  bool loaded_ = false;
  bool count_unsupported_logged_ = false;
  std::unique_ptr<platform::PeriodicTimer> poller_;
};

}  // namespace fbf::agent
