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

}  // namespace
}  // namespace fbf::agent
