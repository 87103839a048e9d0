#include "agent/maintenance_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "platform/tcp_connections.h"

namespace fbf::agent {
namespace {

using Clock = MaintenanceSequencer::Clock;
using namespace std::chrono_literals;

// How often connections are counted while a drain waits for them: fast
// enough that the drain ends within a fraction of a second of the last
// connection closing, cheap enough (one inet_diag dump) to not matter.
constexpr auto kConnectionPoll = 250ms;
// A router that stays down must not hold `maintenance stop --wait` forever.
constexpr auto kRestoreTimeout = 30s;

MaintenanceSettings settings_of(const MaintenanceConfig& m) {
  MaintenanceSettings s;
  s.drain_time = m.drain_time;
  s.drain_connections = m.drain_connections;
  s.withdraw = m.withdraw;
  s.close_sessions = m.close_sessions;
  s.restore_timeout = kRestoreTimeout;
  return s;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view routes_name(MaintenanceRoutes r) {
  switch (r) {
    case MaintenanceRoutes::normal:
      return "normal";
    case MaintenanceRoutes::graceful_shutdown:
      return "graceful_shutdown";
    case MaintenanceRoutes::withdrawn:
      return "withdrawn";
  }
  return "unknown";
}

double phase_value(MaintenancePhase p) { return static_cast<double>(static_cast<int>(p)); }

}  // namespace

struct MaintenanceRunner::Entry {
  Entry(std::string n, std::vector<platform::Prefix> p, MaintenanceSettings s)
      : name(std::move(n)), prefixes(std::move(p)), seq(s, Clock::now()) {}
  std::string name;
  std::vector<platform::Prefix> prefixes;
  MaintenanceSequencer seq;
  std::int64_t since_unix_ms = wall_ms();
  std::unique_ptr<platform::Timer> timer;
};

MaintenanceRunner::MaintenanceRunner(event_base* base, Metrics& metrics, Hooks hooks)
    : base_(base), metrics_(metrics), hooks_(std::move(hooks)) {}

MaintenanceRunner::~MaintenanceRunner() = default;

std::vector<std::string> MaintenanceRunner::apply(const Config& config) {
  std::vector<std::string> errors;
  const auto settings = settings_of(config.maintenance);
  // Forget removed services.
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (has_service(config, it->first)) {
      ++it;
      continue;
    }
    metrics_.remove("fbf_maintenance_phase", {{"service", it->first}});
    it = entries_.erase(it);
  }
  for (const auto& s : config.services) {
    auto& slot = entries_[s.name];
    if (slot) {
      slot->prefixes = s.prefixes;
      slot->seq.set_settings(settings);  // reload keeps the phase
      continue;
    }
    slot = std::make_unique<Entry>(s.name, s.prefixes, settings);
    Entry* e = slot.get();
    e->timer = std::make_unique<platform::Timer>(
        base_, [this, e] { execute(*e, e->seq.on_timer(Clock::now())); });
    metrics_.gauge_fn("fbf_maintenance_phase",
                      "Maintenance phase of a service: 0 active, 1 draining, 2 drained, "
                      "3 restoring",
                      {{"service", s.name}}, [e] { return phase_value(e->seq.phase()); });
  }

  if (!loaded_) {
    loaded_ = true;
    const std::filesystem::path dir = config.agent.state_dir;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    state_file_ = maintenance_state_path(dir);
    auto stored = load_maintenance_state(state_file_);
    if (!stored) {
      // Fail safe: a host that may have been in maintenance must not come
      // back announcing normally (issue: "never as active").
      const std::string why =
          "maintenance state unreadable, every service held drained until "
          "`fbfctl maintenance stop`: " +
          stored.error();
      spdlog::error("{}", why);
      metrics_
          .counter("fbf_maintenance_state_errors_total",
                   "State files that could not be read (services held drained)")
          .inc();
      errors.push_back(why);
      for (auto& [name, e] : entries_)
        execute(*e, e->seq.resume(Clock::now(), MaintenancePhase::drained));
    } else {
      for (auto& [name, e] : entries_) {
        auto it = stored->find(name);
        if (it == stored->end() || it->second.phase == MaintenancePhase::active) continue;
        spdlog::info("maintenance {}: resuming phase {} from {}", name, to_string(it->second.phase),
                     state_file_.string());
        execute(*e, e->seq.resume(Clock::now(), it->second.phase));
      }
    }
  }
  return errors;
}

MaintenanceRoutes MaintenanceRunner::routes(const std::string& service) const {
  auto it = entries_.find(service);
  return it == entries_.end() ? MaintenanceRoutes::normal : it->second->seq.routes();
}

bool MaintenanceRunner::sessions_closed(const std::string& service) const {
  auto it = entries_.find(service);
  return it != entries_.end() && it->second->seq.sessions_closed();
}

MaintenancePhase MaintenanceRunner::phase(const std::string& service) const {
  auto it = entries_.find(service);
  return it == entries_.end() ? MaintenancePhase::active : it->second->seq.phase();
}

void MaintenanceRunner::routes_sent(const std::string& service) {
  auto it = entries_.find(service);
  if (it != entries_.end() && it->second->seq.phase() == MaintenancePhase::restoring)
    execute(*it->second, it->second->seq.on_routes_sent(Clock::now()));
}

void MaintenanceRunner::execute(Entry& e, const MaintenanceSequencer::Actions& actions) {
  for (const auto& t : actions.transitions) {
    e.since_unix_ms = wall_ms();
    spdlog::info("maintenance {}: {} -> {}: {}", e.name, to_string(t.from), to_string(t.to),
                 t.reason);
    metrics_
        .counter("fbf_maintenance_transitions_total", "Maintenance phase changes",
                 {{"service", e.name}, {"to", std::string(to_string(t.to))}})
        .inc();
  }
  if (!actions.transitions.empty()) {
    save();  // before the routes change: a crash right after must resume this phase
    if (hooks_.changed) hooks_.changed(e.name);
  }
  // The sequencer's own deadline rather than actions.timer: `changed` may
  // have moved the phase on already (routes sent at once on restore).
  if (auto at = e.seq.deadline()) {
    const auto left = std::max(Clock::duration::zero(), *at - Clock::now());
    e.timer->arm(std::chrono::duration_cast<std::chrono::microseconds>(left));
  } else {
    e.timer->cancel();
  }
  update_poller();
}

void MaintenanceRunner::save() {
  if (state_file_.empty()) return;
  MaintenanceState state;
  for (const auto& [name, e] : entries_)
    if (e->seq.phase() != MaintenancePhase::active)
      state.emplace(name, StoredMaintenance{e->seq.phase(), e->since_unix_ms});
  if (auto saved = save_maintenance_state(state_file_, state); !saved) {
    spdlog::error("maintenance: cannot save the state ({}); a restart would forget it",
                  saved.error());
    metrics_
        .counter("fbf_maintenance_state_write_errors_total",
                 "Failed writes of the maintenance state file")
        .inc();
  }
}

void MaintenanceRunner::update_poller() {
  const bool wanted = std::any_of(entries_.begin(), entries_.end(), [](const auto& kv) {
    return kv.second->seq.wants_connection_counts();
  });
  if (!wanted) {
    poller_.reset();
  } else if (!poller_) {
    poller_ = std::make_unique<platform::PeriodicTimer>(
        base_, std::chrono::duration_cast<std::chrono::microseconds>(kConnectionPoll),
        [this] { poll_connections(); });
  }
}

void MaintenanceRunner::poll_connections() {
  std::vector<Entry*> waiting;
  for (auto& [name, e] : entries_)
    if (e->seq.wants_connection_counts()) waiting.push_back(e.get());
  for (Entry* e : waiting) {
    auto count = platform::count_established_tcp(e->prefixes);
    if (!count) {
      if (!count_unsupported_logged_)
        spdlog::warn("maintenance {}: cannot count connections ({}); draining for drain_time",
                     e->name, count.error());
      count_unsupported_logged_ = true;
      continue;
    }
    execute(*e, e->seq.on_connections(Clock::now(), *count));
  }
}

std::string MaintenanceRunner::summary() const {
  std::string out;
  for (const auto& [name, e] : entries_) {
    if (e->seq.phase() == MaintenancePhase::active) continue;
    if (!out.empty()) out += ", ";
    out += std::string(to_string(e->seq.phase())) + " (" + name + ")";
  }
  return out.empty() ? "active" : out;
}

json MaintenanceRunner::status() const {
  const auto now = Clock::now();
  json services = json::array();
  for (const auto& [name, e] : entries_) {
    const auto& s = e->seq;
    json j = {{"service", name},
              {"phase", to_string(s.phase())},
              {"since_seconds", std::chrono::duration<double>(now - s.since()).count()},
              {"since_unix_ms", e->since_unix_ms},
              {"routes", routes_name(s.routes())},
              {"sessions_closed", s.sessions_closed()},
              {"time_left_seconds", nullptr},
              {"connections", nullptr},
              {"drain_connections", s.settings().drain_connections}};
    if (auto d = s.deadline())
      j["time_left_seconds"] = std::max(0.0, std::chrono::duration<double>(*d - now).count());
    if (auto c = s.last_connections()) j["connections"] = *c;
    services.push_back(std::move(j));
  }
  return json{{"phase", summary()}, {"services", services}};
}

std::expected<std::vector<MaintenanceRunner::Entry*>, CommandError> MaintenanceRunner::select(
    const json& args) {
  std::vector<Entry*> out;
  if (!args.contains("services") || args["services"].empty()) {
    for (auto& [name, e] : entries_) out.push_back(e.get());
    return out;
  }
  if (!args["services"].is_array())
    return std::unexpected(
        CommandError{std::string(error_code::invalid_arguments), "'services' must be a list", {}});
  for (const auto& n : args["services"]) {
    if (!n.is_string())
      return std::unexpected(CommandError{
          std::string(error_code::invalid_arguments), "service names are strings", {}});
    auto it = entries_.find(n.get<std::string>());
    if (it == entries_.end())
      return std::unexpected(CommandError{std::string(error_code::invalid_arguments),
                                          "unknown service '" + n.get<std::string>() + "'",
                                          {}});
    out.push_back(it->second.get());
  }
  return out;
}

CommandResult MaintenanceRunner::start(const json& args) {
  auto chosen = select(args);
  if (!chosen) return std::unexpected(chosen.error());
  std::optional<std::chrono::milliseconds> drain;
  if (args.contains("drain_time")) {
    if (!args["drain_time"].is_string())
      return std::unexpected(CommandError{std::string(error_code::invalid_arguments),
                                          "'drain_time' is a duration such as \"30s\"",
                                          {}});
    auto d = parse_duration(args["drain_time"].get<std::string>());
    if (!d)
      return std::unexpected(
          CommandError{std::string(error_code::invalid_arguments), "drain_time: " + d.error(), {}});
    drain = *d;
  }
  for (Entry* e : *chosen) {
    const bool announced = hooks_.announced ? hooks_.announced(e->name) : true;
    execute(*e, e->seq.start(Clock::now(), drain, announced));
  }
  return status();
}

CommandResult MaintenanceRunner::stop(const json& args) {
  auto chosen = select(args);
  if (!chosen) return std::unexpected(chosen.error());
  for (Entry* e : *chosen) execute(*e, e->seq.stop(Clock::now()));
  return status();
}

void MaintenanceRunner::register_commands(CommandTable& commands) {
  commands.add("maintenance start", [this](const json& args) { return start(args); });
  commands.add("maintenance stop", [this](const json& args) { return stop(args); });
  commands.add("maintenance status", [this](const json&) -> CommandResult { return status(); });
}

}  // namespace fbf::agent
