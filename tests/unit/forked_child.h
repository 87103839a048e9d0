#pragma once
// Runs a test body in a forked child, optionally in a network namespace of
// its own, and reports the child's GoogleTest failures to the parent test.
//
// Why a child: tests that change process-wide, irreversible state (the
// network namespace, the user, capabilities) must not leave the test
// program changed for the tests after them, and must never touch the host's
// interfaces. The child runs the body with ordinary gtest assertions (their
// messages go to the shared stdout as usual) and exits with 0 when none
// failed; the parent turns anything else into one failure of its own.

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

namespace fbf::test {

enum class Netns { inherit, fresh };

inline constexpr int kChildSetupFailed = 3;

// Forks, runs `body` in the child and waits for it. A child that hangs is
// killed by SIGALRM after `timeout_seconds`.
inline ::testing::AssertionResult run_in_child(const std::function<void()>& body,
                                               Netns netns = Netns::fresh,
                                               unsigned timeout_seconds = 30) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return ::testing::AssertionFailure() << "fork: " << std::strerror(errno);
  if (pid == 0) {
    ::alarm(timeout_seconds);
    if (netns == Netns::fresh && ::unshare(CLONE_NEWNET) != 0) {
      std::fprintf(stderr, "child: unshare(CLONE_NEWNET): %s\n", std::strerror(errno));
      std::fflush(stderr);
      ::_exit(kChildSetupFailed);
    }
    body();
    std::fflush(stdout);
    std::fflush(stderr);
    // _exit: no gtest teardown, no atexit handlers of the parent's making.
    ::_exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ::testing::AssertionFailure() << "waitpid: " << std::strerror(errno);
  }
  if (WIFSIGNALED(status))
    return ::testing::AssertionFailure() << "child killed by signal " << WTERMSIG(status) << " ("
                                         << ::strsignal(WTERMSIG(status)) << ")";
  if (WEXITSTATUS(status) == kChildSetupFailed)
    return ::testing::AssertionFailure() << "child could not set up its network namespace";
  if (WEXITSTATUS(status) != 0)
    return ::testing::AssertionFailure() << "child reported failures (see the messages above)";
  return ::testing::AssertionSuccess();
}

}  // namespace fbf::test
