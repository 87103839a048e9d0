#include "agent/ctl_render.h"

#include <gtest/gtest.h>

namespace fbf::agent {
namespace {

TEST(Table, AlignsColumnsToTheWidestCell) {
  Table t({"NEIGHBOR", "STATE"});
  t.add_row({"upstream", "Established"});
  t.add_row({"tor", "Idle"});
  EXPECT_EQ(t.render(),
            "NEIGHBOR  STATE\n"
            "upstream  Established\n"
            "tor       Idle\n");
}

TEST(Table, RowsMayBeShorterThanHeaders) {
  Table t({"A", "B", "C"});
  t.add_row({"x"});
  EXPECT_EQ(t.render(), "A  B  C\nx\n");
}

TEST(FormatDuration, PicksTheLargestUnits) {
  EXPECT_EQ(format_duration_seconds(0), "0s");
  EXPECT_EQ(format_duration_seconds(59.9), "59s");
  EXPECT_EQ(format_duration_seconds(61), "1m 1s");
  EXPECT_EQ(format_duration_seconds(3600 * 5 + 7), "5h 0m 7s");
  EXPECT_EQ(format_duration_seconds(86400 * 2 + 3661), "2d 1h 1m 1s");
  EXPECT_EQ(format_duration_seconds(-1), "-");
}

TEST(RenderStatus, ShowsKeyFieldsWithoutHeader) {
  nlohmann::json s = {{"version", "0.1.0"},    {"revision", "abc"},     {"pid", 42},
                      {"uptime_seconds", 75.2}, {"config_file", "/f"},    {"local_as", 65500},
                      {"neighbors", 2},         {"services", 1},          {"bfd_peers", 0},
                      {"config_loaded_at", "t"}};
  const auto out = render_status(s);
  EXPECT_EQ(out.rfind("version", 0), 0u) << out;
  EXPECT_NE(out.find("0.1.0 (abc)"), std::string::npos);
  EXPECT_NE(out.find("uptime         1m 15s"), std::string::npos) << out;
  EXPECT_NE(out.find("local AS       65500"), std::string::npos) << out;
  EXPECT_EQ(out.find("last reload"), std::string::npos);
}

TEST(CellText, MissingNullAndNonObjectsAreADash) {
  const nlohmann::json j = {{"s", "x"}, {"n", 3}, {"z", nullptr}};
  EXPECT_EQ(cell_text(j, "s"), "x");
  EXPECT_EQ(cell_text(j, "n"), "3");
  EXPECT_EQ(cell_text(j, "z"), "-");
  EXPECT_EQ(cell_text(j, "absent"), "-");
  EXPECT_EQ(cell_text(nullptr, "s"), "-");
  EXPECT_EQ(cell_text(nlohmann::json::array(), "s"), "-");
}

TEST(CellNumber, DropsNeedlessDecimals) {
  const nlohmann::json j = {{"i", 4294967295u}, {"f", 2.0}, {"h", 1.25}, {"s", "7"}};
  EXPECT_EQ(cell_number(j, "i"), "4294967295");
  EXPECT_EQ(cell_number(j, "f"), "2");
  EXPECT_EQ(cell_number(j, "h"), "1.2");
  EXPECT_EQ(cell_number(j, "s"), "-");
}

TEST(ClipCell, ReplacesControlCharactersAndCutsLongText) {
  EXPECT_EQ(clip_cell("HTTP 200", 40), "HTTP 200");
  EXPECT_EQ(clip_cell("line\nbreak\ttab\x1b[31m", 40), "line break tab [31m");
  EXPECT_EQ(clip_cell("abcdefghij", 8), "abcde...");
  EXPECT_EQ(clip_cell("abcdefgh", 8), "abcdefgh");
}

TEST(ClipCell, NeverSplitsAUtf8Character) {
  // "é" is two bytes; a cut in its middle backs off to before it.
  const auto out = clip_cell("abcd\xc3\xa9" "fghij", 8);
  EXPECT_EQ(out, "abcd...");
}

nlohmann::json healthy_web() {
  return nlohmann::json::parse(R"({
    "service": "web", "announcement": "announced", "reason": "healthy",
    "prefixes": ["203.0.113.10/32"], "neighbors": ["r1"], "maintenance": "active",
    "health": {"verdict": "healthy", "check": "http http://127.0.0.1:8080/health",
               "last_result": "ok", "detail": "HTTP 200", "latency_ms": 1.5,
               "consecutive_ok": 3, "consecutive_failed": 0},
    "addresses": {"interface": "lo", "ok": true, "why": "",
                  "addresses": [{"address": "203.0.113.10", "present": true, "owned": true}]}
  })");
}

TEST(RenderServices, OneLinePerService) {
  auto dns = nlohmann::json::parse(R"({
    "service": "dns", "announcement": "withdrawn", "reason": "check failing",
    "maintenance": "drained",
    "health": {"verdict": "failing", "last_result": "timed_out",
               "detail": "no answer within 500ms", "latency_ms": 500.2},
    "addresses": {"interface": "dummy0", "ok": false, "why": "203.0.113.53 missing",
                  "addresses": [{"address": "203.0.113.53", "present": false},
                                {"address": "2001:db8::53", "present": true}]}
  })");
  const nlohmann::json reply = {{"services", {healthy_web(), dns}}};
  EXPECT_EQ(render_services(reply),
            "SERVICE  HEALTH   ANNOUNCED  MAINTENANCE  LAST CHECK                         "
            "LATENCY  ADDRESSES\n"
            "web      healthy  announced  active       ok: HTTP 200                       "
            "1.5ms    203.0.113.10 on lo\n"
            "dns      failing  withdrawn  drained      timed_out: no answer within 500ms  "
            "500ms    203.0.113.53 (missing), 2001:db8::53 on dummy0\n"
            "\n"
            "dns: withdrawn: check failing\n"
            "dns: addresses: 203.0.113.53 missing\n");
}

TEST(RenderServices, NullOrPartialHealthAndAddressesAreDashes) {
  const nlohmann::json reply = {
      {"services",
       {{{"service", "a"}, {"announcement", "announced"}, {"health", nullptr},
         {"addresses", nullptr}},
        {{"service", "b"},
         {"health", {{"verdict", "starting"}, {"last_result", "none"}, {"latency_ms", 0.0}}},
         {"addresses", {{"managed", false}, {"ok", true}, {"why", "not managed"}}}},
        {{"service", "c"}, {"health", nlohmann::json::object()},
         {"addresses", {{"addresses", nlohmann::json::array()}}}}}}};
  EXPECT_EQ(render_services(reply),
            "SERVICE  HEALTH    ANNOUNCED  MAINTENANCE  LAST CHECK  LATENCY  ADDRESSES\n"
            "a        -         announced  -            -           -        -\n"
            "b        starting  -          -            none        -        not managed\n"
            "c        -         -          -            -           -        -\n");
}

TEST(RenderServices, LongCheckDetailIsClipped) {
  auto web = healthy_web();
  web["health"]["last_result"] = "failed";
  web["health"]["detail"] = "connect to 127.0.0.1:8080: connection refused by the peer, retrying";
  const auto out = render_services({{"services", {web}}});
  EXPECT_NE(out.find("failed: connect to 127.0.0.1:8080: co...  1.5ms"), std::string::npos) << out;
}

TEST(RenderServices, NoServices) {
  EXPECT_EQ(render_services({{"services", nlohmann::json::array()}}), "no services configured\n");
  EXPECT_EQ(render_services(nlohmann::json::object()), "no services configured\n");
}

nlohmann::json maintenance_entry(const std::string& name, const std::string& phase) {
  return {{"service", name},       {"phase", phase},         {"since_seconds", 12.7},
          {"since_unix_ms", 1000}, {"routes", "normal"},     {"sessions_closed", false},
          {"time_left_seconds", nullptr}, {"connections", nullptr}, {"drain_connections", -1}};
}

TEST(RenderMaintenance, AlignedTable) {
  auto web = maintenance_entry("web", "draining");
  web["routes"] = "graceful_shutdown";
  web["time_left_seconds"] = 17.2;
  web["connections"] = 3;
  web["drain_connections"] = 0;
  auto dns = maintenance_entry("dns", "drained");
  dns["routes"] = "withdrawn";
  dns["sessions_closed"] = true;
  dns["since_seconds"] = 75.0;
  const nlohmann::json status = {{"phase", "draining (web), drained (dns)"},
                                 {"services", {dns, maintenance_entry("api", "active"), web}}};
  EXPECT_EQ(render_maintenance(status),
            "SERVICE  PHASE     SINCE   TIME LEFT  CONNECTIONS      ROUTES\n"
            "dns      drained   1m 15s  -          -                withdrawn, sessions closed\n"
            "api      active    12s     -          -                normal\n"
            "web      draining  12s     18s        3 (target <= 0)  graceful_shutdown\n");
}

TEST(RenderMaintenance, NoServices) {
  EXPECT_EQ(render_maintenance({{"phase", "active"}, {"services", nlohmann::json::array()}}),
            "no services configured\n");
}

TEST(MaintenanceProgressLine, PhaseTimeLeftAndConnections) {
  auto web = maintenance_entry("web", "draining");
  EXPECT_EQ(maintenance_progress_line(web), "web: draining");
  web["time_left_seconds"] = 29.01;
  EXPECT_EQ(maintenance_progress_line(web), "web: draining, 30s left");
  web["connections"] = 1;
  EXPECT_EQ(maintenance_progress_line(web), "web: draining, 30s left, 1 connection");
  web["connections"] = 12;
  web["drain_connections"] = 2;
  EXPECT_EQ(maintenance_progress_line(web), "web: draining, 30s left, 12 connections (target <= 2)");
  web["time_left_seconds"] = 0.0;
  EXPECT_EQ(maintenance_progress_line(web), "web: draining, 0s left, 12 connections (target <= 2)");
}

TEST(RenderBfd, ASessionWaitingForBgpSaysSo) {
  const auto bfd = nlohmann::json::parse(R"({"sessions": [
      {"name": "rtr", "peer": "192.0.2.1", "state": "AdminDown", "waiting_for_bgp": true},
      {"name": "b", "peer": "192.0.2.2", "state": "Up", "waiting_for_bgp": false}]})");
  const std::string out = render_bfd(bfd);
  EXPECT_NE(out.find("AdminDown (waiting for BGP)"), std::string::npos) << out;
  EXPECT_EQ(out.find("Up (waiting"), std::string::npos) << out;
}

}  // namespace
}  // namespace fbf::agent
