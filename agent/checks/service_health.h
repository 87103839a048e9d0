#pragma once
// The adapter for one service's health (DESIGN.md "thin adapters"): owns the
// sans-I/O core (health.h), the prober its check config asks for and one
// timer; reads the clock, stats the disable file on every expiry and executes
// the core's actions. The agent makes one per [[service]], and a new one when
// a reload changes the service's check.

#include <event2/event.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/checks/health.h"
#include "agent/checks/prober.h"
#include "agent/config.h"
#include "platform/event.h"

namespace fbf::agent::checks {

class ServiceHealth {
 public:
  // Runs for every VerdictChanged of the core, in order; the adapter does not
  // log them itself. It must not destroy this ServiceHealth: it runs inside
  // the adapter's callbacks.
  using OnVerdict = std::function<void(const VerdictChanged&)>;

  // service.check nullopt = no probes (healthy unless disable_file exists).
  // `previous` (may be null): the instance this one replaces on a reload; its
  // probe verdict (and whether the disable file held it) seeds the new core
  // and its totals continue (Health::inherit_totals). It is only read here.
  ServiceHealth(event_base* base, const ServiceConfig& service, OnVerdict on_verdict,
                const ServiceHealth* previous = nullptr);
  ~ServiceHealth();
  ServiceHealth(const ServiceHealth&) = delete;
  ServiceHealth& operator=(const ServiceHealth&) = delete;

  // First probe now; on_verdict may run synchronously from here. Once only.
  void start();

  Verdict verdict() const { return core_.verdict(); }
  const Health& core() const { return core_; }
  const std::string& service() const { return name_; }
  // "http http://127.0.0.1:8080/healthz", "exec /bin/check --x", "none".
  std::string describe() const;
  // For `show services`: verdict, probe verdict, disabled, check description,
  // last result, detail, latency ms, consecutive ok/failed, counters.
  nlohmann::json show() const;

 private:
  void execute(Actions actions);
  void on_timer();
  void on_result(ProbeId id, ProbeResult result);
  bool disable_file_present() const;

  std::string name_;
  std::string disable_file_;
  Health core_;
  OnVerdict on_verdict_;
  std::unique_ptr<Prober> prober_;  // null: the service has no check
  platform::Timer timer_;
};

// The core's settings for a service (no probes without a check; a disable
// file only when one is configured).
HealthConfig health_config(const ServiceConfig& service);

}  // namespace fbf::agent::checks
