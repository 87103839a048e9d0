#pragma once
// fbfd's composition root: owns the event loop and every long-lived part
// (control socket, metrics endpoint, and — as they land — BFD, BGP, services,
// maintenance). Signals and control commands arrive here as loop events.

#include <chrono>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/bfd_sessions.h"
#include "agent/bgp_neighbors.h"
#include "agent/config.h"
#include "agent/control_protocol.h"
#include "agent/control_server.h"
#include "platform/event.h"
#include "agent/metrics.h"
#include "agent/metrics_http.h"
#include "agent/services.h"
#include "platform/service_notify.h"

namespace fbf::agent {

struct DaemonOptions {
  std::filesystem::path config_path;
  std::optional<LogLevel> log_level_override;  // --log-level beats the file
};

class Daemon {
 public:
  // Opens every listening socket; an error here means fbfd must exit 1.
  static std::expected<std::unique_ptr<Daemon>, std::string> start(Config config,
                                                                   DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs the loop until SIGTERM/SIGINT; returns the process exit code.
  int run();
  // The configuration in force (the one it started with until a reload).
  const Config& config() const { return config_; }

 private:
  Daemon(Config config, DaemonOptions options);
  std::expected<void, std::string> open_endpoints();
  void register_metrics();
  void register_commands();
  CommandResult reload();
  void apply(Config next);
  void stop(const char* why);
  // Maintenance close_sessions: close or reopen BGP and BFD per neighbor.
  void apply_maintenance_sessions();
  json status() const;

  Config config_;
  DaemonOptions options_;
  platform::EventBasePtr base_;
  Metrics metrics_;
  CommandTable commands_;
  platform::ServiceNotifier notifier_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<MetricsHttp> metrics_http_;
  std::unique_ptr<BfdSessions> bfd_;
  std::unique_ptr<BgpNeighbors> bgp_;
  std::unique_ptr<Services> services_;  // after bgp_: destroyed first, it calls into it
  std::unique_ptr<platform::PeriodicTimer> drain_;  // graceful stop: waits for BGP to flush
  std::chrono::steady_clock::time_point stop_deadline_;
  std::vector<std::unique_ptr<platform::SignalWatch>> signals_;
  std::unique_ptr<platform::PeriodicTimer> watchdog_;

  std::chrono::steady_clock::time_point started_;
  std::chrono::system_clock::time_point started_wall_;
  std::chrono::system_clock::time_point config_loaded_wall_;
  struct LastReload {
    std::chrono::system_clock::time_point at;
    bool ok = true;
    std::vector<std::string> errors;
  };
  std::optional<LastReload> last_reload_;
  Counter* reloads_ok_ = nullptr;
  Counter* reloads_error_ = nullptr;
  Gauge* last_reload_successful_ = nullptr;
};

}  // namespace fbf::agent
