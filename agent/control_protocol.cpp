#include "agent/control_protocol.h"

#include <exception>

namespace fbf::agent {

void CommandTable::add(std::string name, CommandHandler handler) {
  handlers_[std::move(name)] = std::move(handler);
}

const CommandHandler* CommandTable::find(std::string_view name) const {
  auto it = handlers_.find(name);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> CommandTable::names() const {
  std::vector<std::string> out;
  for (const auto& [name, handler] : handlers_) out.push_back(name);
  return out;
}

namespace {

// Deeply nested input is refused before the JSON parser sees it, so no
// request can exhaust the stack, whatever the parser does internally.
bool nesting_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

CommandError malformed(std::string message) {
  return CommandError{std::string(error_code::malformed), std::move(message), {}};
}

std::string compact(const json& doc) {
  // Replace invalid UTF-8 from a request (echoed ids) instead of throwing.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string line_of(const json& doc) { return compact(doc) + "\n"; }

// json::dump(-1) of `doc` written element by element, `pace` called after
// each element of the arrays and objects above kPacedDepth: the document,
// the result, its lists (a reply's lists are at depth 2: doc.result.sessions).
// Each element is freed once written, so that freeing a reply of thousands
// of items is paced too, not one long call at the end.
constexpr int kPacedDepth = 3;
void dump_paced(json& doc, const std::function<void()>& pace, int depth, std::string& out) {
  if (depth >= kPacedDepth || !doc.is_structured() || doc.empty()) {
    out += compact(doc);
    doc = nullptr;
    return;
  }
  const bool object = doc.is_object();
  out += object ? '{' : '[';
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it != doc.begin()) out += ',';
    if (object) {
      out += compact(json(it.key()));
      out += ':';
    }
    dump_paced(*it, pace, depth + 1, out);
    pace();
  }
  out += object ? '}' : ']';
}

}  // namespace

std::expected<Request, CommandError> parse_request(std::string_view line) {
  if (line.size() > kMaxRequestBytes)
    return std::unexpected(CommandError{std::string(error_code::too_long),
                                        "request longer than " +
                                            std::to_string(kMaxRequestBytes) + " bytes",
                                        {}});
  if (!nesting_within(line, kMaxJsonDepth))
    return std::unexpected(malformed("JSON nested deeper than " + std::to_string(kMaxJsonDepth)));
  json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::unexpected(malformed("not valid JSON"));
  if (!doc.is_object()) return std::unexpected(malformed("request must be a JSON object"));
  Request req;
  if (auto it = doc.find("id"); it != doc.end()) req.id = *it;
  auto cmd = doc.find("command");
  if (cmd == doc.end() || !cmd->is_string() || cmd->get_ref<const std::string&>().empty())
    return std::unexpected(malformed("missing string member 'command'"));
  req.command = cmd->get<std::string>();
  if (auto args = doc.find("args"); args != doc.end()) {
    if (!args->is_object()) return std::unexpected(malformed("'args' must be an object"));
    req.args = *args;
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "command" && key != "args" && key != "id")
      return std::unexpected(malformed("unknown member '" + key + "'"));
  }
  return req;
}

std::string encode_request(const Request& request) {
  json doc = {{"command", request.command}};
  if (!request.args.empty()) doc["args"] = request.args;
  if (!request.id.is_null()) doc["id"] = request.id;
  return line_of(doc);
}

std::string encode_reply_ok(const json& id, json result, const std::function<void()>& pace) {
  // Built by moving: `show bfd` with 1000 sessions is ~800 KB of JSON, and
  // every copy of it is time the event loop (and BFD) waits.
  json doc = json::object();
  doc["ok"] = true;
  doc["result"] = std::move(result);
  if (!id.is_null()) doc["id"] = id;
  if (!pace) return line_of(doc);
  std::string out;
  dump_paced(doc, pace, 0, out);
  return out + "\n";
}

std::string encode_reply_error(const json& id, const CommandError& error) {
  json err = {{"code", error.code}, {"message", error.message}};
  if (!error.details.is_null()) err["details"] = error.details;
  json doc = {{"ok", false}, {"error", std::move(err)}};
  if (!id.is_null()) doc["id"] = id;
  return line_of(doc);
}

Dispatched dispatch(const CommandTable& table, std::string_view line) {
  return dispatch(table, line, nullptr);
}

bool command_is_read_only(std::string_view command) {
  return command.starts_with("show ") || command == "maintenance status";
}

Dispatched dispatch(const CommandTable& table, std::string_view line,
                    const Authorizer& authorize) {
  auto req = parse_request(line);
  if (!req) return {encode_reply_error(nullptr, req.error()), false, true};
  const CommandHandler* handler = table.find(req->command);
  if (handler == nullptr) {
    return {encode_reply_error(req->id, {std::string(error_code::unknown_command),
                                         "unknown command '" + req->command + "'",
                                         {{"commands", table.names()}}}),
            false, false};
  }
  if (authorize) {
    if (auto allowed = authorize(*req); !allowed)
      return {encode_reply_error(req->id, allowed.error()), false, false};
  }
  try {
    auto result = (*handler)(req->args);
    if (!result) return {encode_reply_error(req->id, result.error()), false, false};
    return {encode_reply_ok(req->id, std::move(*result), table.pacer()), true, false};
  } catch (const std::exception& e) {
    // A handler bug must not take the agent (and its announcements) down.
    return {encode_reply_error(req->id, {std::string(error_code::failed),
                                         std::string("internal error: ") + e.what(),
                                         {}}),
            false, false};
  }
}

std::expected<Reply, std::string> parse_reply(std::string_view line) {
  json doc = json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::unexpected("reply is not a JSON object");
  auto ok = doc.find("ok");
  if (ok == doc.end() || !ok->is_boolean()) return std::unexpected("reply has no boolean 'ok'");
  Reply reply;
  reply.ok = ok->get<bool>();
  if (reply.ok) {
    if (auto r = doc.find("result"); r != doc.end()) reply.result = *r;
    return reply;
  }
  auto err = doc.find("error");
  if (err == doc.end() || !err->is_object()) return std::unexpected("error reply without 'error'");
  auto text = [&](const char* key) {
    auto it = err->find(key);
    return it != err->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  reply.error.code = text("code");
  reply.error.message = text("message");
  if (auto d = err->find("details"); d != err->end()) reply.error.details = *d;
  return reply;
}

}  // namespace fbf::agent
