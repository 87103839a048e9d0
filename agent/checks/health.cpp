#include "agent/checks/health.h"

#include <fmt/format.h>

#include <algorithm>

namespace fbf::agent::checks {

namespace {

// Consecutive counts only need to reach rise/fall (<= 100); saturating keeps a
// service probed every millisecond for years from overflowing.
constexpr int kMaxConsecutive = 1'000'000;

std::string millis(Clock::duration d) {
  return fmt::format("{}ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

std::string streak(int n, std::string_view one, std::string_view many,
                   const std::string& detail) {
  std::string s = n == 1 ? fmt::format("1 {}", one) : fmt::format("{} consecutive {}", n, many);
  if (!detail.empty()) s += fmt::format(" ({})", detail);
  return s;
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::starting: return "starting";
    case Verdict::healthy: return "healthy";
    case Verdict::failing: return "failing";
    case Verdict::disabled: return "disabled";
  }
  return "unknown";
}

std::string_view to_string(LastResult r) {
  switch (r) {
    case LastResult::none: return "none";
    case LastResult::ok: return "ok";
    case LastResult::failed: return "failed";
    case LastResult::timed_out: return "timed_out";
  }
  return "unknown";
}

Health::Health(const HealthConfig& config, Verdict initial, bool initially_disabled)
    : config_(config),
      disabled_(initially_disabled),
      probe_verdict_(initial == Verdict::disabled ? Verdict::starting : initial) {
  // The config layer guarantees these; clamping keeps a bad caller from
  // dividing by zero or never reaching a verdict.
  config_.rise = std::clamp(config_.rise, 1, 100);
  config_.fall = std::clamp(config_.fall, 1, 100);
  config_.interval = std::max<Clock::duration>(config_.interval, std::chrono::milliseconds(1));
  config_.timeout = std::max<Clock::duration>(config_.timeout, std::chrono::milliseconds(1));
}

Actions Health::start(TimePoint now, bool disable_file_present) {
  Actions out;
  if (started_) return out;
  started_ = true;
  const Verdict before = verdict();
  disabled_ = disable_file_present;
  if (!config_.probes && probe_verdict_ != Verdict::healthy) {
    probe_verdict_ = Verdict::healthy;
    probe_reason_ = "no check configured";
  }
  emit_verdict_change(before, now, out);
  if (!has_slots()) return out;
  next_slot_ = now;  // t0: slot k is at t0 + k * interval
  run_due_slots(now, out);
  arm(out);
  return out;
}

Actions Health::on_timer(TimePoint now, bool disable_file_present) {
  Actions out;
  if (!started_) return out;
  const Verdict before = verdict();
  disabled_ = disable_file_present;
  if (running_ && now >= running_->deadline) {
    out.emplace_back(std::in_place_type<CancelProbe>, running_->id);
    finish(now, LastResult::timed_out, "timed out after " + millis(config_.timeout));
  }
  // The verdict goes out before a new probe starts, so the adapter's
  // listener never sees a StartProbe ahead of the news it caused.
  emit_verdict_change(before, now, out);
  run_due_slots(now, out);
  arm(out);
  return out;
}

Actions Health::on_result(TimePoint now, ProbeId id, ProbeResult result) {
  Actions out;
  if (!running_ || running_->id != id) {
    ++counters_.stale_results;
    return out;
  }
  const Verdict before = verdict();
  finish(now, result.ok ? LastResult::ok : LastResult::failed, std::move(result.detail));
  emit_verdict_change(before, now, out);
  arm(out);  // the deadline no longer matters: only the next slot
  return out;
}

void Health::on_cancelled(ProbeId id, std::string_view partial_detail) {
  if (id != last_finished_ || counters_.last_result != LastResult::timed_out ||
      partial_detail.empty())
    return;
  counters_.last_detail += ": ";
  counters_.last_detail += partial_detail;
}

void Health::inherit_totals(const HealthCounters& earlier) {
  counters_.probes_started += earlier.probes_started;
  counters_.probes_ok += earlier.probes_ok;
  counters_.probes_failed += earlier.probes_failed;
  counters_.probes_timed_out += earlier.probes_timed_out;
  counters_.slots_skipped += earlier.slots_skipped;
  counters_.stale_results += earlier.stale_results;
  counters_.verdict_changes += earlier.verdict_changes;
}

std::optional<TimePoint> Health::next_slot() const {
  if (!started_ || !has_slots()) return std::nullopt;
  return next_slot_;
}

void Health::finish(TimePoint now, LastResult result, std::string detail) {
  const Running r = *running_;
  running_.reset();
  last_finished_ = r.id;
  counters_.last_result = result;
  counters_.last_latency = now - r.started;
  counters_.last_detail = std::move(detail);
  if (result == LastResult::ok) {
    ++counters_.probes_ok;
    consecutive_ok_ = std::min(consecutive_ok_ + 1, kMaxConsecutive);
    consecutive_failed_ = 0;
    if (probe_verdict_ != Verdict::healthy && consecutive_ok_ >= config_.rise) {
      probe_verdict_ = Verdict::healthy;
      probe_reason_ = streak(consecutive_ok_, "success", "successes", counters_.last_detail);
    }
    return;
  }
  if (result == LastResult::timed_out) ++counters_.probes_timed_out;
  else ++counters_.probes_failed;
  consecutive_failed_ = std::min(consecutive_failed_ + 1, kMaxConsecutive);
  consecutive_ok_ = 0;
  if (probe_verdict_ != Verdict::failing && consecutive_failed_ >= config_.fall) {
    probe_verdict_ = Verdict::failing;
    probe_reason_ = streak(consecutive_failed_, "failure", "failures", counters_.last_detail);
  }
}

void Health::run_due_slots(TimePoint now, Actions& out) {
  if (!has_slots() || now < next_slot_) return;
  // Slots the loop was too late for are skipped, not made up: the grid stays
  // t0 + k * interval and a stall never causes a burst of probes.
  const auto missed = (now - next_slot_) / config_.interval;
  counters_.slots_skipped += static_cast<std::uint64_t>(missed);
  next_slot_ += (missed + 1) * config_.interval;
  if (!config_.probes) return;  // the slot was only for the disable file
  if (running_) {
    ++counters_.slots_skipped;  // never two probes of one service at once
    return;
  }
  running_ = Running{++last_id_, now, now + config_.timeout};
  ++counters_.probes_started;
  out.emplace_back(std::in_place_type<StartProbe>, running_->id, running_->deadline);
}

void Health::emit_verdict_change(Verdict before, TimePoint now, Actions& out) {
  const Verdict after = verdict();
  if (after == before) return;
  std::string reason;
  if (after == Verdict::disabled)
    reason = "disable file present";
  else if (before == Verdict::disabled)
    reason = fmt::format("disable file removed; probes say {}", to_string(after));
  else
    reason = probe_reason_;
  ++counters_.verdict_changes;
  counters_.last_change = now;
  counters_.last_reason = reason;
  out.push_back(VerdictChanged{before, after, std::move(reason)});
}

void Health::arm(Actions& out) const {
  if (!has_slots()) return;
  TimePoint at = next_slot_;
  if (running_) at = std::min(at, running_->deadline);
  out.emplace_back(std::in_place_type<ArmTimer>, at);
}

}  // namespace fbf::agent::checks
