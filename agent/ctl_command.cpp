#include "agent/ctl_command.h"

#include <iostream>
#include <thread>

#include "agent/ctl_render.h"

namespace fbf::agent {
namespace {

constexpr std::chrono::seconds kReplyTimeout{10};

void print_error(std::ostream& err, const CommandError& e) {
  err << "fbfctl: " << e.message << '\n';
  const json& errors = json_member(e.details, "errors");
  if (!errors.is_array()) return;
  for (const auto& line : errors)
    if (line.is_string()) err << "  " << line.get<std::string>() << '\n';
}

}  // namespace

CtlIo real_io(std::string socket) {
  return CtlIo{
      [socket = std::move(socket)](const Request& r) {
        return call_agent(socket, r, kReplyTimeout);
      },
      [] { return std::chrono::steady_clock::now(); },
      [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
      &std::cout,
      &std::cerr,
  };
}

std::expected<json, int> ctl_call(const CtlIo& io, const std::string& command, const json& args,
                                  bool json_out) {
  auto reply = io.call(Request{command, args, nullptr});
  if (!reply) {
    *io.err << "fbfctl: " << reply.error().message << std::endl;
    return std::unexpected(reply.error().kind == ClientError::Kind::unreachable
                               ? ctl_exit::unreachable
                               : ctl_exit::refused);
  }
  if (!reply->ok) {
    if (json_out)
      *io.out << json{{"error",
                       {{"code", reply->error.code},
                        {"message", reply->error.message},
                        {"details", reply->error.details}}}}
                     .dump(2)
              << std::endl;
    print_error(*io.err, reply->error);
    io.err->flush();
    return std::unexpected(ctl_exit::refused);
  }
  return std::move(reply->result);
}

void ctl_report(const CtlIo& io, bool json_out, const std::string& code, const std::string& message,
                const json& details) {
  if (json_out)
    *io.out << json{{"error", {{"code", code}, {"message", message}, {"details", details}}}}.dump(2)
            << std::endl;
  *io.err << "fbfctl: " << message << std::endl;
}

int ctl_run(const CtlIo& io, bool json_out, const std::string& command, const json& args,
            const std::function<std::string(const json&)>& render) {
  auto result = ctl_call(io, command, args, json_out);
  if (!result) return result.error();
  if (json_out)
    *io.out << result->dump(2) << '\n';
  else
    *io.out << render(*result);
  io.out->flush();
  return ctl_exit::ok;
}

}  // namespace fbf::agent
