#include "agent/privileges.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace fbf::agent {
namespace {

namespace fs = std::filesystem;
constexpr const char* kDefaultUser = "_fbf";

void hand_over(const fs::path& path, const platform::UserIds& user, const char* what) {
  if (::chown(path.c_str(), user.uid, user.gid) != 0)
    spdlog::warn("privileges: cannot hand {} {} to {}: {}", what, path.string(), user.name,
                 std::strerror(errno));
}

// After the switch: say now what would fail later, with the reason.
void check_access(const Config& config, const fs::path& config_path) {
  if (::access(config_path.c_str(), R_OK) != 0)
    spdlog::warn("privileges: {} is not readable by {}; reloads will fail", config_path.string(),
                 config.agent.user);
  const fs::path socket_dir = fs::path(config.agent.control_socket).parent_path();
  if (!socket_dir.empty() && ::access(socket_dir.c_str(), W_OK | X_OK) != 0)
    spdlog::warn("privileges: {} is not writable by {}; the control socket stays behind at stop",
                 socket_dir.string(), config.agent.user);
  if (::access(config.agent.state_dir.c_str(), W_OK | X_OK) != 0)
    spdlog::warn("privileges: state_dir {} is not writable by {}; maintenance state cannot be "
                 "saved",
                 config.agent.state_dir, config.agent.user);
}

}  // namespace

bool bind_to_device_needs_net_raw(std::string_view release) {
  int major = 0, minor = 0;
  const char* end = release.data() + release.size();
  auto [p, ec] = std::from_chars(release.data(), end, major);
  if (ec != std::errc{} || p == end || *p != '.') return true;
  auto [q, ec2] = std::from_chars(p + 1, end, minor);
  if (ec2 != std::errc{}) return true;
  return major < 5 || (major == 5 && minor < 7);
}

std::vector<CapabilityNeed> needed_capabilities(const Config& config,
                                                std::string_view kernel_release) {
  using platform::Capability;
  std::vector<CapabilityNeed> out;
  // Always, even with no managed service now: a reload may add one, and
  // capabilities cannot be regained.
  out.push_back({Capability::net_admin, "service addresses and dummy links"});
  // Every neighbor's connection is accepted (agent/bgp_neighbors.cpp); a
  // reload that adds an address family or a local_address opens a listener.
  if (!config.neighbors.empty()) {
    out.push_back({Capability::net_bind_service,
                   "BGP neighbors: listening on port 179 for their connections"});
  }
  std::string raw_why;
  if (bind_to_device_needs_net_raw(kernel_release)) {
    for (const auto& p : config.bfd_peers) {
      if (!p.interface.empty()) {
        raw_why = "BFD peer " + p.address.to_string() + " binds to interface " + p.interface +
                  " (SO_BINDTODEVICE, kernel before 5.7)";
        break;
      }
    }
  }
  // The Echo function's link-layer socket (bfd/io/echo_io.*) is opened when
  // the session's first Control packet arrives, long after the switch.
  auto echo = [](const BfdTimers& t) { return t.echo_rx.count() > 0 || t.echo_tx.count() > 0; };
  for (const auto& n : config.neighbors) {
    if (!raw_why.empty()) break;
    if (n.bfd && !n.bfd_multihop() && echo(n.bfd->timers))
      raw_why = "neighbor " + n.name + " uses BFD Echo (link-layer socket)";
  }
  for (const auto& p : config.bfd_peers) {
    if (!raw_why.empty()) break;
    if (!p.multihop && echo(p.settings.timers))
      raw_why = "BFD peer " + p.address.to_string() + " uses BFD Echo (link-layer socket)";
  }
  if (!raw_why.empty()) out.push_back({Capability::net_raw, raw_why});
  return out;
}

PathsBeforeStart paths_before_start(const Config& config) {
  std::error_code ec;
  const fs::path socket_dir = fs::path(config.agent.control_socket).parent_path();
  return {.control_dir_existed = socket_dir.empty() || fs::exists(socket_dir, ec),
          .state_dir_existed = fs::exists(config.agent.state_dir, ec)};
}

std::vector<platform::PathAccess> paths_after_start(const Config& config) {
  std::vector<platform::PathAccess> out;
  auto add = [&](const fs::path& p, const char* how) {
    if (!p.empty()) out.push_back({p.string(), how});
  };
  add(config.source, "r");                                   // reload
  add(config.agent.state_dir, "rwc");                        // maintenance state
  add(fs::path(config.agent.control_socket).parent_path(), "rwc");
  add("/etc/resolv.conf", "r");                              // check targets resolved on reload
  add("/etc/hosts", "r");
  add("/dev/null", "rw");                                    // exec checks' stdin
  for (const auto& s : config.services) {
    add(s.disable_file, "r");
    // An exec check's program, when named by path (a bare name found
    // through PATH cannot be known here: use absolute paths on OpenBSD).
    if (s.check && s.check->type == CheckType::exec && !s.check->command.empty() &&
        fs::path(s.check->command.front()).is_absolute())
      add(s.check->command.front(), "rx");
  }
  return out;
}

std::expected<void, std::string> drop_privileges(const Config& config,
                                                 const PathsBeforeStart& before) {
  if (::geteuid() != 0) {
    spdlog::debug("privileges: not started as root (uid {}); nothing to drop", ::geteuid());
    return {};
  }
  const std::string& name = config.agent.user;
  auto user = platform::lookup_user(name);
  if (!user) return std::unexpected("agent.user: " + user.error());
  if (!*user) {
    if (name != kDefaultUser) return std::unexpected("agent.user \"" + name + "\": no such user");
    spdlog::warn("privileges: user {} does not exist; running as root with every privilege "
                 "(create it: useradd --system --no-create-home --shell /usr/sbin/nologin {})",
                 name, name);
    return {};
  }
  if ((*user)->uid == 0) {
    spdlog::warn("privileges: agent.user {} is root; keeping every privilege", name);
    return {};
  }
  const platform::UserIds& ids = **user;

  // What fbfd itself created as root becomes the user's: the control socket
  // (0660, so members of the user's group may run fbfctl), its directory and
  // the state directory when they did not exist before. Existing directories
  // are the operator's and are left alone.
  std::error_code ec;
  const fs::path socket = config.agent.control_socket;
  const fs::path state_dir = config.agent.state_dir;
  if (!before.state_dir_existed && !fs::exists(state_dir, ec)) {
    fs::create_directories(state_dir, ec);
    if (ec)
      spdlog::warn("privileges: cannot create state_dir {}: {}", state_dir.string(), ec.message());
  }
  if (!before.state_dir_existed && fs::exists(state_dir, ec))
    hand_over(state_dir, ids, "state directory");
  if (!before.control_dir_existed) hand_over(socket.parent_path(), ids, "control socket directory");
  if (fs::exists(socket, ec)) hand_over(socket, ids, "control socket");

  const auto needs = needed_capabilities(config, platform::kernel_release());
  std::vector<platform::Capability> keep;
  std::string listed;
  for (const auto& n : needs) {
    keep.push_back(n.capability);
    listed += (listed.empty() ? "" : ", ") + std::string(to_string(n.capability)) + " (" + n.why +
              ")";
  }
  // OpenBSD: unveil(2) before pledge(2) — what fbfd still opens by name
  // after start-up (a no-op on Linux, where the unit's ProtectSystem= does it).
  if (auto restricted = platform::restrict_paths(paths_after_start(config)); !restricted)
    return std::unexpected(restricted.error());
  if (auto dropped = platform::drop_privileges(ids, keep); !dropped)
    return std::unexpected("cannot switch to user " + name + ": " + dropped.error());
  spdlog::info("privileges: running as {} (uid {}, gid {}) keeping {}", name, ids.uid, ids.gid,
               listed);
  check_access(config, config.source);
  return {};
}

}  // namespace fbf::agent
