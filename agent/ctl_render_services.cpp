// `fbfctl show services`: one line per service — health, what is announced,
// maintenance, the last check, the addresses — and below the table why a
// service is not announced normally or lacks its addresses. The reply is
// rendered defensively: `health` and `addresses` may be null or partial.
#include <fmt/format.h>

#include "agent/ctl_render.h"

namespace fbf::agent {
namespace {

using nlohmann::json;

// A check's detail is remote text (an HTTP reason, an error): kept short.
constexpr std::size_t kLastCheckWidth = 40;
constexpr std::size_t kNoteWidth = 160;

std::string string_json_member(const json& j, const char* key) {
  const json& m = json_member(j, key);
  return m.is_string() ? m.get<std::string>() : std::string();
}

std::string last_check(const json& health) {
  const std::string result = string_json_member(health, "last_result");
  const std::string detail = string_json_member(health, "detail");
  if (result.empty()) return "-";
  return clip_cell(detail.empty() ? result : result + ": " + detail, kLastCheckWidth);
}

std::string latency(const json& health) {
  const json& ms = json_member(health, "latency_ms");
  // No check ran yet ("none"): a latency of 0 would be made up.
  if (!ms.is_number() || json_member(health, "last_result") == "none") return "-";
  const double v = ms.get<double>();
  return v < 10 ? fmt::format("{:.1f}ms", v) : fmt::format("{:.0f}ms", v);
}

// "203.0.113.10, 2001:db8::10 (missing) on lo".
std::string addresses(const json& a) {
  if (json_member(a, "managed") == false) return "not managed";
  const json& list = json_member(a, "addresses");
  if (!list.is_array() || list.empty()) return "-";
  std::string out;
  for (const auto& entry : list) {
    const std::string address = string_json_member(entry, "address");
    if (!out.empty()) out += ", ";
    out += address.empty() ? "?" : clip_cell(address, 64);
    if (json_member(entry, "present") == json(false)) out += " (missing)";
  }
  const std::string interface = string_json_member(a, "interface");
  if (!interface.empty()) out += " on " + clip_cell(interface, 32);
  return out;
}

}  // namespace

std::string render_services(const json& reply) {
  const json& list = json_member(reply, "services");
  if (!list.is_array() || list.empty()) return "no services configured\n";
  Table t({"SERVICE", "HEALTH", "ANNOUNCED", "MAINTENANCE", "LAST CHECK", "LATENCY", "ADDRESSES"});
  std::string notes;
  for (const auto& s : list) {
    const json& health = json_member(s, "health");
    const json& addr = json_member(s, "addresses");
    const std::string name = clip_cell(cell_text(s, "service"), 64);
    t.add_row({name, cell_text(health, "verdict"), cell_text(s, "announcement"),
               cell_text(s, "maintenance"), last_check(health), latency(health), addresses(addr)});
    const std::string announcement = string_json_member(s, "announcement");
    const std::string reason = string_json_member(s, "reason");
    if (!announcement.empty() && announcement != "announced" && !reason.empty())
      notes += clip_cell(name + ": " + announcement + ": " + reason, kNoteWidth) + "\n";
    const std::string why = string_json_member(addr, "why");
    if (json_member(addr, "ok") == json(false) && !why.empty())
      notes += clip_cell(name + ": addresses: " + why, kNoteWidth) + "\n";
  }
  return notes.empty() ? t.render() : t.render() + "\n" + notes;
}

}  // namespace fbf::agent
