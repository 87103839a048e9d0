#pragma once
// One service's health as a sans-I/O state machine (DESIGN.md "Sans-I/O
// cores"): the probe schedule, rise/fall hysteresis and the disable file, with
// time passed in and actions returned. Nothing here reads a clock, runs a
// probe or stats a file; agent/checks/service_health.* does that.
//
// Decisions an operator relies on:
// - A service starts as `starting`, which is not healthy: a freshly started
//   agent announces nothing until `rise` consecutive probes succeeded. From
//   `starting`, `fall` consecutive failures make it `failing` (so `show
//   services` tells "never came up" from "still proving itself").
// - The first probe runs at start() with no random phase: any phase would add
//   directly to the time-to-announce after a start or reload, and probes are
//   non-blocking, so services sharing an interval cost nothing by aligning.
// - Probe k starts at t0 + k * interval (the grid never drifts with probe
//   latency or loop lateness). A slot that finds the previous probe still
//   running is skipped and counted; two probes of one service never overlap.
// - A probe still running at its deadline (start + timeout) is a failure;
//   the core tells the adapter to cancel it (CancelProbe).
// - While the disable file exists the verdict is `disabled` whatever the
//   probes say; probing goes on, so when the file goes the verdict is the
//   probes' at once (no new rise period).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fbf::agent::checks {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class Verdict : std::uint8_t {
  starting,  // not yet proven healthy (not announced)
  healthy,   // announce normally
  failing,   // withdraw (or announce degraded, per the service's on_failure)
  disabled,  // the disable file exists: held withdrawn
};
std::string_view to_string(Verdict v);

struct HealthConfig {
  Clock::duration interval = std::chrono::seconds(1);
  Clock::duration timeout = std::chrono::milliseconds(500);
  int rise = 2;  // consecutive successes to become healthy (>= 1)
  int fall = 2;  // consecutive failures to become failing (>= 1)
  // false: the service has no check; it is healthy unless disabled.
  bool probes = true;
  // false: there is no disable file to look at. With neither probes nor a
  // file, start() settles the verdict and no timer is ever armed.
  bool disable_file = false;
};

using ProbeId = std::uint64_t;

// What a prober reports. The core measures the latency itself (start to
// result, on the injected clock), so adapters need no clock of their own.
struct ProbeResult {
  bool ok = false;
  std::string detail;  // short, human: "HTTP 200", "connect: Connection refused"
};

// Start probe `id` now; its result is due by `deadline` (the core cancels it then).
struct StartProbe {
  ProbeId id = 0;
  TimePoint deadline;
};
// Probe `id` ran past its deadline and already counts as failed: stop it;
// its result, should one still come, is ignored.
struct CancelProbe {
  ProbeId id = 0;
};
// (Re)arm the one timer at `at`, replacing any earlier arming. An early or
// stale expiry is harmless: the core just re-arms.
struct ArmTimer {
  TimePoint at;
};
struct VerdictChanged {
  Verdict from = Verdict::starting;
  Verdict to = Verdict::starting;
  std::string reason;  // "2 consecutive successes (HTTP 200)"
};

using Action = std::variant<StartProbe, CancelProbe, ArmTimer, VerdictChanged>;
// At most four actions per event, at most a few events per interval: a
// vector's allocation is noise here, unlike BFD's per-packet path.
using Actions = std::vector<Action>;

enum class LastResult : std::uint8_t { none, ok, failed, timed_out };
std::string_view to_string(LastResult r);

// Totals only grow; the `last_*` fields describe the latest finished probe.
struct HealthCounters {
  std::uint64_t probes_started = 0;
  std::uint64_t probes_ok = 0;
  std::uint64_t probes_failed = 0;     // a result that said "unhealthy"
  std::uint64_t probes_timed_out = 0;  // no result by the deadline (not in probes_failed)
  std::uint64_t slots_skipped = 0;     // previous probe still running, or the loop was late
  std::uint64_t stale_results = 0;     // results after their deadline, ignored
  std::uint64_t verdict_changes = 0;
  LastResult last_result = LastResult::none;
  Clock::duration last_latency{0};
  std::string last_detail;
  std::optional<TimePoint> last_change;  // of the verdict
  std::string last_reason;               // of the last verdict change
};

class Health {
 public:
  // `initial` seeds what the probes are taken to say before any has run:
  // `starting` for a new service; on a reload that restarts a changed check,
  // the old probe verdict, so a reload alone never withdraws a healthy
  // service (nor announces a failing one). Only starting/healthy/failing.
  // `initially_disabled`: the old instance was held by the disable file, so
  // start() finding the file again reports no change (a reload logs nothing).
  explicit Health(const HealthConfig& config, Verdict initial = Verdict::starting,
                  bool initially_disabled = false);

  // First probe (and first look at the disable file) now. Once only.
  Actions start(TimePoint now, bool disable_file_present);
  // The armed timer expired. The adapter stats the disable file on every
  // expiry (each slot and each deadline) and passes what it found.
  Actions on_timer(TimePoint now, bool disable_file_present);
  // Probe `id` finished. Results of a probe no longer running are ignored.
  Actions on_result(TimePoint now, ProbeId id, ProbeResult result);
  // After a CancelProbe: what the prober had seen so far ("hello", "no
  // answer from 127.0.0.1:53"), appended to the timeout's detail.
  void on_cancelled(ProbeId id, std::string_view partial_detail);

  // Continue the totals of an earlier core (a reload restarting this check),
  // so metrics counters never go backwards.
  void inherit_totals(const HealthCounters& earlier);

  Verdict verdict() const { return disabled_ ? Verdict::disabled : probe_verdict_; }
  // What the probes alone say (what `disabled` hides).
  Verdict probe_verdict() const { return probe_verdict_; }
  bool disabled() const { return disabled_; }
  bool probe_running() const { return running_.has_value(); }
  int consecutive_ok() const { return consecutive_ok_; }
  int consecutive_failed() const { return consecutive_failed_; }
  std::optional<TimePoint> next_slot() const;
  const HealthCounters& counters() const { return counters_; }
  const HealthConfig& config() const { return config_; }

 private:
  struct Running {
    ProbeId id;
    TimePoint started;
    TimePoint deadline;
  };

  void observe_disable_file(bool present);
  void finish(TimePoint now, LastResult result, std::string detail);
  void run_due_slots(TimePoint now, Actions& out);
  void emit_verdict_change(Verdict before, TimePoint now, Actions& out);
  void arm(Actions& out) const;
  bool has_slots() const { return config_.probes || config_.disable_file; }

  HealthConfig config_;
  bool started_ = false;
  bool disabled_ = false;
  Verdict probe_verdict_;
  int consecutive_ok_ = 0;
  int consecutive_failed_ = 0;
  TimePoint next_slot_{};
  ProbeId last_id_ = 0;
  std::optional<Running> running_;
  ProbeId last_finished_ = 0;
  std::string probe_reason_;  // why probe_verdict_ last changed
  HealthCounters counters_;
};

}  // namespace fbf::agent::checks
