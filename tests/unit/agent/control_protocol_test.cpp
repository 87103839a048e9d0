#include "agent/control_protocol.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace fbf::agent {
namespace {

CommandTable sample_table() {
  CommandTable t;
  t.add("show status", [](const json&) -> CommandResult { return json{{"version", "x"}}; });
  t.add("echo", [](const json& args) -> CommandResult { return args; });
  t.add("refuse", [](const json&) -> CommandResult {
    return std::unexpected(CommandError{"failed", "no", {{"errors", {"a", "b"}}}});
  });
  t.add("throws", [](const json&) -> CommandResult { throw std::runtime_error("boom"); });
  return t;
}

json parse(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  return json::parse(line);
}

TEST(ControlProtocol, AnswersAKnownCommandAndEchoesId) {
  auto d = dispatch(sample_table(), R"({"command":"show status","id":7})");
  EXPECT_TRUE(d.ok);
  EXPECT_FALSE(d.close_connection);
  auto r = parse(d.reply);
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["id"], 7);
  EXPECT_EQ(r["result"]["version"], "x");
}

// A paced reply is the same text, with the pacer called between the items
// of the result's lists: a `show bfd` of 1000 sessions lets BFD send 1000
// times while it is encoded (bfd::io::Service::keep_up).
TEST(ControlProtocol, PacedReplyIsTheSameTextWithThePacerBetweenItems) {
  json sessions = json::array();
  for (int i = 0; i < 50; ++i)
    sessions.push_back({{"name", "s" + std::to_string(i)}, {"peer", "192.0.2." + std::to_string(i)},
                        {"flaps", i}, {"timers", {{"tx", 50}, {"rx", 50.5}}},
                        {"bad", std::string("\xff\"q")}, {"empty", json::object()}});
  const json result = {{"sessions", sessions}, {"count", 50}, {"none", json::array()}};
  int paced = 0;
  const std::string plain = encode_reply_ok("id-1", result);
  const std::string with_pacer = encode_reply_ok("id-1", result, [&paced] { ++paced; });
  EXPECT_EQ(with_pacer, plain);
  // The 50 sessions, the result's 3 members, the reply's ok/result/id.
  EXPECT_EQ(paced, 50 + 3 + 3);
  EXPECT_EQ(json::parse(with_pacer)["result"]["sessions"][49]["name"], "s49");
}

TEST(ControlProtocol, DispatchPacesWithTheTablesPacer) {
  CommandTable t = sample_table();
  int paced = 0;
  t.set_pacer([&paced] { ++paced; });
  auto d = dispatch(t, R"({"command":"echo","args":{"list":[1,2,3,4]}})");
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(parse(d.reply)["result"]["list"].size(), 4u);
  EXPECT_EQ(paced, 4 + 1 + 2);  // the list's items, the result's member, ok/result
}

TEST(ControlProtocol, PassesArgs) {
  auto r = parse(dispatch(sample_table(), R"({"command":"echo","args":{"a":[1,2]}})").reply);
  EXPECT_EQ(r["result"]["a"][1], 2);
}

TEST(ControlProtocol, UnknownCommandKeepsConnectionAndListsCommands) {
  auto d = dispatch(sample_table(), R"({"command":"show nonsense"})");
  EXPECT_FALSE(d.ok);
  EXPECT_FALSE(d.close_connection);
  auto r = parse(d.reply);
  EXPECT_EQ(r["error"]["code"], "unknown_command");
  EXPECT_EQ(r["error"]["details"]["commands"].size(), 4u);
}

TEST(ControlProtocol, HandlerErrorCarriesDetails) {
  auto r = parse(dispatch(sample_table(), R"({"command":"refuse"})").reply);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["details"]["errors"][1], "b");
}

TEST(ControlProtocol, ThrowingHandlerBecomesFailedReply) {
  auto d = dispatch(sample_table(), R"({"command":"throws"})");
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(parse(d.reply)["error"]["code"], "failed");
}

struct MalformedCase {
  const char* line;
  const char* why;
};

class Malformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(Malformed, IsRefusedWithErrorAndClose) {
  auto d = dispatch(sample_table(), GetParam().line);
  EXPECT_FALSE(d.ok);
  EXPECT_TRUE(d.close_connection);
  auto r = parse(d.reply);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["code"], "malformed_request");
  EXPECT_NE(r["error"]["message"].get<std::string>().find(GetParam().why), std::string::npos)
      << r.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Lines, Malformed,
    ::testing::Values(MalformedCase{"garbage", "not valid JSON"},
                      MalformedCase{"{\"command\":", "not valid JSON"},
                      MalformedCase{"[1,2]", "must be a JSON object"},
                      MalformedCase{"{}", "missing string member 'command'"},
                      MalformedCase{"{\"command\":5}", "missing string member 'command'"},
                      MalformedCase{"{\"command\":\"\"}", "missing string member 'command'"},
                      MalformedCase{"{\"command\":\"echo\",\"args\":[]}", "'args' must be an object"},
                      MalformedCase{"{\"command\":\"echo\",\"extra\":1}", "unknown member 'extra'"},
                      MalformedCase{"\xff\xfe", "not valid JSON"}));

TEST(ControlProtocol, ReadOnlyCommandsAreShowAndMaintenanceStatus) {
  for (const char* c : {"show status", "show bfd", "show bgp", "show routes", "show services",
                        "maintenance status"})
    EXPECT_TRUE(command_is_read_only(c)) << c;
  // Everything else changes the agent, including commands added later.
  for (const char* c : {"reload", "maintenance start", "maintenance stop", "maintenance",
                        "showstatus", "show", "maintenance statusx", "future command"})
    EXPECT_FALSE(command_is_read_only(c)) << c;
}

TEST(ControlProtocol, AuthorizerRefusalSkipsTheHandlerAndKeepsTheConnection) {
  int ran = 0;
  CommandTable t;
  t.add("reload", [&](const json&) -> CommandResult {
    ++ran;
    return json::object();
  });
  std::vector<std::string> asked;
  auto deny = [&](const Request& r) -> std::expected<void, CommandError> {
    asked.push_back(r.command);
    return std::unexpected(CommandError{"permission_denied", "permission denied: uid 7", {}});
  };
  auto d = dispatch(t, R"({"command":"reload","id":"x"})", deny);
  EXPECT_FALSE(d.ok);
  EXPECT_FALSE(d.close_connection);
  EXPECT_EQ(ran, 0);
  auto r = parse(d.reply);
  EXPECT_EQ(r["error"]["code"], "permission_denied");
  EXPECT_EQ(r["error"]["message"], "permission denied: uid 7");
  EXPECT_EQ(r["id"], "x");
  // Unknown and malformed requests never reach the authorizer.
  EXPECT_EQ(parse(dispatch(t, R"({"command":"nope"})", deny).reply)["error"]["code"],
            "unknown_command");
  EXPECT_TRUE(dispatch(t, "not json", deny).close_connection);
  EXPECT_EQ(asked, std::vector<std::string>{"reload"});
  // An authorizer that admits: the handler runs.
  auto d2 = dispatch(t, R"({"command":"reload"})",
                     [](const Request&) -> std::expected<void, CommandError> { return {}; });
  EXPECT_TRUE(d2.ok);
  EXPECT_EQ(ran, 1);
}

TEST(ControlProtocol, RefusesDeepNestingBeforeParsing) {
  std::string deep = R"({"command":"echo","args":{"x":)" + std::string(100, '[') +
                     std::string(100, ']') + "}}";
  auto d = dispatch(sample_table(), deep);
  EXPECT_TRUE(d.close_connection);
  EXPECT_NE(d.reply.find("nested deeper"), std::string::npos);
  // Brackets inside strings do not count.
  std::string in_string = R"({"command":"echo","args":{"x":")" + std::string(100, '[') + "\"}}";
  EXPECT_TRUE(dispatch(sample_table(), in_string).ok);
}

TEST(ControlProtocol, RefusesOversizedLine) {
  std::string big = R"({"command":"echo","args":{"x":")" + std::string(kMaxRequestBytes, 'a') +
                    "\"}}";
  auto d = dispatch(sample_table(), big);
  EXPECT_TRUE(d.close_connection);
  EXPECT_EQ(parse(d.reply)["error"]["code"], "request_too_long");
}

TEST(ControlProtocol, InvalidUtf8IdIsReplacedNotThrown) {
  auto d = dispatch(sample_table(), "{\"command\":\"show status\",\"id\":\"\xc3\x28\"}");
  // nlohmann rejects invalid UTF-8 while parsing: a malformed request, no crash.
  EXPECT_FALSE(d.ok);
}

TEST(ControlProtocol, RequestRoundTrip) {
  Request req{"echo", json{{"k", "v"}}, 3};
  auto line = encode_request(req);
  ASSERT_EQ(line.back(), '\n');
  auto parsed = parse_request(line.substr(0, line.size() - 1));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->command, "echo");
  EXPECT_EQ(parsed->args["k"], "v");
  EXPECT_EQ(parsed->id, 3);
}

TEST(ControlProtocol, ParsesReplies) {
  auto ok = parse_reply(R"({"ok":true,"result":{"a":1}})");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->ok);
  EXPECT_EQ(ok->result["a"], 1);
  auto err = parse_reply(R"({"ok":false,"error":{"code":"failed","message":"m","details":{"x":1}}})");
  ASSERT_TRUE(err);
  EXPECT_FALSE(err->ok);
  EXPECT_EQ(err->error.code, "failed");
  EXPECT_EQ(err->error.message, "m");
  EXPECT_FALSE(parse_reply("nope"));
  EXPECT_FALSE(parse_reply(R"({"result":1})"));
  EXPECT_FALSE(parse_reply(R"({"ok":false})"));
  // Wrong types inside an error are tolerated, not thrown.
  auto odd = parse_reply(R"({"ok":false,"error":{"code":5,"message":null}})");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->error.code, "");
}

}  // namespace
}  // namespace fbf::agent
