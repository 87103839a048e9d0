#include "agent/services.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace fbf::agent {

namespace {

double verdict_value(checks::Verdict v) { return static_cast<double>(static_cast<int>(v)); }
double announcement_value(Announcement a) { return static_cast<double>(static_cast<int>(a)); }

bool targets(const ServiceConfig& s, const std::string& neighbor) {
  return s.neighbors.empty() ||
         std::find(s.neighbors.begin(), s.neighbors.end(), neighbor) != s.neighbors.end();
}

// What decides whether a running check can go on as it is across a reload.
bool same_health(const ServiceConfig& a, const ServiceConfig& b) {
  return a.check == b.check && a.disable_file == b.disable_file;
}

}  // namespace

struct Services::Entry {
  ServiceConfig config;
  std::unique_ptr<checks::ServiceHealth> health;
  bool ever_healthy = false;  // degrade only what once served (service_policy.h rule 6)
  bool addresses_ok = true;
  std::string addresses_why;
  ServiceDecision decision;  // as last handed to BGP
  bool decided = false;
};

Services::Services(event_base* base, Metrics& metrics, Hooks hooks)
    : Services(base, metrics, std::move(hooks), std::make_unique<ServiceAddresses>(base, metrics)) {}

Services::Services(event_base* base, Metrics& metrics, Hooks hooks,
                   std::unique_ptr<ServiceAddresses> addresses)
    : base_(base), metrics_(metrics), hooks_(std::move(hooks)), addresses_(std::move(addresses)) {
  addresses_->on_change([this](const std::string& service, bool ok, std::string why) {
    auto it = entries_.find(service);
    if (it == entries_.end()) return;
    it->second->addresses_ok = ok;
    it->second->addresses_why = std::move(why);
    reevaluate(service, ok ? "addresses in place" : "addresses: " + it->second->addresses_why);
  });
  MaintenanceRunner::Hooks mh;
  mh.changed = [this](const std::string& service) {
    reevaluate(service, "maintenance " + std::string(to_string(maintenance_->phase(service))));
    if (hooks_.sessions_changed) hooks_.sessions_changed();
  };
  mh.announced = [this](const std::string& service) {
    auto it = entries_.find(service);
    if (it == entries_.end() || !hooks_.announced) return false;
    return hooks_.announced(it->second->config);
  };
  maintenance_ = std::make_unique<MaintenanceRunner>(base_, metrics_, std::move(mh));
  register_metrics();
}

Services::~Services() = default;

std::vector<std::string> Services::apply(const Config& config) {
  applying_ = true;
  services_ = config.services;
  neighbor_names_.clear();
  for (const auto& n : config.neighbors) neighbor_names_.push_back(n.name);
  // Removed services: their checks stop (their metrics go with the entry).
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (has_service(config, it->first)) {
      ++it;
      continue;
    }
    spdlog::info("service {}: removed from the configuration", it->first);
    it = entries_.erase(it);
    routes_dirty_ = true;
  }
  std::vector<Entry*> to_start;
  for (const auto& s : config.services) {
    auto& slot = entries_[s.name];
    if (!slot) {
      slot = std::make_unique<Entry>();
      slot->config = s;
    } else {
      routes_dirty_ = routes_dirty_ || !(slot->config.prefixes == s.prefixes);
      const bool restart = !same_health(slot->config, s);
      slot->config = s;
      if (!restart) continue;
      spdlog::info("service {}: check changed; restarting it from its current verdict", s.name);
    }
    const std::string name = s.name;
    auto previous = std::move(slot->health);
    slot->health = std::make_unique<checks::ServiceHealth>(
        base_, s,
        [this, name](const checks::VerdictChanged& c) {
          spdlog::log(c.to == checks::Verdict::failing ? spdlog::level::warn : spdlog::level::info,
                      "service {}: health {} -> {}: {}", name, checks::to_string(c.from),
                      checks::to_string(c.to), c.reason);
          reevaluate(name, "health " + std::string(checks::to_string(c.to)) + ": " + c.reason);
        },
        previous.get());
    to_start.push_back(slot.get());
  }
  // Addresses before maintenance and checks: a service whose address cannot
  // be put in place is known to be not ok before anything is decided.
  std::vector<std::string> errors = addresses_->apply(config);
  for (auto& [name, e] : entries_) e->addresses_ok = addresses_->ok(name);
  auto maintenance_errors = maintenance_->apply(config);
  errors.insert(errors.end(), maintenance_errors.begin(), maintenance_errors.end());
  for (Entry* e : to_start) e->health->start();
  applying_ = false;
  for (auto& [name, e] : entries_) reevaluate(name, "configuration");
  if (routes_dirty_ && hooks_.routes_changed) hooks_.routes_changed();
  routes_dirty_ = false;
  return errors;
}

void Services::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  entries_.clear();  // checks stop; nothing is re-evaluated any more
  addresses_->shutdown();
}

void Services::reevaluate(const std::string& name, std::string_view cause) {
  if (stopped_) return;
  auto it = entries_.find(name);
  if (it == entries_.end() || !it->second->health) return;
  Entry& e = *it->second;
  if (e.health->core().probe_verdict() == checks::Verdict::healthy) e.ever_healthy = true;
  const ServiceInputs in{e.health->verdict(), e.addresses_ok, e.addresses_why,
                         maintenance_->routes(name), e.ever_healthy};
  ServiceDecision d = decide(e.config, in);
  if (e.decided && d == e.decision) return;
  const bool first = !e.decided;
  const auto before = e.decision.announcement;
  e.decision = d;
  e.decided = true;
  if (first && !d.announced()) {
    spdlog::info("service {}: withdrawn: {}", name, d.reason);
  } else if (first || before != d.announcement) {
    spdlog::info("service {}: {} -> {}: {} ({})", name, first ? "new" : to_string(before),
                 to_string(d.announcement), d.reason, cause);
    metrics_
        .counter("fbf_service_announcement_changes_total",
                 "Changes of what a service announces, by the new announcement",
                 {{"service", name}, {"announcement", std::string(to_string(d.announcement))}})
        .inc();
  }
  if (applying_) {
    routes_dirty_ = true;
    return;
  }
  if (hooks_.routes_changed) hooks_.routes_changed();
  routes_sent();
}

void Services::routes_sent() {
  // Restoring is over once what the policy wants out is out: the routes at
  // every neighbor that is up, or nothing at all for a service that health
  // (or its disable file) holds withdrawn.
  for (auto& [name, e] : entries_) {
    if (maintenance_->phase(name) != MaintenancePhase::restoring) continue;
    if (!e->decision.announced() || !hooks_.sent_to_all_up || hooks_.sent_to_all_up(e->config))
      maintenance_->routes_sent(name);
  }
}

ServiceDecision Services::decision(const std::string& service) const {
  auto it = entries_.find(service);
  if (it == entries_.end()) return {Announcement::withdrawn, "unknown service"};
  return it->second->decision;
}

std::set<std::string> Services::neighbors_to_close(const Config& config) const {
  std::set<std::string> out;
  for (const auto& n : config.neighbors) {
    bool any = false, all_closed = true;
    for (const auto& s : config.services) {
      if (!targets(s, n.name)) continue;
      any = true;
      all_closed = all_closed && maintenance_->sessions_closed(s.name);
    }
    if (any && all_closed) out.insert(n.name);
  }
  return out;
}

std::string Services::maintenance_summary() const { return maintenance_->summary(); }

void Services::register_commands(CommandTable& commands) {
  maintenance_->register_commands(commands);
  commands.add("show services", [this](const json&) -> CommandResult { return show(); });
}

json Services::show() const {
  json out = json::array();
  for (const auto& s : services_) {
    auto it = entries_.find(s.name);
    if (it == entries_.end()) continue;
    const Entry& e = *it->second;
    json prefixes = json::array();
    for (const auto& p : s.prefixes) prefixes.push_back(p.to_string());
    json neighbors = json::array();
    for (const auto& name : neighbor_names_)
      if (targets(s, name)) neighbors.push_back(name);
    json addresses = addresses_->show(s.name);
    out.push_back({{"service", s.name},
                   {"announcement", to_string(e.decision.announcement)},
                   {"reason", e.decision.reason},
                   {"prefixes", prefixes},
                   {"neighbors", neighbors},
                   {"on_failure", s.on_failure == OnFailure::degrade ? "degrade" : "withdraw"},
                   {"maintenance", to_string(maintenance_->phase(s.name))},
                   {"health", e.health ? e.health->show() : json(nullptr)},
                   {"addresses", addresses}});
  }
  return json{{"services", out}};
}

void Services::register_metrics() {
  // Every family iterates the services at scrape time, by name.
  using L = SampleWriter::Label;
  auto family = [this](const char* metric, const char* help, MetricType type, auto write) {
    metric_families_.push_back(metrics_.collect(metric, help, type, [this, write](SampleWriter& w) {
      for (const auto& [name, e] : entries_) write(w, *e, L{"service", name});
    }));
  };
  using C = checks::HealthCounters;
  // A service's health counters; zero before its check exists.
  auto counters = [](const Entry& e) -> const C& {
    static const C none;
    return e.health ? e.health->core().counters() : none;
  };
  family("fbf_service_health",
         "Health verdict of a service: 0 starting, 1 healthy, 2 failing, 3 disabled",
         MetricType::gauge, [](SampleWriter& w, const Entry& e, L service) {
           w.sample({service}, e.health ? verdict_value(e.health->verdict()) : 0.0);
         });
  family("fbf_service_announcement",
         "What a service announces: 0 withdrawn, 1 announced, 2 degraded, 3 graceful shutdown",
         MetricType::gauge, [](SampleWriter& w, const Entry& e, L service) {
           w.sample({service}, announcement_value(e.decision.announcement));
         });
  family("fbf_service_verdict_changes_total", "Health verdict changes", MetricType::counter,
         [counters](SampleWriter& w, const Entry& e, L service) {
           w.sample({service}, std::uint64_t{counters(e).verdict_changes});
         });
  family("fbf_service_probes_total", "Health probes finished, by result", MetricType::counter,
         [counters](SampleWriter& w, const Entry& e, L service) {
           const C& c = counters(e);
           w.sample({service, {"result", "failed"}}, std::uint64_t{c.probes_failed});
           w.sample({service, {"result", "ok"}}, std::uint64_t{c.probes_ok});
           w.sample({service, {"result", "timed_out"}}, std::uint64_t{c.probes_timed_out});
         });
  family("fbf_service_probe_slots_skipped_total",
         "Probe slots skipped because the previous probe was still running", MetricType::counter,
         [counters](SampleWriter& w, const Entry& e, L service) {
           w.sample({service}, std::uint64_t{counters(e).slots_skipped});
         });
  family("fbf_service_check_latency_seconds", "Latency of the last finished probe",
         MetricType::gauge, [counters](SampleWriter& w, const Entry& e, L service) {
           w.sample({service}, std::chrono::duration<double>(counters(e).last_latency).count());
         });
}

}  // namespace fbf::agent
