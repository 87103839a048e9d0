#pragma once
// fbfctl's plumbing shared by its commands: the exit codes (shared/spec/CLI.md),
// one exchange with the agent with failures reported the fbfctl way, and the
// I/O seams (socket, clock, sleep, output) that tests replace.

#include <chrono>
#include <expected>
#include <functional>
#include <ostream>
#include <string>

#include "agent/control_protocol.h"
#include "agent/ctl_client.h"

namespace fbf::agent {

namespace ctl_exit {
inline constexpr int ok = 0;
inline constexpr int refused = 1;  // the agent refused or failed; message on stderr
inline constexpr int usage = 2;
inline constexpr int unreachable = 3;  // no agent on the socket (or it went away)
}  // namespace ctl_exit

struct CtlIo {
  std::function<std::expected<Reply, ClientError>(const Request&)> call;
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  std::ostream* out;  // flushed after every progress batch: no buffering surprises
  std::ostream* err;
};

// The real thing: `socket`, 10 s for each reply, std::cout and std::cerr.
CtlIo real_io(std::string socket);

// Sends one command. On failure reports it (standard error; with `json_out`
// also {"error": {...}} on standard output) and returns the exit code.
std::expected<json, int> ctl_call(const CtlIo& io, const std::string& command, const json& args,
                                  bool json_out);

// Reports a failure fbfctl itself detected (a wait timed out), like ctl_call.
void ctl_report(const CtlIo& io, bool json_out, const std::string& code, const std::string& message,
                const json& details);

// One command whose result is printed with `render`, or as JSON.
int ctl_run(const CtlIo& io, bool json_out, const std::string& command, const json& args,
            const std::function<std::string(const json&)>& render);

}  // namespace fbf::agent
