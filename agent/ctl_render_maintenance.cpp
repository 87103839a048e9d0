// `fbfctl maintenance status` as a table, and the one-line form of a service
// that `--wait` prints whenever it changes.
#include <fmt/format.h>

#include <cmath>

#include "agent/ctl_render.h"

namespace fbf::agent {
namespace {

using nlohmann::json;

// Seconds left, rounded up: a countdown reaches "0s" only when it is over.
std::string time_left(const json& s) {
  const json& t = json_member(s, "time_left_seconds");
  if (!t.is_number()) return "-";
  return format_duration_seconds(std::ceil(std::max(0.0, t.get<double>())));
}

std::string since(const json& s) {
  const json& t = json_member(s, "since_seconds");
  return t.is_number() ? format_duration_seconds(t.get<double>()) : "-";
}

// Established connections still open while draining, "-" when not counted.
std::string connections(const json& s) {
  const json& c = json_member(s, "connections");
  return c.is_number() ? c.dump() : "-";
}

// " (target <= 0)" when the drain ends early at that many connections.
std::string connection_target(const json& s) {
  const json& target = json_member(s, "drain_connections");
  if (!target.is_number_integer() || target.get<std::int64_t>() < 0) return "";
  return " (target <= " + target.dump() + ")";
}

std::string routes(const json& s) {
  std::string out = cell_text(s, "routes");
  if (json_member(s, "sessions_closed") == true) out += ", sessions closed";
  return out;
}

}  // namespace

std::string render_maintenance(const json& status) {
  const json& list = json_member(status, "services");
  if (!list.is_array() || list.empty()) return "no services configured\n";
  Table t({"SERVICE", "PHASE", "SINCE", "TIME LEFT", "CONNECTIONS", "ROUTES"});
  for (const auto& s : list) {
    if (!s.is_object()) continue;
    const std::string count = connections(s);
    t.add_row({clip_cell(cell_text(s, "service"), 64), cell_text(s, "phase"), since(s),
               time_left(s), count == "-" ? count : count + connection_target(s), routes(s)});
  }
  return t.render();
}

std::string maintenance_progress_line(const json& s) {
  if (!s.is_object()) return "?";
  std::string line = clip_cell(cell_text(s, "service"), 64) + ": " + cell_text(s, "phase");
  if (const auto left = time_left(s); left != "-") line += ", " + left + " left";
  if (const auto c = connections(s); c != "-")
    line += ", " + c + (c == "1" ? " connection" : " connections") + connection_target(s);
  return line;
}

}  // namespace fbf::agent
