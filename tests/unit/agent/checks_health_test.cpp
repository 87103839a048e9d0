// The health-check core (agent/checks/health.h) driven step by step with a
// fake clock: no loop, no probes, no files; the tests play the adapter.
#include "agent/checks/health.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace fbf::agent::checks {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

HealthConfig config(int rise = 2, int fall = 2) {
  HealthConfig c;
  c.interval = 1s;
  c.timeout = 500ms;
  c.rise = rise;
  c.fall = fall;
  return c;
}

template <class T>
std::vector<T> all_of(const Actions& actions) {
  std::vector<T> out;
  for (const auto& a : actions)
    if (const auto* x = std::get_if<T>(&a)) out.push_back(*x);
  return out;
}

template <class T>
std::optional<T> one_of(const Actions& actions) {
  const auto v = all_of<T>(actions);
  EXPECT_LE(v.size(), 1U);
  if (v.empty()) return std::nullopt;
  return v.front();
}

// Plays the adapter: knows the running probe's id and the armed time.
struct Driver {
  explicit Driver(HealthConfig c, Verdict initial = Verdict::starting, bool disabled = false)
      : health(c, initial, disabled) {}

  Actions take(Actions a) {
    if (auto s = one_of<StartProbe>(a)) running = s->id;
    if (auto c = one_of<CancelProbe>(a)) {
      EXPECT_EQ(running, c->id);
      running.reset();
    }
    if (auto arm = one_of<ArmTimer>(a)) armed = arm->at;
    for (const auto& v : all_of<VerdictChanged>(a)) changes.push_back(v);
    return a;
  }
  Actions start(TimePoint now, bool file = false) { return take(health.start(now, file)); }
  Actions timer(TimePoint now, bool file = false) { return take(health.on_timer(now, file)); }
  // The running probe finishes at `now` with `ok`.
  Actions result(TimePoint now, bool ok, std::string detail = "") {
    EXPECT_TRUE(running.has_value());
    const ProbeId id = running.value_or(0);
    running.reset();
    return take(health.on_result(now, id, {ok, std::move(detail)}));
  }
  // One full interval k (slot at t0 + k s): the probe answers after 10 ms.
  void probe_cycle(int k, bool ok, bool file = false) {
    const TimePoint slot = t0 + std::chrono::seconds(k);
    if (k > 0) {
      const auto a = timer(slot, file);
      ASSERT_TRUE(one_of<StartProbe>(a)) << "slot " << k;
    }
    result(slot + 10ms, ok, ok ? "fine" : "broken");
  }

  Health health;
  std::optional<ProbeId> running;
  std::optional<TimePoint> armed;
  std::vector<VerdictChanged> changes;
};

TEST(HealthCore, FirstProbeAtStartWithDeadline) {
  Driver d(config());
  const auto a = d.start(t0);
  const auto s = one_of<StartProbe>(a);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->deadline, t0 + 500ms);
  // The timer covers the deadline first, the next slot after the result.
  EXPECT_EQ(d.armed, t0 + 500ms);
  EXPECT_EQ(d.health.verdict(), Verdict::starting);
  EXPECT_TRUE(d.changes.empty());
  d.result(t0 + 20ms, true);
  EXPECT_EQ(d.armed, t0 + 1s);
  EXPECT_EQ(d.health.counters().last_latency, 20ms);
  // A second start() does nothing.
  EXPECT_TRUE(d.health.start(t0 + 30ms, false).empty());
}

TEST(HealthCore, RiseNeedsConsecutiveSuccesses) {
  Driver d(config(/*rise=*/3, /*fall=*/2));
  d.start(t0);
  d.probe_cycle(0, true);
  d.probe_cycle(1, true);
  d.probe_cycle(2, false);  // resets the streak
  EXPECT_EQ(d.health.consecutive_ok(), 0);
  EXPECT_EQ(d.health.consecutive_failed(), 1);
  d.probe_cycle(3, true);
  d.probe_cycle(4, true);
  EXPECT_EQ(d.health.verdict(), Verdict::starting);
  EXPECT_TRUE(d.changes.empty());
  d.probe_cycle(5, true);
  EXPECT_EQ(d.health.verdict(), Verdict::healthy);
  ASSERT_EQ(d.changes.size(), 1U);
  EXPECT_EQ(d.changes[0].from, Verdict::starting);
  EXPECT_EQ(d.changes[0].to, Verdict::healthy);
  EXPECT_EQ(d.changes[0].reason, "3 consecutive successes (fine)");
  EXPECT_EQ(d.health.counters().verdict_changes, 1U);
  EXPECT_EQ(d.health.counters().probes_ok, 5U);
  EXPECT_EQ(d.health.counters().probes_failed, 1U);
}

TEST(HealthCore, FallNeedsConsecutiveFailures) {
  Driver d(config(/*rise=*/1, /*fall=*/3));
  d.start(t0);
  d.probe_cycle(0, true);
  ASSERT_EQ(d.health.verdict(), Verdict::healthy);
  EXPECT_EQ(d.changes.back().reason, "1 success (fine)");
  d.probe_cycle(1, false);
  d.probe_cycle(2, false);
  d.probe_cycle(3, true);  // resets the streak
  d.probe_cycle(4, false);
  d.probe_cycle(5, false);
  EXPECT_EQ(d.health.verdict(), Verdict::healthy);
  d.probe_cycle(6, false);
  EXPECT_EQ(d.health.verdict(), Verdict::failing);
  ASSERT_EQ(d.changes.size(), 2U);
  EXPECT_EQ(d.changes[1].from, Verdict::healthy);
  EXPECT_EQ(d.changes[1].to, Verdict::failing);
  EXPECT_EQ(d.changes[1].reason, "3 consecutive failures (broken)");
  // Back up after `rise` successes.
  d.probe_cycle(7, true);
  EXPECT_EQ(d.health.verdict(), Verdict::healthy);
}

TEST(HealthCore, StartingFallsToFailing) {
  Driver d(config(2, 2));
  d.start(t0);
  d.probe_cycle(0, false);
  EXPECT_EQ(d.health.verdict(), Verdict::starting);
  d.probe_cycle(1, false);
  EXPECT_EQ(d.health.verdict(), Verdict::failing);
  ASSERT_EQ(d.changes.size(), 1U);
  EXPECT_EQ(d.changes[0].from, Verdict::starting);
}

TEST(HealthCore, GridNeverDriftsWithLatencyOrLateness) {
  Driver d(config());
  d.start(t0);
  d.result(t0 + 400ms, true);  // slow probe
  EXPECT_EQ(d.armed, t0 + 1s);
  // The loop is 37 ms late; the probe starts then, the next slot stays on the grid.
  auto a = d.timer(t0 + 1s + 37ms);
  ASSERT_TRUE(one_of<StartProbe>(a));
  EXPECT_EQ(one_of<StartProbe>(a)->deadline, t0 + 1s + 37ms + 500ms);
  d.result(t0 + 1s + 100ms, true);
  EXPECT_EQ(d.armed, t0 + 2s);
  EXPECT_EQ(d.health.next_slot(), t0 + 2s);
  // An early expiry (libevent's cached clock) starts nothing and re-arms.
  a = d.timer(t0 + 2s - 50us);
  EXPECT_FALSE(one_of<StartProbe>(a));
  EXPECT_EQ(d.armed, t0 + 2s);
  // A 2.5 s stall: the missed slots are skipped, not made up in a burst.
  a = d.timer(t0 + 4s + 500ms);
  EXPECT_EQ(all_of<StartProbe>(a).size(), 1U);
  EXPECT_EQ(d.health.counters().slots_skipped, 2U);  // slots at 2 s and 3 s
  EXPECT_EQ(d.health.next_slot(), t0 + 5s);
  EXPECT_EQ(d.armed, t0 + 5s);  // deadline 5 s as well
  d.result(t0 + 4s + 600ms, true);
  a = d.timer(t0 + 5s);
  EXPECT_TRUE(one_of<StartProbe>(a));
  EXPECT_EQ(d.health.next_slot(), t0 + 6s);
  EXPECT_EQ(d.health.counters().probes_started, 4U);
}

TEST(HealthCore, NoOverlapSlotSkippedWhileProbeRuns) {
  HealthConfig c = config();
  c.timeout = 1500ms;  // longer than the interval (the config layer forbids it; the core copes)
  Driver d(c);
  d.start(t0);
  const ProbeId first = *d.running;
  auto a = d.timer(t0 + 1s);
  EXPECT_FALSE(one_of<StartProbe>(a));
  EXPECT_EQ(d.running, first);
  EXPECT_EQ(d.health.counters().slots_skipped, 1U);
  EXPECT_EQ(d.health.counters().probes_started, 1U);
  EXPECT_EQ(d.armed, t0 + 1500ms);  // the running probe's deadline comes first
  d.result(t0 + 1200ms, true);
  EXPECT_EQ(d.armed, t0 + 2s);
  a = d.timer(t0 + 2s);
  ASSERT_TRUE(one_of<StartProbe>(a));
  EXPECT_NE(one_of<StartProbe>(a)->id, first);
}

TEST(HealthCore, TimeoutCancelsAndCountsAsFailure) {
  Driver d(config(/*rise=*/1, /*fall=*/1));
  d.start(t0);
  const ProbeId id = *d.running;
  // Not yet: an expiry just before the deadline changes nothing.
  auto a = d.timer(t0 + 499ms);
  EXPECT_FALSE(one_of<CancelProbe>(a));
  a = d.timer(t0 + 500ms);
  const auto cancel = one_of<CancelProbe>(a);
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->id, id);
  EXPECT_FALSE(d.health.probe_running());
  // The verdict change comes after the cancel.
  ASSERT_EQ(a.size(), 3U);
  EXPECT_TRUE(std::holds_alternative<CancelProbe>(a[0]));
  EXPECT_TRUE(std::holds_alternative<VerdictChanged>(a[1]));
  EXPECT_TRUE(std::holds_alternative<ArmTimer>(a[2]));
  EXPECT_EQ(d.health.verdict(), Verdict::failing);
  const auto& n = d.health.counters();
  EXPECT_EQ(n.probes_timed_out, 1U);
  EXPECT_EQ(n.probes_failed, 0U);
  EXPECT_EQ(n.last_result, LastResult::timed_out);
  EXPECT_EQ(n.last_latency, 500ms);
  d.health.on_cancelled(id, "no answer from 127.0.0.1:53");
  EXPECT_EQ(n.last_detail, "timed out after 500ms: no answer from 127.0.0.1:53");
  EXPECT_EQ(d.changes.back().reason, "1 failure (timed out after 500ms)");
  // A result after the deadline is ignored.
  EXPECT_TRUE(d.health.on_result(t0 + 600ms, id, {true, "late"}).empty());
  EXPECT_EQ(n.stale_results, 1U);
  EXPECT_EQ(n.probes_ok, 0U);
  EXPECT_EQ(d.health.verdict(), Verdict::failing);
  // So is the result of an id that never ran.
  EXPECT_TRUE(d.health.on_result(t0 + 700ms, id + 7, {true, ""}).empty());
  EXPECT_EQ(n.stale_results, 2U);
}

TEST(HealthCore, DisableFileHoldsThenReturnsProbeVerdictAtOnce) {
  HealthConfig c = config(2, 2);
  c.disable_file = true;
  Driver d(c);
  d.start(t0);
  d.probe_cycle(0, true);
  d.probe_cycle(1, true);
  ASSERT_EQ(d.health.verdict(), Verdict::healthy);
  // The file appears: disabled at the next expiry, and probing goes on.
  auto a = d.timer(t0 + 2s, /*file=*/true);
  EXPECT_TRUE(one_of<StartProbe>(a));
  EXPECT_EQ(d.health.verdict(), Verdict::disabled);
  EXPECT_TRUE(d.health.disabled());
  ASSERT_EQ(d.changes.size(), 2U);
  EXPECT_EQ(d.changes[1].to, Verdict::disabled);
  EXPECT_EQ(d.changes[1].reason, "disable file present");
  d.result(t0 + 2s + 10ms, false);
  d.probe_cycle(3, false, /*file=*/true);
  // The probes say failing; the verdict stays disabled and nothing is emitted.
  EXPECT_EQ(d.health.probe_verdict(), Verdict::failing);
  EXPECT_EQ(d.health.verdict(), Verdict::disabled);
  EXPECT_EQ(d.changes.size(), 2U);
  d.probe_cycle(4, true, true);
  d.probe_cycle(5, true, true);
  EXPECT_EQ(d.health.probe_verdict(), Verdict::healthy);
  EXPECT_EQ(d.changes.size(), 2U);
  // The file goes: the probes' verdict at once, with no new rise period.
  a = d.timer(t0 + 6s, /*file=*/false);
  EXPECT_EQ(d.health.verdict(), Verdict::healthy);
  ASSERT_EQ(d.changes.size(), 3U);
  EXPECT_EQ(d.changes[2].from, Verdict::disabled);
  EXPECT_EQ(d.changes[2].to, Verdict::healthy);
  EXPECT_EQ(d.changes[2].reason, "disable file removed; probes say healthy");
  // Even a deadline expiry looks at the file.
  HealthConfig c2 = config();
  c2.disable_file = true;
  Driver e(c2);
  e.start(t0, /*file=*/true);
  ASSERT_EQ(e.changes.size(), 1U);
  EXPECT_EQ(e.changes[0].from, Verdict::starting);
  EXPECT_EQ(e.changes[0].to, Verdict::disabled);
  e.timer(t0 + 500ms, /*file=*/false);  // the deadline
  EXPECT_EQ(e.health.verdict(), Verdict::starting);
}

TEST(HealthCore, InitialVerdictSeedsTheProbeVerdict) {
  // Seeded healthy: no change at start, and one failure does not withdraw.
  Driver d(config(2, 2), Verdict::healthy);
  d.start(t0);
  EXPECT_TRUE(d.changes.empty());
  EXPECT_EQ(d.health.verdict(), Verdict::healthy);
  d.probe_cycle(0, false);
  EXPECT_EQ(d.health.verdict(), Verdict::healthy);
  d.probe_cycle(1, false);
  EXPECT_EQ(d.health.verdict(), Verdict::failing);

  // Seeded failing: one success does not announce.
  Driver f(config(2, 2), Verdict::failing);
  f.start(t0);
  f.probe_cycle(0, true);
  EXPECT_EQ(f.health.verdict(), Verdict::failing);
  f.probe_cycle(1, true);
  EXPECT_EQ(f.health.verdict(), Verdict::healthy);

  // `disabled` is not a probe verdict: it seeds as starting.
  Driver s(config(), Verdict::disabled);
  EXPECT_EQ(s.health.verdict(), Verdict::starting);

  // Held by the file before the reload and still: no change reported.
  HealthConfig c = config();
  c.disable_file = true;
  Driver h(c, Verdict::healthy, /*disabled=*/true);
  EXPECT_EQ(h.health.verdict(), Verdict::disabled);
  h.start(t0, /*file=*/true);
  EXPECT_TRUE(h.changes.empty());
  // ... and the file gone after the reload: the seeded probe verdict at once.
  Driver g(c, Verdict::healthy, /*disabled=*/true);
  g.start(t0, /*file=*/false);
  ASSERT_EQ(g.changes.size(), 1U);
  EXPECT_EQ(g.changes[0].from, Verdict::disabled);
  EXPECT_EQ(g.changes[0].to, Verdict::healthy);
}

TEST(HealthCore, WithoutCheckHealthyUnlessDisabled) {
  HealthConfig c;
  c.probes = false;
  Driver d(c);
  const auto a = d.start(t0);
  EXPECT_FALSE(one_of<StartProbe>(a));
  EXPECT_FALSE(one_of<ArmTimer>(a));  // nothing to look at, ever
  EXPECT_EQ(d.health.verdict(), Verdict::healthy);
  ASSERT_EQ(d.changes.size(), 1U);
  EXPECT_EQ(d.changes[0].reason, "no check configured");

  c.disable_file = true;
  Driver f(c);
  auto b = f.start(t0, /*file=*/true);
  EXPECT_FALSE(one_of<StartProbe>(b));
  EXPECT_EQ(f.armed, t0 + 1s);  // a slot only to look at the file
  EXPECT_EQ(f.health.verdict(), Verdict::disabled);
  b = f.timer(t0 + 1s, /*file=*/false);
  EXPECT_FALSE(one_of<StartProbe>(b));
  EXPECT_EQ(f.health.verdict(), Verdict::healthy);
  EXPECT_EQ(f.armed, t0 + 2s);
  EXPECT_EQ(f.health.counters().probes_started, 0U);
}

TEST(HealthCore, InheritTotalsContinuesCounters) {
  Driver old(config(1, 1));
  old.start(t0);
  old.probe_cycle(0, true);
  old.probe_cycle(1, false);
  old.timer(t0 + 2s);
  old.timer(t0 + 2s + 500ms);  // timed out
  const HealthCounters earlier = old.health.counters();
  ASSERT_EQ(earlier.probes_started, 3U);
  ASSERT_EQ(earlier.verdict_changes, 2U);

  Driver d(config(1, 1), old.health.probe_verdict());
  d.health.inherit_totals(earlier);
  d.start(t0 + 3s);
  d.result(t0 + 3s + 5ms, true);
  const auto& n = d.health.counters();
  EXPECT_EQ(n.probes_started, 4U);
  EXPECT_EQ(n.probes_ok, 2U);
  EXPECT_EQ(n.probes_failed, 1U);
  EXPECT_EQ(n.probes_timed_out, 1U);
  EXPECT_EQ(n.verdict_changes, 3U);  // failing -> healthy added to the 2
  // Only totals carry over; the latest result is the new core's own.
  EXPECT_EQ(n.last_result, LastResult::ok);
  EXPECT_EQ(n.last_latency, 5ms);
}

TEST(HealthCore, ClampsNonsenseConfig) {
  HealthConfig c = config(0, 500);
  c.interval = 0s;
  Health h(c);
  EXPECT_EQ(h.config().rise, 1);
  EXPECT_EQ(h.config().fall, 100);
  EXPECT_GT(h.config().interval, Clock::duration::zero());
}

TEST(HealthCore, Names) {
  EXPECT_EQ(to_string(Verdict::starting), "starting");
  EXPECT_EQ(to_string(Verdict::disabled), "disabled");
  EXPECT_EQ(to_string(LastResult::timed_out), "timed_out");
}

}  // namespace
}  // namespace fbf::agent::checks
