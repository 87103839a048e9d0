#include "agent/checks/service_health.h"

#include <sys/stat.h>

#include <cerrno>

#include "agent/checks/make_prober.h"

namespace fbf::agent::checks {

namespace {

Health make_core(const ServiceConfig& service, const ServiceHealth* previous) {
  if (previous == nullptr) return Health(health_config(service));
  Health core(health_config(service), previous->core().probe_verdict(),
              previous->core().disabled());
  core.inherit_totals(previous->core().counters());
  return core;
}

double millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

HealthConfig health_config(const ServiceConfig& service) {
  HealthConfig c;
  c.disable_file = !service.disable_file.empty();
  c.probes = service.check.has_value();
  if (service.check) {
    c.interval = service.check->interval;
    c.timeout = service.check->timeout;
    c.rise = service.check->rise;
    c.fall = service.check->fall;
  }
  return c;
}

ServiceHealth::ServiceHealth(event_base* base, const ServiceConfig& service, OnVerdict on_verdict,
                             const ServiceHealth* previous)
    : name_(service.name),
      disable_file_(service.disable_file),
      core_(make_core(service, previous)),
      on_verdict_(std::move(on_verdict)),
      prober_(service.check ? make_prober(base, *service.check) : nullptr),
      timer_(base, [this] { on_timer(); }) {}

// Members go in reverse order: the timer, then the prober (cancelling a
// running probe; an exec child is killed and reaped from the loop).
ServiceHealth::~ServiceHealth() = default;

void ServiceHealth::start() { execute(core_.start(Clock::now(), disable_file_present())); }

std::string ServiceHealth::describe() const { return prober_ ? prober_->describe() : "none"; }

bool ServiceHealth::disable_file_present() const {
  if (disable_file_.empty()) return false;
  struct stat st;
  if (::stat(disable_file_.c_str(), &st) == 0) return true;
  // Only "it is not there" counts as absent. An operator who created the file
  // expects the hold, and a directory fbfd cannot search (EACCES after
  // dropping privileges) must not silently undo it.
  return errno != ENOENT && errno != ENOTDIR;
}

void ServiceHealth::on_timer() { execute(core_.on_timer(Clock::now(), disable_file_present())); }

void ServiceHealth::on_result(ProbeId id, ProbeResult result) {
  execute(core_.on_result(Clock::now(), id, std::move(result)));
}

void ServiceHealth::execute(Actions actions) {
  for (auto& action : actions) {
    if (const auto* a = std::get_if<ArmTimer>(&action)) {
      // Rounded up: an expiry before `at` only costs a re-arm, but one
      // rounded early every time would cost a wakeup per slot.
      const auto after = std::chrono::ceil<std::chrono::microseconds>(a->at - Clock::now());
      timer_.arm(std::max(after, std::chrono::microseconds(0)));
    } else if (const auto* s = std::get_if<StartProbe>(&action)) {
      // Never null here: the core starts probes only when the service has a check.
      if (prober_) {
        const ProbeId id = s->id;
        prober_->start([this, id](ProbeResult r) { on_result(id, std::move(r)); });
      }
    } else if (const auto* c = std::get_if<CancelProbe>(&action)) {
      if (prober_) core_.on_cancelled(c->id, prober_->cancel());
    } else if (const auto* v = std::get_if<VerdictChanged>(&action)) {
      // Logged by the owner, which knows what the change does to routes.
      if (on_verdict_) on_verdict_(*v);
    }
  }
}

nlohmann::json ServiceHealth::show() const {
  const HealthCounters& n = core_.counters();
  const HealthConfig& cfg = core_.config();
  nlohmann::json j = {
      {"verdict", to_string(core_.verdict())},
      {"probe_verdict", to_string(core_.probe_verdict())},
      {"disabled", core_.disabled()},
      {"disable_file", disable_file_.empty() ? nlohmann::json() : nlohmann::json(disable_file_)},
      {"check", describe()},
      {"probe_running", core_.probe_running()},
      {"last_result", to_string(n.last_result)},
      {"detail", n.last_detail},
      {"latency_ms", millis(n.last_latency)},
      {"consecutive_ok", core_.consecutive_ok()},
      {"consecutive_failed", core_.consecutive_failed()},
      {"last_reason", n.last_reason},
      {"counters",
       {{"probes_started", n.probes_started},
        {"probes_ok", n.probes_ok},
        {"probes_failed", n.probes_failed},
        {"probes_timed_out", n.probes_timed_out},
        {"slots_skipped", n.slots_skipped},
        {"stale_results", n.stale_results},
        {"verdict_changes", n.verdict_changes}}},
  };
  if (cfg.probes) {
    j["interval_ms"] = millis(cfg.interval);
    j["timeout_ms"] = millis(cfg.timeout);
    j["rise"] = cfg.rise;
    j["fall"] = cfg.fall;
  }
  j["last_change_ago_ms"] =
      n.last_change ? nlohmann::json(millis(Clock::now() - *n.last_change)) : nlohmann::json();
  return j;
}

}  // namespace fbf::agent::checks
