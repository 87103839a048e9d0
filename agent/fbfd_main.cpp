// fbfd: the agent (shared/spec/CLI.md).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>

#include "agent/config.h"
#include "agent/daemon.h"
#include "agent/logging.h"
#include "agent/privileges.h"
#include "fbf/version.h"
#include "platform/heap.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  using namespace fbf::agent;
  CLI::App app{"fbfd - fast-failover agent: BFD, BGP announcements, health checks, maintenance",
               "fbfd"};
  std::string config_path = "/etc/fbf/fbf.toml";
  std::string log_level;
  bool check_only = false;
  bool foreground = false;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--foreground", foreground,
               "run in the foreground (always the case: fbfd never forks; for systemd and "
               "containers)");
  const std::map<std::string, LogLevel> levels{{"trace", LogLevel::trace},
                                               {"debug", LogLevel::debug},
                                               {"info", LogLevel::info},
                                               {"warn", LogLevel::warn},
                                               {"error", LogLevel::error}};
  app.add_option("--log-level", log_level, "override [agent] log_level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  app.set_version_flag("--version", std::string("fbfd ") + fbf::kVersion + " (" +
                                        fbf::kGitRevision + ")");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  auto config = load_config(config_path);
  if (!config) {
    for (const auto& e : config.error()) std::cerr << e.to_string() << '\n';
    return kExitError;
  }
  if (check_only) {
    std::cout << config_path << ": OK\n";
    return kExitOk;
  }

  std::optional<LogLevel> override_level;
  if (!log_level.empty()) override_level = levels.at(log_level);
  setup_logging(override_level.value_or(config->agent.log_level));
  // Writes to a closed control or BGP socket are handled where they happen.
  std::signal(SIGPIPE, SIG_IGN);

  // Root is needed up to here only: the daemon has read the config, bound
  // its sockets and put the service addresses in place. From now on fbfd
  // runs as [agent] user with just the capabilities it still needs.
  // No copy of the configuration outlives start-up (one here would live as
  // long as the daemon, every peer in it twice): read the daemon's own.
  const auto before = paths_before_start(*config);
  auto daemon = Daemon::start(std::move(*config), DaemonOptions{config_path, override_level});
  if (!daemon) {
    spdlog::critical("cannot start: {}", daemon.error());
    return kExitError;
  }
  if (auto dropped = drop_privileges((*daemon)->config(), before); !dropped) {
    spdlog::critical("cannot start: {}", dropped.error());
    return kExitError;
  }
  // What start-up built and let go (the parsed TOML document above all).
  fbf::platform::release_free_heap();
  return (*daemon)->run();
}
