#pragma once
// `fbfctl maintenance start|stop [SERVICE...] [--drain-time D] [--wait
// [--timeout D]]`: sends the command, then with --wait polls `maintenance
// status` and prints progress until every selected service is drained
// (start) or active (stop). Exit codes as shared/spec/CLI.md: 1 when the
// agent refuses, a selected service is removed or sent the other way, or
// --timeout passes; 3 when the agent cannot be reached, also mid-wait.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/ctl_command.h"

namespace fbf::agent {

struct MaintenanceCommand {
  bool start = true;                      // start, else stop
  std::vector<std::string> services;      // none: every service
  std::optional<std::string> drain_time;  // start only; checked by the caller
  bool wait = false;
  std::optional<std::chrono::milliseconds> timeout;  // --wait gives up after this
  std::chrono::milliseconds poll_interval{200};
};

// The request for start/stop (without --wait's polling).
Request maintenance_request(const MaintenanceCommand& cmd);

// With `json_out` no progress lines: the final status is the one document.
int run_maintenance(const CtlIo& io, bool json_out, const MaintenanceCommand& cmd);

}  // namespace fbf::agent
