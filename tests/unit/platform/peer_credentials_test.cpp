// platform::peer_credentials on a real socketpair: what the kernel recorded
// for the other end (this very process) must come back.
#include "platform/peer_credentials.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "platform/unique_fd.h"

namespace fbf::platform {
namespace {

TEST(PeerCredentials, ReportsTheConnectingProcess) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd a(fds[0]), b(fds[1]);
  auto peer = peer_credentials(a.get());
  ASSERT_TRUE(peer) << peer.error();
  EXPECT_EQ(peer->uid, ::geteuid());
  EXPECT_EQ(peer->gid, ::getegid());
#ifdef __linux__
  EXPECT_EQ(peer->pid, ::getpid());
  // SO_PEERGROUPS: the supplementary groups, exactly getgroups(2)'s.
  std::vector<gid_t> mine(static_cast<std::size_t>(::getgroups(0, nullptr)));
  ASSERT_EQ(::getgroups(static_cast<int>(mine.size()), mine.data()),
            static_cast<int>(mine.size()));
  auto theirs = peer->groups;
  std::sort(mine.begin(), mine.end());
  std::sort(theirs.begin(), theirs.end());
  EXPECT_EQ(theirs, mine);
#endif
}

}  // namespace
}  // namespace fbf::platform
