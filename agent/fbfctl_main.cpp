// fbfctl: the operator's tool (shared/spec/CLI.md). Talks to fbfd over the
// control socket; exit codes 0 ok, 1 agent refused/failed, 2 usage, 3 unreachable.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "agent/config.h"
#include "agent/ctl_command.h"
#include "agent/ctl_maintenance.h"
#include "agent/ctl_render.h"
#include "fbf/version.h"

namespace {

using namespace fbf::agent;

struct Globals {
  std::string socket;
  bool json = false;
};

// A usage error (exit 2) unless the text is a duration such as "30s".
CLI::Validator duration() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto d = parse_duration(text);
        return d ? std::string() : d.error();
      },
      "DURATION", "duration");
}

void add_show(CLI::App& app, const Globals& g, int& rc) {
  auto* show = app.add_subcommand("show", "show agent state");
  show->require_subcommand(1);
  show->fallthrough();
  auto add = [&](const char* name, const char* help, std::string (*render)(const nlohmann::json&)) {
    show->add_subcommand(name, help)->fallthrough()->callback([&g, &rc, name, render] {
      rc = ctl_run(real_io(g.socket), g.json, std::string("show ") + name, json::object(), render);
    });
  };
  add("status", "agent version, uptime, configuration file", render_status);
  add("bgp", "BGP neighbors: state, prefixes sent/received, last error", render_bgp);
  add("routes", "routes announced to each neighbor, with their attributes", render_routes);
  add("bfd", "BFD sessions: state, discriminators, intervals, flaps", render_bfd);
  add("services", "services: health, last check, announced/withdrawn/degraded, addresses",
      render_services);
}

void add_maintenance(CLI::App& app, const Globals& g, int& rc) {
  auto* m = app.add_subcommand("maintenance", "planned maintenance (RFC 8326 graceful shutdown)");
  m->require_subcommand(1);
  m->fallthrough();
  // Parsed into these, then copied into the command when the callback runs.
  struct Parsed {
    std::vector<std::string> services;
    std::string drain_time;
    std::string timeout;
    bool wait = false;
  };
  auto parsed = std::make_shared<Parsed>();
  auto add = [&](bool start) {
    auto* sub = m->add_subcommand(start ? "start" : "stop",
                                  start ? "drain services: active -> draining -> drained"
                                        : "announce services again: -> restoring -> active");
    sub->fallthrough();
    // (add_option_function: a plain vector option trips GCC 12's
    // -Wnull-dereference inside CLI11 at -O2.)
    sub->add_option_function<std::vector<std::string>>(
        "SERVICE", [parsed](const std::vector<std::string>& names) { parsed->services = names; },
        "services to act on (default: all)");
    if (start)
      sub->add_option("--drain-time", parsed->drain_time,
                      "drain this long this time, instead of [maintenance] drain_time")
          ->check(duration());
    auto* wait = sub->add_flag("--wait", parsed->wait,
                               start ? "return once every selected service is drained"
                                     : "return once every selected service is active");
    sub->add_option("--timeout", parsed->timeout, "with --wait: give up (exit 1) after this long")
        ->check(duration())
        ->needs(wait);
    sub->callback([&g, &rc, parsed, start] {
      MaintenanceCommand cmd;
      cmd.start = start;
      cmd.services = parsed->services;
      if (!parsed->drain_time.empty()) cmd.drain_time = parsed->drain_time;
      cmd.wait = parsed->wait;
      if (!parsed->timeout.empty()) cmd.timeout = *parse_duration(parsed->timeout);
      rc = run_maintenance(real_io(g.socket), g.json, cmd);
    });
  };
  add(true);
  add(false);
  m->add_subcommand("status", "phase, time in it, time left and connections of each service")
      ->fallthrough()
      ->callback([&g, &rc] {
        rc = ctl_run(real_io(g.socket), g.json, "maintenance status", json::object(),
                     render_maintenance);
      });
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
  app.set_version_flag("--version",
                       std::string("fbfctl ") + fbf::kVersion + " (" + fbf::kGitRevision + ")");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  int rc = ctl_exit::ok;
  add_show(app, g, rc);
  add_maintenance(app, g, rc);
  app.add_subcommand("reload", "re-read the configuration file (like SIGHUP)")
      ->fallthrough()
      ->callback([&] {
        rc = ctl_run(real_io(g.socket), g.json, "reload", json::object(), [](const json& r) {
          return "reloaded " + r.value("config_file", std::string()) + "\n";
        });
      });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? ctl_exit::ok : ctl_exit::usage;
  }
  return rc;
}
