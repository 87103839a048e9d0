#pragma once
// Human-readable output of fbfctl: aligned tables and key/value blocks built
// from the agent's JSON replies (the same JSON `--json` prints).

#include <string>
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

std::string render_status(const nlohmann::json& status);
std::string render_bfd(const nlohmann::json& bfd);
std::string render_bgp(const nlohmann::json& bgp);
std::string render_routes(const nlohmann::json& routes);

}  // namespace fbf::agent
