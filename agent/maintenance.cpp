#include "agent/maintenance.h"

#include <utility>

namespace fbf::agent {

std::string_view to_string(MaintenancePhase phase) {
  switch (phase) {
    case MaintenancePhase::active: return "active";
    case MaintenancePhase::draining: return "draining";
    case MaintenancePhase::drained: return "drained";
    case MaintenancePhase::restoring: return "restoring";
  }
  return "unknown";
}

std::optional<MaintenancePhase> parse_maintenance_phase(std::string_view text) {
  for (auto p : {MaintenancePhase::active, MaintenancePhase::draining, MaintenancePhase::drained,
                 MaintenancePhase::restoring})
    if (to_string(p) == text) return p;
  return std::nullopt;
}

MaintenanceSequencer::MaintenanceSequencer(MaintenanceSettings settings, TimePoint now)
    : settings_(settings), since_(now), drain_(settings.drain_time) {}

void MaintenanceSequencer::enter(MaintenancePhase to, TimePoint now, std::string reason,
                                 Actions& out) {
  out.transitions.push_back({phase_, to, std::move(reason)});
  phase_ = to;
  since_ = now;
  if (to != MaintenancePhase::draining) connections_.reset();
}

std::optional<MaintenanceSequencer::TimePoint> MaintenanceSequencer::deadline() const {
  switch (phase_) {
    case MaintenancePhase::draining: return since_ + drain_;
    case MaintenancePhase::restoring: return since_ + settings_.restore_timeout;
    default: return std::nullopt;
  }
}

std::optional<MaintenanceSequencer::TimePoint> MaintenanceSequencer::timer() const {
  return deadline();
}

MaintenanceRoutes MaintenanceSequencer::routes() const {
  switch (phase_) {
    case MaintenancePhase::draining: return MaintenanceRoutes::graceful_shutdown;
    case MaintenancePhase::drained:
      return settings_.withdraw ? MaintenanceRoutes::withdrawn
                                : MaintenanceRoutes::graceful_shutdown;
    default: return MaintenanceRoutes::normal;
  }
}

bool MaintenanceSequencer::sessions_closed() const {
  return phase_ == MaintenancePhase::drained && settings_.close_sessions && settings_.withdraw;
}

bool MaintenanceSequencer::wants_connection_counts() const {
  return phase_ == MaintenancePhase::draining && settings_.drain_connections >= 0;
}

MaintenanceSequencer::Actions MaintenanceSequencer::resume(TimePoint now,
                                                           MaintenancePhase stored) {
  Actions out;
  switch (stored) {
    case MaintenancePhase::active: break;
    case MaintenancePhase::draining:
    case MaintenancePhase::drained:
      enter(MaintenancePhase::drained, now, "resumed from the state file", out);
      break;
    case MaintenancePhase::restoring:
      enter(MaintenancePhase::restoring, now, "resumed from the state file", out);
      break;
  }
  out.timer = timer();
  return out;
}

MaintenanceSequencer::Actions MaintenanceSequencer::start(
    TimePoint now, std::optional<std::chrono::milliseconds> drain_time, bool announced) {
  Actions out;
  if (phase_ == MaintenancePhase::draining || phase_ == MaintenancePhase::drained) {
    out.timer = timer();  // already on its way: a repeated start changes nothing
    return out;
  }
  drain_ = drain_time.value_or(settings_.drain_time);
  if (!announced) {
    enter(MaintenancePhase::drained, now, "maintenance start (nothing announced to drain)", out);
  } else {
    // Even with a drain time of 0 the phase passes through draining: the
    // timer fires on the next loop turn, after the tagged re-announcement
    // went out.
    enter(MaintenancePhase::draining, now, "maintenance start", out);
  }
  out.timer = timer();
  return out;
}

MaintenanceSequencer::Actions MaintenanceSequencer::stop(TimePoint now) {
  Actions out;
  if (phase_ == MaintenancePhase::draining || phase_ == MaintenancePhase::drained)
    enter(MaintenancePhase::restoring, now, "maintenance stop", out);
  out.timer = timer();
  return out;
}

MaintenanceSequencer::Actions MaintenanceSequencer::on_timer(TimePoint now) {
  Actions out;
  if (auto d = deadline(); d && now >= *d) {
    if (phase_ == MaintenancePhase::draining)
      enter(MaintenancePhase::drained, now, "drain time elapsed", out);
    else if (phase_ == MaintenancePhase::restoring)
      enter(MaintenancePhase::active, now,
            "restore timeout: not every neighbor is up; they get the routes when they are", out);
  }
  out.timer = timer();
  return out;
}

MaintenanceSequencer::Actions MaintenanceSequencer::on_connections(TimePoint now,
                                                                   std::uint64_t count) {
  Actions out;
  if (wants_connection_counts()) {
    connections_ = count;
    const auto threshold = static_cast<std::uint64_t>(settings_.drain_connections);
    if (count <= threshold && now - since_ >= kMinDrain)
      enter(MaintenancePhase::drained, now,
            "connections drained (" + std::to_string(count) + " <= " +
                std::to_string(threshold) + ")",
            out);
  }
  out.timer = timer();
  return out;
}

MaintenanceSequencer::Actions MaintenanceSequencer::on_routes_sent(TimePoint now) {
  Actions out;
  if (phase_ == MaintenancePhase::restoring)
    enter(MaintenancePhase::active, now, "routes re-announced", out);
  out.timer = timer();
  return out;
}

}  // namespace fbf::agent
