#include "agent/ctl_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace fbf::agent {

Table::Table(std::vector<std::string> headers) { rows_.push_back(std::move(headers)); }

void Table::add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

std::string Table::render() const {
  std::vector<std::size_t> width;
  for (const auto& row : rows_) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string format_duration_seconds(double seconds) {
  if (!(seconds >= 0)) return "-";
  auto s = static_cast<long long>(std::floor(seconds));
  const long long d = s / 86400;
  s %= 86400;
  const long long h = s / 3600;
  s %= 3600;
  const long long m = s / 60;
  s %= 60;
  if (d) return fmt::format("{}d {}h {}m {}s", d, h, m, s);
  if (h) return fmt::format("{}h {}m {}s", h, m, s);
  if (m) return fmt::format("{}m {}s", m, s);
  return fmt::format("{}s", s);
}

const nlohmann::json& json_member(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json kNull;  // never modified
  if (!j.is_object()) return kNull;
  const auto& object = j.get_ref<const nlohmann::json::object_t&>();
  auto it = object.find(key);
  return it == object.end() ? kNull : it->second;
}

std::string cell_text(const nlohmann::json& j, const char* key) {
  const auto& m = json_member(j, key);
  if (m.is_null()) return "-";
  if (m.is_string()) return m.get_ref<const std::string&>();
  return m.dump();
}

std::string cell_number(const nlohmann::json& j, const char* key) {
  const auto& m = json_member(j, key);
  if (!m.is_number()) return "-";
  if (!m.is_number_float()) return m.dump();
  const double v = m.get<double>();
  if (std::abs(v) < 1e15 && v == std::trunc(v)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.1f}", v);
}

std::string clip_cell(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  if (out.size() <= max_bytes) return out;
  constexpr std::string_view kEllipsis = "...";
  std::size_t keep = max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  // Never split a multi-byte character: back off over continuation bytes.
  while (keep > 0 && (static_cast<unsigned char>(out[keep]) & 0xC0) == 0x80) --keep;
  out.resize(keep);
  return out + std::string(kEllipsis.substr(0, std::min(kEllipsis.size(), max_bytes)));
}

std::string render_status(const nlohmann::json& s) {
  Table t({"", ""});
  t.add_row({"version", cell_text(s, "version") + " (" + cell_text(s, "revision") + ")"});
  t.add_row({"pid", cell_text(s, "pid")});
  t.add_row({"uptime", s.contains("uptime_seconds") && s["uptime_seconds"].is_number()
                           ? format_duration_seconds(s["uptime_seconds"].get<double>())
                           : "-"});
  t.add_row({"config file", cell_text(s, "config_file")});
  t.add_row({"config loaded", cell_text(s, "config_loaded_at")});
  t.add_row({"local AS", cell_text(s, "local_as")});
  t.add_row({"neighbors", cell_text(s, "neighbors")});
  t.add_row({"bfd peers", cell_text(s, "bfd_peers")});
  t.add_row({"services", cell_text(s, "services")});
  if (auto it = s.find("maintenance"); it != s.end())
    t.add_row({"maintenance", cell_text(s, "maintenance")});
  if (auto it = s.find("last_reload"); it != s.end() && it->is_object()) {
    t.add_row({"last reload", cell_text(*it, "result") + " at " + cell_text(*it, "at")});
  }
  std::string out = t.render();
  // The header row is empty for a key/value block: drop it.
  return out.substr(out.find('\n') + 1);
}

std::string render_bfd(const nlohmann::json& bfd) {
  Table t({"NAME", "PEER", "INTERFACE", "STATE", "REMOTE", "DIAG", "LOCAL/REMOTE DISCR", "TX/RX ms",
           "MULT", "DETECT ms", "FLAPS", "UPTIME"});
  const auto sessions = bfd.value("sessions", nlohmann::json::array());
  for (const auto& s : sessions) {
    t.add_row({cell_text(s, "name"),
               cell_text(s, "peer") + (s.value("multihop", false) ? " (mh)" : ""),
               // RFC 5881 §3: the single-hop session's interface; "-" unbound.
               json_member(s, "interface") == "" ? std::string("-") : cell_text(s, "interface"),
               cell_text(s, "state") + (s.value("waiting_for_bgp", false) ? " (waiting for BGP)" : ""),
               cell_text(s, "remote_state"), cell_text(s, "diag"),
               fmt::format("{:#010x}/{:#010x}", s.value("local_discriminator", 0u),
                           s.value("remote_discriminator", 0u)),
               cell_number(s, "transmit_interval_ms") + "/" + cell_number(s, "required_min_rx_ms"),
               cell_number(s, "detect_mult"), cell_number(s, "detection_time_ms"),
               cell_number(s, "flaps"),
               s.contains("uptime_seconds") && s["uptime_seconds"].is_number()
                   ? format_duration_seconds(s["uptime_seconds"].get<double>())
                   : "-"});
  }
  std::string out = sessions.empty() ? std::string("no BFD sessions configured\n") : t.render();
  for (const auto& e : bfd.value("errors", nlohmann::json::array()))
    if (e.is_string()) out += "error: " + e.get<std::string>() + "\n";
  return out;
}

std::string render_bgp(const nlohmann::json& bgp) {
  Table t(
      {"NAME", "PEER", "AS", "TYPE", "STATE", "FOR", "BFD", "SENT", "RCVD v4/v6", "LAST ERROR"});
  const auto neighbors = bgp.value("neighbors", nlohmann::json::array());
  for (const auto& n : neighbors) {
    t.add_row(
        {cell_text(n, "name"), cell_text(n, "peer"), cell_text(n, "remote_as"),
         cell_text(n, "type"), cell_text(n, "state"),
         n.contains("state_seconds") && n["state_seconds"].is_number()
             ? format_duration_seconds(n["state_seconds"].get<double>())
             : "-",
         n.contains("bfd") ? cell_text(n, "bfd") + (n.value("held_for_bfd", false) ? " (held)" : "")
                           : "-",
         cell_text(n, "prefixes_sent"),
         cell_text(n, "prefixes_received_ipv4") + "/" + cell_text(n, "prefixes_received_ipv6"),
         n.value("last_error", std::string()).empty() ? "-" : cell_text(n, "last_error")});
  }
  return neighbors.empty() ? std::string("no BGP neighbors configured\n") : t.render();
}

std::string render_routes(const nlohmann::json& routes) {
  Table t({"PREFIX", "NEIGHBOR", "NEXT HOP", "AS PATH", "MED", "LOCAL PREF", "COMMUNITIES"});
  const auto list = routes.value("routes", nlohmann::json::array());
  for (const auto& r : list) {
    std::string path;
    for (const auto& as : r.value("as_path", nlohmann::json::array()))
      path += (path.empty() ? "" : " ") + as.dump();
    std::string comms = r.value("communities", std::string());
    for (const auto& lc : r.value("large_communities", nlohmann::json::array()))
      if (lc.is_string()) comms += (comms.empty() ? "" : " ") + lc.get<std::string>();
    t.add_row({cell_text(r, "prefix"), cell_text(r, "neighbor"), cell_text(r, "next_hop"),
               path.empty() ? "(empty)" : path, cell_text(r, "med"), cell_text(r, "local_pref"),
               comms.empty() ? "-" : comms});
  }
  return list.empty() ? std::string("no routes announced\n") : t.render();
}

}  // namespace fbf::agent
