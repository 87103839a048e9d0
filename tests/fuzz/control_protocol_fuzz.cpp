// Fuzzes the control protocol exactly as the server uses it: any bytes as a
// request line must yield one well-formed JSON reply line and never throw.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/control_protocol.h"

namespace {

const fbf::agent::CommandTable& table() {
  static const fbf::agent::CommandTable t = [] {
    fbf::agent::CommandTable c;
    c.add("show status", [](const fbf::agent::json&) -> fbf::agent::CommandResult {
      return fbf::agent::json{{"ok", 1}};
    });
    c.add("echo", [](const fbf::agent::json& args) -> fbf::agent::CommandResult { return args; });
    return c;
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto d = fbf::agent::dispatch(table(), line);
  if (d.reply.empty() || d.reply.back() != '\n') std::abort();
  auto reply = fbf::agent::parse_reply(std::string_view(d.reply).substr(0, d.reply.size() - 1));
  if (!reply || reply->ok != d.ok) std::abort();
  return 0;
}
