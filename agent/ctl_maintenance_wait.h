#pragma once
// `fbfctl maintenance start|stop --wait`, the deciding part: from two
// consecutive `maintenance status` replies, which progress lines to print
// and whether the wait is over. Pure; the polling loop, its timeout and the
// socket are agent/ctl_maintenance.cpp's.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fbf::agent {

// start --wait waits for `drained`, stop --wait for `active`.
enum class WaitTarget { drained, active };

struct WaitStep {
  enum class Outcome { waiting, done, failed };
  Outcome outcome = Outcome::waiting;
  std::vector<std::string> lines;  // progress to print, in order, without '\n'
  std::string error;               // failed: why, for standard error
};

// The services a wait follows: `named` (duplicates dropped), or when none
// were named every service in the reply to start/stop — fixed then, so a
// service a reload adds later does not hold the wait.
std::vector<std::string> wait_selection(const nlohmann::json& first_status,
                                        const std::vector<std::string>& named);

// `previous` is null for the first status (the reply to start/stop): every
// selected service gets a line then, and later only those whose line
// (phase, seconds left, connections) changed. Done when every selected
// service is at the target phase; failed when one disappeared (removed by a
// reload) or moved the other way (another fbfctl ran stop, or start).
WaitStep wait_step(const nlohmann::json& previous, const nlohmann::json& current, WaitTarget target,
                   const std::vector<std::string>& selection);

}  // namespace fbf::agent
