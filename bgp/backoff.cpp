#include "bgp/backoff.h"

#include <algorithm>

namespace fbf::bgp {

namespace {

// base * (low + random % (span + 1)) / 10^6, in parts per million.
Duration scale_ppm(Duration base, std::uint64_t low, std::uint64_t span, std::uint32_t random) {
  const std::uint64_t ppm = low + random % (span + 1);
  const auto ms = static_cast<std::uint64_t>(std::max<Duration::rep>(base.count(), 0));
  return Duration{static_cast<Duration::rep>(ms * ppm / 1'000'000)};
}

}  // namespace

Duration connect_retry_base(const BackoffConfig& config, std::uint32_t retries) {
  Duration d = std::max(config.initial, Duration{1});
  for (std::uint32_t i = 0; i < retries && d < config.max; ++i) d *= 2;
  return std::min(d, std::max(config.max, config.initial));
}

Duration connect_retry_delay(const BackoffConfig& config, std::uint32_t retries,
                             std::uint32_t random) {
  Duration d = scale_ppm(connect_retry_base(config, retries), 750'000, 500'000, random);
  return std::min(d, std::max(config.max, config.initial));
}

Duration rfc4271_jitter(Duration base, std::uint32_t random) {
  return scale_ppm(base, 750'000, 250'000, random);
}

Damping::Damping(const DampingConfig& config)
    : config_(config), idle_hold_(config.initial_idle_hold) {}

void Damping::record_drop(TimePoint now, Duration uptime) {
  if (config_.threshold == 0) return;
  forget_if_stable(uptime);
  if (drops_.size() == config_.threshold) drops_.erase(drops_.begin());
  drops_.push_back(now);
}

void Damping::record_administrative_reset(Duration uptime) { forget_if_stable(uptime); }

void Damping::forget_if_stable(Duration uptime) {
  if (uptime < config_.window) return;
  drops_.clear();
  idle_hold_ = config_.initial_idle_hold;
}

std::size_t Damping::recent_drops(TimePoint now) const {
  return static_cast<std::size_t>(std::count_if(
      drops_.begin(), drops_.end(), [&](TimePoint t) { return now - t <= config_.window; }));
}

std::optional<Duration> Damping::idle_hold(TimePoint now) {
  if (config_.threshold == 0 || recent_drops(now) < config_.threshold) return std::nullopt;
  Duration hold = idle_hold_;
  idle_hold_ = std::min(idle_hold_ * 2, std::max(config_.max_idle_hold, config_.initial_idle_hold));
  drops_.clear();
  ++dampings_;
  return hold;
}

void Damping::reset() {
  drops_.clear();
  idle_hold_ = config_.initial_idle_hold;
}

}  // namespace fbf::bgp
