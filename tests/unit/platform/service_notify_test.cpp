// platform::ServiceNotifier (sd_notify through a libsystemd loaded on
// demand): a no-op that loads nothing without NOTIFY_SOCKET, the sd_notify
// datagrams on a real AF_UNIX socket with it. Each test runs in a forked
// child (tests/unit/forked_child.h): the environment and the loaded library
// are process-wide.
#include "platform/service_notify.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "platform/unique_fd.h"
#include "tests/unit/forked_child.h"

namespace fbf::platform {
namespace {

#ifdef FBF_TEST_SYSTEMD_NOTIFY

using test::Netns;
using test::run_in_child;

bool libsystemd_loaded() {
  void* handle = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_NOLOAD);
  if (handle != nullptr) ::dlclose(handle);
  return handle != nullptr;
}

// A datagram socket bound in a fresh temporary directory, as systemd's.
struct NotifySocket {
  std::string dir;
  std::string path;
  UniqueFd fd;

  NotifySocket() {
    char tmpl[] = "/tmp/fbf-notify-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir = tmpl;
    path = dir + "/notify";
    fd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) fd.reset();
  }
  ~NotifySocket() {
    if (!path.empty()) ::unlink(path.c_str());
    if (!dir.empty()) ::rmdir(dir.c_str());
  }

  // The next datagram; "" when none is queued. sd_notify() has sent it by
  // the time it returns, so nothing is waited for.
  std::string next() const {
    char buf[256];
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
};

TEST(ServiceNotifier, WithoutNotifySocketDoesNothingAndLoadsNothing) {
  EXPECT_TRUE(run_in_child(
      [] {
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        ASSERT_FALSE(libsystemd_loaded()) << "the test program links libsystemd";
        const ServiceNotifier notifier;
        notifier.ready();
        notifier.reloading();
        notifier.status("idle");
        notifier.watchdog();
        notifier.stopping();
        EXPECT_FALSE(notifier.watchdog_interval());
        EXPECT_FALSE(libsystemd_loaded());
      },
      Netns::inherit));
}

TEST(ServiceNotifier, SendsReadyStatusAndStoppingToNotifySocket) {
  EXPECT_TRUE(run_in_child(
      [] {
        const NotifySocket socket;
        ASSERT_TRUE(socket.fd) << "cannot bind " << socket.path;
        ::setenv("NOTIFY_SOCKET", socket.path.c_str(), 1);
        const ServiceNotifier notifier;
        notifier.ready();
        EXPECT_EQ(socket.next(), "READY=1");
        EXPECT_TRUE(libsystemd_loaded());
        notifier.status("3 sessions up");
        EXPECT_EQ(socket.next(), "STATUS=3 sessions up");
        notifier.reloading();
        EXPECT_EQ(socket.next(), "RELOADING=1");
        notifier.watchdog();
        EXPECT_EQ(socket.next(), "WATCHDOG=1");
        notifier.stopping();
        EXPECT_EQ(socket.next(), "STOPPING=1");
        // sd_notify(0, ...) leaves NOTIFY_SOCKET set for the next call.
        EXPECT_NE(std::getenv("NOTIFY_SOCKET"), nullptr);
        ::unsetenv("NOTIFY_SOCKET");
        notifier.ready();
        EXPECT_EQ(socket.next(), "");
      },
      Netns::inherit));
}

TEST(ServiceNotifier, WatchdogIntervalFromWatchdogUsec) {
  EXPECT_TRUE(run_in_child(
      [] {
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_PID");
        ::setenv("WATCHDOG_USEC", "200000", 1);
        const ServiceNotifier notifier;
        EXPECT_EQ(notifier.watchdog_interval(), std::chrono::microseconds(200000));
        // Meant for another process: not ours to ping.
        ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
        EXPECT_FALSE(notifier.watchdog_interval());
      },
      Netns::inherit));
}

#endif  // FBF_TEST_SYSTEMD_NOTIFY

}  // namespace
}  // namespace fbf::platform
