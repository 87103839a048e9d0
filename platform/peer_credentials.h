#pragma once
// Who is on the other end of a connected unix stream socket, as the kernel
// recorded it when the peer called connect(2) (Linux: SO_PEERCRED and
// SO_PEERGROUPS; OpenBSD and others: getpeereid(3) and the user's groups from
// getgrouplist(3), no pid). The control
// server uses it to decide who may change the agent (agent/control_server.h).

#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

namespace fbf::platform {

struct PeerCredentials {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);  // primary group
  pid_t pid = 0;                        // 0 where the system does not say
  std::vector<gid_t> groups;            // supplementary groups (may include gid)
};

std::expected<PeerCredentials, std::string> peer_credentials(int fd);

}  // namespace fbf::platform
