// Other systems: getpeereid(3) (uid and primary gid), supplementary groups
// from the group database, no pid.
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/peer_credentials.h"

namespace fbf::platform {

std::expected<PeerCredentials, std::string> peer_credentials(int fd) {
  PeerCredentials peer;
  if (::getpeereid(fd, &peer.uid, &peer.gid) != 0)
    return std::unexpected(std::string("getpeereid: ") + std::strerror(errno));
  if (const passwd* pw = ::getpwuid(peer.uid)) {
    std::vector<gid_t> groups(NGROUPS_MAX + 1);
    int n = static_cast<int>(groups.size());
    if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) != -1) {
      groups.resize(static_cast<std::size_t>(n));
      peer.groups = std::move(groups);
    }
  }
  return peer;
}

}  // namespace fbf::platform
