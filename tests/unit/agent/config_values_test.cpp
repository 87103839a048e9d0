// The value parsers behind the config: durations, communities and the
// string checks that toml++ cannot exercise on its own.
#include <gtest/gtest.h>

#include "agent/config.h"
#include "agent/config_values.h"

namespace fbf::agent {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesEachUnit) {
  EXPECT_EQ(parse_duration("250ms"), Duration{250});
  EXPECT_EQ(parse_duration("3s"), Duration{3000});
  EXPECT_EQ(parse_duration("2m"), Duration{120'000});
  EXPECT_EQ(parse_duration("1h"), Duration{3'600'000});
  EXPECT_EQ(parse_duration("0ms"), Duration{0});
  EXPECT_EQ(parse_duration("007s"), Duration{7000});
}

TEST(Duration, RejectsWhatIsNotOneNumberAndOneUnit) {
  EXPECT_EQ(parse_duration("").error(), "empty duration; use e.g. \"300ms\" or \"3s\"");
  EXPECT_EQ(parse_duration("-3s").error(), "negative duration \"-3s\"");
  EXPECT_EQ(parse_duration("3").error(), "duration \"3\" has no unit (ms, s, m or h)");
  EXPECT_EQ(parse_duration("s").error(), "duration \"s\" must start with a number");
  EXPECT_EQ(parse_duration("+3s").error(), "duration \"+3s\" must start with a number");
  EXPECT_EQ(parse_duration("3 s").error(),
            "duration \"3 s\" has an unknown unit; use ms, s, m or h");
  EXPECT_EQ(parse_duration("1m30s").error(),
            "duration \"1m30s\" has an unknown unit; use ms, s, m or h");
  EXPECT_EQ(parse_duration("3us").error(),
            "duration \"3us\" has an unknown unit; use ms, s, m or h");
  EXPECT_EQ(parse_duration("0.5s").error(),
            "fractional duration \"0.5s\"; use a smaller unit (\"1500ms\")");
}

TEST(Duration, RejectsOverflowInsteadOfWrapping) {
  EXPECT_EQ(parse_duration("9223372036854775807ms"), Duration{9223372036854775807});
  EXPECT_EQ(parse_duration("9223372036854775808ms").error(),
            "duration \"9223372036854775808ms\" is too large");
  EXPECT_EQ(parse_duration("2562047788016h").error(), "duration \"2562047788016h\" is too large");
  EXPECT_TRUE(parse_duration("2562047788015h"));
}

TEST(Duration, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(120s), "2m");
  EXPECT_EQ(format_duration(7200s), "2h");
  for (auto text : {"1ms", "59s", "61m", "25h"})
    EXPECT_EQ(format_duration(*parse_duration(text)), text);
}

TEST(Community, NumericAndWellKnown) {
  EXPECT_EQ(parse_community("65500:100"), (65500u << 16) | 100u);
  EXPECT_EQ(parse_community("0:0"), 0u);
  EXPECT_EQ(parse_community("65535:65535"), 0xFFFFFFFFu);
  EXPECT_EQ(parse_community("no-export"), 0xFFFFFF01u);
  EXPECT_EQ(parse_community("no-advertise"), 0xFFFFFF02u);
  EXPECT_EQ(parse_community("no-export-subconfed"), 0xFFFFFF03u);
  EXPECT_EQ(parse_community("no-peer"), 0xFFFFFF04u);
  EXPECT_EQ(parse_community("graceful-shutdown"), 0xFFFF0000u);
  EXPECT_EQ(parse_community("accept-own"), 0xFFFF0001u);
  EXPECT_EQ(parse_community("blackhole"), 0xFFFF029Au);
  EXPECT_EQ(format_community(0xFFFF029Au), "65535:666");
}

TEST(Community, RejectsMalformed) {
  for (auto bad : {"", ":", "1:", ":1", "1", "1:2:3", "65536:0", "0:65536", "-1:0", "a:b",
                   "1 :2", "NO-EXPORT"})
    EXPECT_FALSE(parse_community(bad)) << bad;
}

TEST(LargeCommunity, ParsesAndFormats) {
  const auto c = parse_large_community("4294967295:0:7");
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (LargeCommunity{4294967295u, 0, 7}));
  EXPECT_EQ(format_large_community(*c), "4294967295:0:7");
  for (auto bad : {"1:2", "1:2:3:4", "4294967296:0:0", "1::3", "x:1:2", ""})
    EXPECT_FALSE(parse_large_community(bad)) << bad;
}

TEST(ConfigValues, Utf8) {
  using config_detail::valid_utf8;
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("maintenance \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x9b\xa0"));
  EXPECT_FALSE(valid_utf8("\xff"));
  EXPECT_FALSE(valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(valid_utf8("\xe2\x80"));          // truncated
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\x80"));              // lone continuation
}

TEST(ConfigValues, Names) {
  using config_detail::valid_name;
  EXPECT_TRUE(valid_name("upstream"));
  EXPECT_TRUE(valid_name("rr-1.fra_2"));
  EXPECT_TRUE(valid_name(std::string(64, 'a')));
  EXPECT_FALSE(valid_name(std::string(65, 'a')));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name("-x"));
  EXPECT_FALSE(valid_name("a b"));
  EXPECT_FALSE(valid_name("a/b"));
}

TEST(ConfigValues, InterfaceAndUserNames) {
  using config_detail::valid_interface_name;
  using config_detail::valid_user_name;
  EXPECT_TRUE(valid_interface_name("eth0.100"));
  EXPECT_TRUE(valid_interface_name(std::string(15, 'i')));
  EXPECT_FALSE(valid_interface_name(std::string(16, 'i')));
  EXPECT_FALSE(valid_interface_name("a b"));
  EXPECT_FALSE(valid_interface_name(".."));
  EXPECT_TRUE(valid_user_name("_fbf"));
  EXPECT_FALSE(valid_user_name("-fbf"));
  EXPECT_FALSE(valid_user_name("fbf user"));
}

TEST(ConfigValues, HttpUrls) {
  using config_detail::http_url_problem;
  EXPECT_EQ(http_url_problem("http://127.0.0.1:8080/healthz"), std::nullopt);
  EXPECT_EQ(http_url_problem("http://[::1]/x"), std::nullopt);
  EXPECT_EQ(http_url_problem("http://[::1]:81"), std::nullopt);
  EXPECT_EQ(http_url_problem("http://svc.local?x=1"), std::nullopt);
  EXPECT_EQ(http_url_problem("http://[::1/x"), "has an unterminated [IPv6] host");
  EXPECT_EQ(http_url_problem("http://u:p@x/"), "must not contain user information");
  EXPECT_EQ(http_url_problem("http://x/a b"), "contains white space");
}

}  // namespace
}  // namespace fbf::agent
