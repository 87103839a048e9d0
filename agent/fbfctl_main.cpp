// fbfctl: the operator's tool (shared/spec/CLI.md). Talks to fbfd over the
// control socket; exit codes 0 ok, 1 agent refused/failed, 2 usage, 3 unreachable.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <functional>
#include <iostream>

#include "agent/ctl_client.h"
#include "agent/ctl_render.h"
#include "fbf/version.h"

namespace {

using namespace fbf::agent;

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
constexpr std::chrono::seconds kReplyTimeout{10};

struct Globals {
  std::string socket;
  bool json = false;
};

void print_error(const CommandError& e) {
  std::cerr << "fbfctl: " << e.message << '\n';
  if (e.details.is_object()) {
    if (auto it = e.details.find("errors"); it != e.details.end() && it->is_array()) {
      for (const auto& line : *it)
        if (line.is_string()) std::cerr << "  " << line.get<std::string>() << '\n';
    }
  }
}

// Sends one command; prints the result with `render` (or as JSON).
int run_command(const Globals& g, const std::string& command, const json& args,
                const std::function<std::string(const json&)>& render) {
  auto reply = call_agent(g.socket, Request{command, args, nullptr}, kReplyTimeout);
  if (!reply) {
    std::cerr << "fbfctl: " << reply.error().message << '\n';
    return reply.error().kind == ClientError::Kind::unreachable ? kExitUnreachable : kExitRefused;
  }
  if (!reply->ok) {
    if (g.json) std::cout << json{{"error", {{"code", reply->error.code},
                                             {"message", reply->error.message},
                                             {"details", reply->error.details}}}}
                                 .dump(2)
                          << '\n';
    print_error(reply->error);
    return kExitRefused;
  }
  if (g.json) std::cout << reply->result.dump(2) << '\n';
  else std::cout << render(reply->result);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fbfctl - control a running fbfd", "fbfctl"};
  Globals g;
  const char* env_socket = std::getenv("FBF_SOCKET");
  g.socket = env_socket && *env_socket ? env_socket : "/run/fbf/fbfd.sock";
  app.add_option("-s,--socket", g.socket, "fbfd control socket ($FBF_SOCKET)")
      ->capture_default_str();
  app.add_flag("--json", g.json, "print one JSON document instead of a table");
  app.set_version_flag("--version", std::string("fbfctl ") + fbf::kVersion + " (" +
                                        fbf::kGitRevision + ")");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  int rc = kExitOk;
  auto* show = app.add_subcommand("show", "show agent state");
  show->require_subcommand(1);
  show->fallthrough();
  show->add_subcommand("status", "agent version, uptime, configuration file")
      ->fallthrough()
      ->callback([&] { rc = run_command(g, "show status", json::object(), render_status); });
  show->add_subcommand("bgp", "BGP neighbors: state, prefixes sent/received, last error")
      ->fallthrough()
      ->callback([&] { rc = run_command(g, "show bgp", json::object(), render_bgp); });
  show->add_subcommand("routes", "routes announced to each neighbor, with their attributes")
      ->fallthrough()
      ->callback([&] { rc = run_command(g, "show routes", json::object(), render_routes); });
  show->add_subcommand("bfd", "BFD sessions: state, discriminators, intervals, flaps")
      ->fallthrough()
      ->callback([&] { rc = run_command(g, "show bfd", json::object(), render_bfd); });

  app.add_subcommand("reload", "re-read the configuration file (like SIGHUP)")
      ->fallthrough()
      ->callback([&] {
        rc = run_command(g, "reload", json::object(), [](const json& r) {
          return "reloaded " + r.value("config_file", std::string()) + "\n";
        });
      });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return rc;
}
