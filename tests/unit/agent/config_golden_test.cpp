// Golden files: every testdata/config/NAME.toml must parse, and its canonical
// dump must equal NAME.golden. After an intended change of the dump format or
// of a default, regenerate them and review the diff:
//     FBF_REGENERATE_GOLDEN=1 unit_agent --gtest_filter='*Golden*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/config.h"

namespace fbf::agent {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(FBF_TESTDATA_DIR) / "config";

std::vector<std::string> golden_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kDir))
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string joined(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.to_string() + "\n";
  return out;
}

bool regenerate() {
  const char* v = std::getenv("FBF_REGENERATE_GOLDEN");
  return v != nullptr && std::string_view(v) == "1";
}

class ConfigGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfigGolden, DumpMatchesGoldenFile) {
  const auto input = kDir / (GetParam() + ".toml");
  const auto golden = kDir / (GetParam() + ".golden");
  // Parse from text with a fixed name so the dump does not depend on where the tree is.
  const auto config = parse_config(read(input), GetParam() + ".toml");
  ASSERT_TRUE(config) << joined(config.error());
  const auto dump = dump_config(*config);
  if (regenerate()) {
    std::ofstream(golden, std::ios::binary) << dump;
    GTEST_SKIP() << "rewrote " << golden;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with FBF_REGENERATE_GOLDEN=1";
  EXPECT_EQ(dump, read(golden)) << "to accept: FBF_REGENERATE_GOLDEN=1 and review the diff";
}

TEST_P(ConfigGolden, DumpParsesBackToTheSameConfig) {
  const auto config = parse_config(read(kDir / (GetParam() + ".toml")), "in.toml");
  ASSERT_TRUE(config) << joined(config.error());
  const auto dump = dump_config(*config, Secrets::show);
  const auto again = parse_config(dump, "dump.toml");
  ASSERT_TRUE(again) << joined(again.error()) << dump;
  EXPECT_EQ(dump_config(*again, Secrets::show), dump);
}

TEST_P(ConfigGolden, RedactedDumpIsStillValid) {
  const auto config = parse_config(read(kDir / (GetParam() + ".toml")), "in.toml");
  ASSERT_TRUE(config) << joined(config.error());
  const auto again = parse_config(dump_config(*config), "dump.toml");
  EXPECT_TRUE(again) << joined(again.error());
}

INSTANTIATE_TEST_SUITE_P(Config, ConfigGolden, ::testing::ValuesIn(golden_names()),
                         [](const auto& param_info) { return param_info.param; });

TEST(ConfigGoldenFiles, EveryGoldenHasItsInput) {
  std::size_t goldens = 0;
  for (const auto& entry : fs::directory_iterator(kDir)) {
    if (entry.path().extension() != ".golden") continue;
    ++goldens;
    auto input = entry.path();
    EXPECT_TRUE(fs::exists(input.replace_extension(".toml"))) << entry.path();
  }
  EXPECT_GE(goldens, 3u);
}

TEST(ConfigDump, RedactsSecretsUnlessAsked) {
  const auto config = parse_config(
      "[agent]\nlocal_as = 1\n[[neighbor]]\nname = \"a\"\naddress = \"192.0.2.1\"\n"
      "remote_as = 2\npassword = \"hunter2\"\n[neighbor.bfd]\nauth_type = \"simple\"\n"
      "auth_key = \"opensesame\"\n",
      "t.toml");
  ASSERT_TRUE(config) << joined(config.error());
  const auto redacted = dump_config(*config);
  EXPECT_EQ(redacted.find("hunter2"), std::string::npos);
  EXPECT_EQ(redacted.find("opensesame"), std::string::npos);
  EXPECT_NE(redacted.find("password = \"<redacted>\""), std::string::npos) << redacted;
  const auto shown = dump_config(*config, Secrets::show);
  EXPECT_NE(shown.find("password = \"hunter2\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("auth_key = \"opensesame\""), std::string::npos) << shown;
}

TEST(ConfigDump, EscapesStrings) {
  auto config = parse_config("[agent]\nlocal_as = 1\n[maintenance]\n"
                             "shutdown_message = \"say \\\"bye\\\"\\\\\\n\\u0001\"\n",
                             "t.toml");
  ASSERT_TRUE(config) << joined(config.error());
  EXPECT_EQ(config->maintenance.shutdown_message, "say \"bye\"\\\n\x01");
  const auto dump = dump_config(*config);
  EXPECT_NE(dump.find(R"(shutdown_message = "say \"bye\"\\\n\u0001")"), std::string::npos)
      << dump;
  const auto again = parse_config(dump, "d.toml");
  ASSERT_TRUE(again) << joined(again.error());
  EXPECT_EQ(again->maintenance.shutdown_message, config->maintenance.shutdown_message);
}

}  // namespace
}  // namespace fbf::agent
