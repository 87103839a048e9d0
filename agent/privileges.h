#pragma once
// fbfd started as root becomes [agent] user, keeping only the capabilities
// its configuration needs (docs/operations.md "Privileges"):
//   CAP_NET_ADMIN         always: service addresses and dummy links, also
//                         those a reload adds;
//   CAP_NET_BIND_SERVICE  when there is a BGP neighbor (listening on port 179
//                         for the neighbors' connections);
//   CAP_NET_RAW           when a BFD peer binds to an interface and the kernel
//                         is older than 5.7 (SO_BINDTODEVICE needed it), or a
//                         single-hop BFD session uses the Echo function (its
//                         link-layer socket is opened after the switch).
// Everything that needs root alone — reading the config, creating the
// control socket, binding the ports — happens before, in Daemon::start.

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config.h"
#include "platform/privileges.h"

namespace fbf::agent {

struct CapabilityNeed {
  platform::Capability capability;
  std::string why;
};

// Pure: what `config` needs on a kernel of release `kernel_release`.
std::vector<CapabilityNeed> needed_capabilities(const Config& config,
                                                std::string_view kernel_release);
// Linux 5.7 let unprivileged sockets use SO_BINDTODEVICE (when not yet
// bound to a device); before, it needed CAP_NET_RAW. Unparsable: true.
bool bind_to_device_needs_net_raw(std::string_view kernel_release);

// What existed before Daemon::start, so that what fbfd created there as
// root can be handed to the user afterwards.
struct PathsBeforeStart {
  bool control_dir_existed = true;
  bool state_dir_existed = true;
};
PathsBeforeStart paths_before_start(const Config& config);

// What fbfd still opens by name once running (config file, state_dir, the
// control socket's directory, disable files, exec checks' programs, the
// resolver's files): the unveil(2) list on OpenBSD.
std::vector<platform::PathAccess> paths_after_start(const Config& config);

// After Daemon::start, before the loop runs. Not root: nothing to do. Root:
// switch to config.agent.user with needed_capabilities(); the default user
// "_fbf" missing means staying root (with a warning), any other missing user
// is an error. Returns the error that must stop fbfd.
std::expected<void, std::string> drop_privileges(const Config& config,
                                                 const PathsBeforeStart& before);

}  // namespace fbf::agent
