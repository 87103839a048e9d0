#pragma once
// fbfctl <-> fbfd protocol: one JSON object per line each way
// (docs/control-protocol.md). Pure functions, no sockets: the server and the
// client share them, and the fuzzer drives dispatch() directly.

#include <cstddef>
#include <expected>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fbf::agent {

using nlohmann::json;

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;  // per line, per client
inline constexpr int kMaxJsonDepth = 32;

// Error codes used on the wire (the `error.code` member).
namespace error_code {
inline constexpr std::string_view malformed = "malformed_request";
inline constexpr std::string_view too_long = "request_too_long";
inline constexpr std::string_view unknown_command = "unknown_command";
inline constexpr std::string_view invalid_arguments = "invalid_arguments";
inline constexpr std::string_view busy = "busy";
inline constexpr std::string_view failed = "failed";
inline constexpr std::string_view permission_denied = "permission_denied";
}  // namespace error_code

struct Request {
  std::string command;          // "show status", "reload", ...
  json args = json::object();
  json id;                      // echoed back when present
};

struct CommandError {
  std::string code;
  std::string message;
  json details;                 // optional structured detail (e.g. config errors)
};

using CommandResult = std::expected<json, CommandError>;
using CommandHandler = std::function<CommandResult(const json& args)>;

// Commands the agent answers; modules add theirs at start-up.
class CommandTable {
 public:
  void add(std::string name, CommandHandler handler);
  const CommandHandler* find(std::string_view name) const;
  std::vector<std::string> names() const;

  // Called between the items of a reply while it is encoded (each session of
  // `show bfd`): the loop waits for a reply of thousands of sessions, and
  // whatever must not wait (BFD's periodic packets) runs here. Optional.
  void set_pacer(std::function<void()> pacer) { pacer_ = std::move(pacer); }
  const std::function<void()>& pacer() const { return pacer_; }

 private:
  std::map<std::string, CommandHandler, std::less<>> handlers_;
  std::function<void()> pacer_;
};

std::expected<Request, CommandError> parse_request(std::string_view line);
std::string encode_request(const Request& request);  // one line, '\n'-terminated

// `pace` (optional) is called between the elements of the reply's arrays and
// objects, down to the items of a result's lists; the text is that of
// json::dump() all the same.
std::string encode_reply_ok(const json& id, json result, const std::function<void()>& pace = {});
std::string encode_reply_error(const json& id, const CommandError& error);

struct Dispatched {
  std::string reply;       // '\n'-terminated
  bool ok;                 // the reply is a success
  bool close_connection;   // after a malformed request the connection is closed
};
// Parses one request line, runs its handler, and encodes the reply. Never
// throws: a handler that throws becomes a `failed` error reply.
Dispatched dispatch(const CommandTable& table, std::string_view line);

// Commands that only read: `show ...` and `maintenance status`. Every other
// command changes the agent (reload, maintenance start/stop, and any added
// later unless named here), so the control server checks who sent it.
bool command_is_read_only(std::string_view command);

// Asked about each well-formed request for a known command before its
// handler runs; an error is sent as the reply instead (the connection stays
// open) and the handler does not run.
using Authorizer = std::function<std::expected<void, CommandError>(const Request&)>;
Dispatched dispatch(const CommandTable& table, std::string_view line,
                    const Authorizer& authorize);

struct Reply {
  bool ok = false;
  json result;
  CommandError error;
};
std::expected<Reply, std::string> parse_reply(std::string_view line);

}  // namespace fbf::agent
