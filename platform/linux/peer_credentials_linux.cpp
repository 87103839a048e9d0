// Linux: SO_PEERCRED (uid, gid, pid) and SO_PEERGROUPS (Linux 4.13+: the
// supplementary groups the peer had at connect(2)). Both are the kernel's
// record, not anything the peer sends, so they cannot be spoofed.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "platform/peer_credentials.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

namespace fbf::platform {

std::expected<PeerCredentials, std::string> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return std::unexpected(std::string("SO_PEERCRED: ") + std::strerror(errno));
  PeerCredentials peer;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  peer.pid = cred.pid;
  // ERANGE tells the size needed; groups can change size between the calls
  // only if the peer reconnects, so two tries are enough in practice.
  std::vector<gid_t> groups(32);
  for (int attempt = 0; attempt < 3; ++attempt) {
    socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
      groups.resize(bytes / sizeof(gid_t));
      peer.groups = std::move(groups);
      return peer;
    }
    if (errno != ERANGE) break;  // ENOPROTOOPT before 4.13: primary group only
    groups.resize(bytes / sizeof(gid_t) + 1);
  }
  return peer;
}

}  // namespace fbf::platform
