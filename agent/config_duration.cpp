// Durations in the config: "250ms", "3s", "2m", "1h" — one non-negative
// integer and one unit. Deliberately strict: a bare number is ambiguous (ms or
// s?), and fractions invite rounding surprises in millisecond timers.
#include <charconv>
#include <limits>

#include "agent/config.h"

namespace fbf::agent {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};
// Smallest first; format_duration() walks them from the largest down.
constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}};

}  // namespace

std::expected<Duration, std::string> parse_duration(std::string_view text) {
  const std::string shown = "\"" + std::string(text) + "\"";
  if (text.empty()) return std::unexpected("empty duration; use e.g. \"300ms\" or \"3s\"");
  if (text.front() == '-') return std::unexpected("negative duration " + shown);
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::unexpected("duration " + shown + " must start with a number");
  const auto unit_text = text.substr(digits);
  if (unit_text.starts_with('.'))
    return std::unexpected("fractional duration " + shown + "; use a smaller unit (\"1500ms\")");
  if (unit_text.empty())
    return std::unexpected("duration " + shown + " has no unit (ms, s, m or h)");
  const Unit* unit = nullptr;
  for (const auto& u : kUnits)
    if (u.name == unit_text) unit = &u;
  if (!unit)
    return std::unexpected("duration " + shown + " has an unknown unit; use ms, s, m or h");
  std::int64_t count = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, count);
  if (ec != std::errc{} || ptr != text.data() + digits ||
      count > std::numeric_limits<std::int64_t>::max() / unit->ms)
    return std::unexpected("duration " + shown + " is too large");
  return Duration{count * unit->ms};
}

std::string format_duration(Duration d) {
  const auto ms = d.count();
  if (ms == 0) return "0s";
  for (auto it = std::rbegin(kUnits); it != std::rend(kUnits); ++it)
    if (ms % it->ms == 0) return std::to_string(ms / it->ms) + std::string(it->name);
  return std::to_string(ms) + "ms";  // unreachable: every count divides by 1
}

}  // namespace fbf::agent
