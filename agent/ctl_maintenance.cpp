#include "agent/ctl_maintenance.h"

#include <algorithm>

#include "agent/config.h"
#include "agent/ctl_maintenance_wait.h"
#include "agent/ctl_render.h"

namespace fbf::agent {
namespace {

// Services that have not reached the target yet: "web (draining), dns (drained)".
std::string pending(const json& status, const std::vector<std::string>& selection,
                    WaitTarget target) {
  const std::string want = target == WaitTarget::drained ? "drained" : "active";
  std::string out;
  const json& list = json_member(status, "services");
  if (!list.is_array()) return out;
  for (const auto& s : list) {
    const std::string name = cell_text(s, "service");
    const std::string phase = cell_text(s, "phase");
    if (phase == want || std::find(selection.begin(), selection.end(), name) == selection.end())
      continue;
    out += (out.empty() ? "" : ", ") + name + " (" + phase + ")";
  }
  return out;
}

int wait_for(const CtlIo& io, bool json_out, const MaintenanceCommand& cmd, json status) {
  const WaitTarget target = cmd.start ? WaitTarget::drained : WaitTarget::active;
  const auto selection = wait_selection(status, cmd.services);
  const auto started = io.now();
  json previous;  // null: the first step prints every selected service
  for (;;) {
    const WaitStep step = wait_step(previous, status, target, selection);
    if (!json_out) {
      for (const auto& line : step.lines) *io.out << line << '\n';
      io.out->flush();
    }
    if (step.outcome == WaitStep::Outcome::failed) {
      ctl_report(io, json_out, "failed", step.error, {{"status", status}});
      return ctl_exit::refused;
    }
    if (step.outcome == WaitStep::Outcome::done) {
      if (json_out) *io.out << status.dump(2) << std::endl;
      return ctl_exit::ok;
    }
    auto pause = cmd.poll_interval;
    if (cmd.timeout) {
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(io.now() - started);
      if (waited >= *cmd.timeout) {
        ctl_report(io, json_out, "timeout",
                   "gave up after " + format_duration(*cmd.timeout) + " waiting for " +
                       (cmd.start ? "drained" : "active") + ": " +
                       pending(status, selection, target),
                   {{"status", status}});
        return ctl_exit::refused;
      }
      pause = std::min(pause, *cmd.timeout - waited);
    }
    io.sleep(pause);
    auto next = ctl_call(io, "maintenance status", json::object(), json_out);
    if (!next) return next.error();
    previous = std::move(status);
    status = std::move(*next);
  }
}

}  // namespace

Request maintenance_request(const MaintenanceCommand& cmd) {
  json args = json::object();
  if (!cmd.services.empty()) args["services"] = cmd.services;
  if (cmd.start && cmd.drain_time) args["drain_time"] = *cmd.drain_time;
  return Request{cmd.start ? "maintenance start" : "maintenance stop", std::move(args), nullptr};
}

int run_maintenance(const CtlIo& io, bool json_out, const MaintenanceCommand& cmd) {
  const Request request = maintenance_request(cmd);
  auto reply = ctl_call(io, request.command, request.args, json_out);
  if (!reply) return reply.error();
  if (cmd.wait) return wait_for(io, json_out, cmd, std::move(*reply));
  if (json_out)
    *io.out << reply->dump(2) << '\n';
  else
    *io.out << render_maintenance(*reply);
  io.out->flush();
  return ctl_exit::ok;
}

}  // namespace fbf::agent
