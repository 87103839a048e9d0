#pragma once
// Helpers for the config tests. An error case is written as the TOML text with
// "@@" where the error must point; the helper removes the marker, parses, and
// the case asserts the one exact "t.toml:LINE:COL: message" line.

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "agent/config.h"

namespace fbf::agent::test {

inline constexpr const char* kFile = "t.toml";
// A valid [agent] table, for cases about other sections (2 lines).
inline const std::string kAgent = "[agent]\nlocal_as = 65500\n";

inline std::vector<std::string> error_lines(const std::string& text) {
  auto r = parse_config(text, kFile);
  std::vector<std::string> out;
  if (!r)
    for (const auto& e : r.error()) out.push_back(e.to_string());
  return out;
}

// Removes the first "@@" and returns "LINE:COL" of where it stood (1-based;
// columns count characters, as toml++ does; the marked lines are ASCII).
inline std::string take_marker(std::string& text) {
  const auto at = text.find("@@");
  if (at == std::string::npos) return "?:?";
  int line = 1, col = 1;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  text.erase(at, 2);
  return std::to_string(line) + ":" + std::to_string(col);
}

struct ErrorCase {
  const char* name;
  std::string text;  // with one "@@" marker
  std::string message;
  friend std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.name; }
};

// Names parameterized tests after the case.
struct CaseName {
  std::string operator()(const ::testing::TestParamInfo<ErrorCase>& p) const { return p.param.name; }
};

inline void expect_single_error(ErrorCase c) {
  const auto where = take_marker(c.text);
  const auto errors = error_lines(c.text);
  EXPECT_EQ(errors, std::vector<std::string>{std::string(kFile) + ":" + where + ": " + c.message})
      << "config:\n"
      << c.text;
}

inline Config parse_ok(const std::string& text) {
  auto r = parse_config(text, kFile);
  if (!r) {
    std::string all;
    for (const auto& e : r.error()) all += e.to_string() + "\n";
    ADD_FAILURE() << "expected a valid config, got:\n" << all << "config:\n" << text;
    return {};
  }
  return *r;
}

}  // namespace fbf::agent::test
