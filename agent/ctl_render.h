#pragma once
// Human-readable output of fbfctl: aligned tables and key/value blocks built
// from the agent's JSON replies (the same JSON `--json` prints).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fbf::agent {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  std::string render() const;  // columns padded to their widest cell

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "1d 2h 3m 4s" style, for uptimes.
std::string format_duration_seconds(double seconds);

// `j[key]`, or a null when `j` is not an object or has no such member: lets
// renderers read partial replies without checks at every step.
const nlohmann::json& json_member(const nlohmann::json& j, std::string_view key);
// Table cells from JSON members: "-" when the member is missing or null (or
// `j` is not an object), strings as they are, anything else as JSON.
std::string cell_text(const nlohmann::json& j, const char* key);
// A number without a needless ".0" ("3", "1.5"); "-" when not a number.
std::string cell_number(const nlohmann::json& j, const char* key);
// Free text from the network (a check's detail, an error) made fit for one
// cell: control characters become spaces, and text longer than `max_bytes`
// is cut at a UTF-8 character boundary and ends in "...".
std::string clip_cell(std::string_view text, std::size_t max_bytes);

std::string render_status(const nlohmann::json& status);
std::string render_bfd(const nlohmann::json& bfd);
std::string render_bgp(const nlohmann::json& bgp);
std::string render_routes(const nlohmann::json& routes);
// agent/ctl_render_services.cpp
std::string render_services(const nlohmann::json& services);
// agent/ctl_render_maintenance.cpp: the `maintenance status` table, and one
// service of it as a progress line for --wait (agent/ctl_maintenance_wait.h):
// "web: draining, 28s left, 3 connections (target <= 0)".
std::string render_maintenance(const nlohmann::json& status);
std::string maintenance_progress_line(const nlohmann::json& service);

}  // namespace fbf::agent
