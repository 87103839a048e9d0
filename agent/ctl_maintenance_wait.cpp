#include "agent/ctl_maintenance_wait.h"

#include <algorithm>

#include "agent/ctl_render.h"

namespace fbf::agent {
namespace {

using nlohmann::json;

const json* find_service(const json& status, const std::string& name) {
  const json& list = json_member(status, "services");
  if (!list.is_array()) return nullptr;
  for (const auto& s : list)
    if (json_member(s, "service") == name) return &s;
  return nullptr;
}

std::string phase_of(const json& service) {
  const json& p = json_member(service, "phase");
  return p.is_string() ? p.get<std::string>() : std::string();
}

// Phases a service only reaches by the opposite command (someone ran stop
// while we wait for drained, or start while we wait for active).
bool reversed(const std::string& phase, WaitTarget target) {
  if (target == WaitTarget::drained) return phase == "restoring" || phase == "active";
  return phase == "draining" || phase == "drained";
}

std::string target_name(WaitTarget target) {
  return target == WaitTarget::drained ? "drained" : "active";
}

}  // namespace

std::vector<std::string> wait_selection(const json& first_status,
                                        const std::vector<std::string>& named) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  if (!named.empty()) {
    for (const auto& n : named) add(n);
    return out;
  }
  const json& list = json_member(first_status, "services");
  if (!list.is_array()) return out;
  for (const auto& s : list) {
    const json& name = json_member(s, "service");
    if (name.is_string()) add(name.get<std::string>());
  }
  return out;
}

WaitStep wait_step(const json& previous, const json& current, WaitTarget target,
                   const std::vector<std::string>& selection) {
  WaitStep step;
  if (!json_member(current, "services").is_array()) {
    step.outcome = WaitStep::Outcome::failed;
    step.error = "the agent's maintenance status has no list of services";
    return step;
  }
  bool all_there = true;
  for (const auto& name : selection) {
    const json* now = find_service(current, name);
    if (!now) {
      step.outcome = WaitStep::Outcome::failed;
      step.error = "service '" + name + "' is no longer configured";
      return step;
    }
    const std::string line = maintenance_progress_line(*now);
    const json* before = previous.is_null() ? nullptr : find_service(previous, name);
    if (!before || maintenance_progress_line(*before) != line) step.lines.push_back(line);
    const std::string phase = phase_of(*now);
    if (reversed(phase, target)) {
      step.outcome = WaitStep::Outcome::failed;
      step.error = "service '" + name + "' went " + phase + " while waiting for " +
                   target_name(target) + " (" +
                   (target == WaitTarget::drained ? "maintenance stopped" : "maintenance started") +
                   " by someone else?)";
      return step;
    }
    all_there = all_there && phase == target_name(target);
  }
  if (!all_there) return step;
  step.outcome = WaitStep::Outcome::done;
  if (selection.empty())
    step.lines.push_back("done: no services to wait for");
  else if (selection.size() == 1)
    step.lines.push_back("done: " + selection.front() + " is " + target_name(target));
  else
    step.lines.push_back("done: all " + std::to_string(selection.size()) + " services are " +
                         target_name(target));
  return step;
}

}  // namespace fbf::agent
