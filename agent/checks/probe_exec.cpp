#include "agent/checks/probe_exec.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <list>
#include <memory>

#include "platform/privileges.h"

namespace fbf::agent::checks {

namespace {

// Enough for the first line (first_line() keeps 200 octets); the rest of the
// output is read and dropped so a chatty check never blocks on a full pipe.
constexpr std::size_t kKeep = 512;
// Reads per readiness callback: a check writing without pause must not keep
// the loop from everything else.
constexpr int kMaxReadsPerWakeup = 16;

std::string errno_text(std::string_view what, int e) {
  return fmt::format("{}: {}", what, std::strerror(e));
}

// --- Reaping a cancelled child -------------------------------------------
// After SIGKILL the child needs a moment to die, and the prober that started
// it may be gone by then (cancelled at its deadline, or destroyed on a
// reload). A one-shot timer that libevent owns (event_base_once) polls
// waitpid(WNOHANG) with a growing delay until the child is reaped; it owns
// nothing of the prober. If the loop is torn down first (fbfd exiting), the
// poll is dropped and init reaps the child once fbfd has exited.
struct Orphan {
  event_base* base;
  pid_t pid;
  int attempt;
};

void poll_orphan(evutil_socket_t, short, void* arg);

// The orphans being polled for. They are owned here, not by their pending
// event_base_once() callback: a base freed before the callback runs (fbfd's
// shutdown cancels running checks, then frees the loop) drops the callback
// but not its argument, which leaked (LeakSanitizer, lab).
std::list<Orphan>& orphans() {
  static std::list<Orphan> all;
  return all;
}

void forget(const Orphan* orphan) {
  orphans().remove_if([orphan](const Orphan& o) { return &o == orphan; });
}

void schedule_poll(Orphan& orphan) {
  // 1 ms, 2 ms, 4 ms ... 1 s: a SIGKILLed child is normally gone within the
  // first polls; one stuck in the kernel (D state) costs one wakeup a second.
  const auto delay = std::chrono::milliseconds(std::min(1000, 1 << std::min(orphan.attempt, 10)));
  const timeval tv = platform::to_timeval(delay);
  if (event_base_once(orphan.base, -1, EV_TIMEOUT, &poll_orphan, &orphan, &tv) != 0)
    forget(&orphan);
}

// waitpid: the pid when reaped now, -1 (ECHILD) when it is not ours to reap
// any more; both end the polling. 0: still alive.
bool reaped(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; }

void poll_orphan(evutil_socket_t, short, void* arg) {
  auto* orphan = static_cast<Orphan*>(arg);
  if (reaped(orphan->pid)) {
    forget(orphan);
    return;
  }
  ++orphan->attempt;
  schedule_poll(*orphan);
}

void reap_later(event_base* base, pid_t pid) {
  if (reaped(pid)) return;
  schedule_poll(orphans().emplace_back(Orphan{base, pid, 0}));
}

// --- The child --------------------------------------------------------------
// Between fork() and exec only async-signal-safe calls: fbfd has no threads
// today, but a library may start one, and a lock held by it would never be
// released in the child. Hence argv is built before the fork, and an exec
// failure is reported as a raw errno on a close-on-exec pipe (fd 3 here),
// turned into text by the parent.

[[noreturn]] void child_fail(int report_fd, int e) {
  [[maybe_unused]] const auto n = ::write(report_fd, &e, sizeof e);
  ::_exit(127);
}

[[noreturn]] void run_child(char* const* argv, int output_fd, int report_fd) {
  // Own process group, so the parent can stop the check and its helpers as one.
  ::setpgid(0, 0);
  // Default dispositions (exec resets handled signals but keeps ignored ones,
  // e.g. SIGPIPE), set while every signal is still blocked (the parent
  // blocked them around fork()); then an empty mask for the check.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);

  // Everything we keep is moved to 3 and above first, so dup2() onto 0..2
  // never meets itself (dup2(fd, fd) would leave close-on-exec set).
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) child_fail(report_fd, errno);
  const int in = ::fcntl(null_fd, F_DUPFD_CLOEXEC, 3);
  const int out = ::fcntl(output_fd, F_DUPFD_CLOEXEC, 3);
  const int report = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || out < 0 || report < 0) child_fail(report_fd, errno);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) child_fail(report, errno);
  if (report != 3) {  // fd 3 may be `in` or `out`, both done with now
    if (::dup2(report, 3) < 0 || ::fcntl(3, F_SETFD, FD_CLOEXEC) < 0) child_fail(report, errno);
  }
  // Nothing of fbfd's (sockets, the event loop's fds) reaches the check,
  // whether or not it was opened close-on-exec.
  ::closefrom(4);
  // Nor fbfd's capabilities (systemd's AmbientCapabilities= would pass on).
  platform::drop_inherited_capabilities_in_child();

  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execvp(argv[0], argv);
  child_fail(3, errno);
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

}  // namespace

ExecProber::ExecProber(event_base* base, std::vector<std::string> argv)
    : base_(base),
      argv_(std::move(argv)),
      completion_(base),
      sigchld_(base, SIGCHLD, [this] { try_reap(); }) {}

ExecProber::~ExecProber() { cancel(); }

std::string ExecProber::describe() const {
  std::string s = "exec";
  for (const auto& a : argv_) s += " " + a;
  return s;
}

void ExecProber::start(Done done) {
  cancel();
  const auto starting = completion_.begin(std::move(done));
  if (argv_.empty() || argv_.front().empty()) {
    completion_.finish({false, "no command to run"});
    return;
  }
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    completion_.finish({false, errno_text("pipe", errno)});
    return;
  }
  platform::UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) {
    completion_.finish({false, errno_text("pipe", errno)});
    return;
  }
  platform::UniqueFd report_r(report_pipe[0]), report_w(report_pipe[1]);
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(report_r.get(), F_SETFL, O_NONBLOCK);

  std::vector<char*> args;
  args.reserve(argv_.size() + 1);
  for (auto& a : argv_) args.push_back(a.data());
  args.push_back(nullptr);

  // Signals stay blocked across fork() so that no handler of ours (libevent
  // writes to its self-pipe) runs in the child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) run_child(args.data(), out_w.get(), report_w.get());
  const int fork_errno = errno;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    completion_.finish({false, errno_text("fork", fork_errno)});
    return;
  }
  // The child does the same; whichever runs first, the group exists before
  // cancel() can signal it. EACCES once the child has exec'd: it did it then.
  ::setpgid(pid, pid);
  pid_ = pid;
  // Our copies of the write ends close here, so EOF means the child (and any
  // helper it passed the pipe to) is done writing.
  out_w.reset();
  report_w.reset();
  output_ = std::move(out_r);
  exec_error_ = std::move(report_r);
  output_watch_ = std::make_unique<platform::FdWatch>(base_, output_.get(), EV_READ,
                                                      [this](short) { on_output(); });
}

bool ExecProber::read_output() {
  char buf[4096];
  for (int i = 0; i < kMaxReadsPerWakeup && output_; ++i) {
    const ssize_t n = ::read(output_.get(), buf, sizeof buf);
    if (n > 0) {
      const auto keep = std::min(kKeep - first_bytes_.size(), static_cast<std::size_t>(n));
      first_bytes_.append(buf, keep);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n == 0 || errno != EAGAIN;  // EOF, or an error that will not go away
  }
  return false;
}

void ExecProber::on_output() {
  if (!read_output()) return;
  // At EOF the pipe stays readable for good: stop watching it. (This frees
  // the watch from inside its own callback, which libevent allows; nothing
  // of it is touched afterwards.)
  output_watch_.reset();
  output_.reset();
  // Usually the child has exited by now; if not, SIGCHLD will tell.
  try_reap();
}

void ExecProber::try_reap() {
  if (pid_ < 0) return;
  siginfo_t info{};
  // WNOWAIT: look without reaping, so that the group id is still ours (held
  // by the zombie leader) for the kill below.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    // ECHILD: something else in the process reaped it. Nothing left to stop.
    const int e = errno;
    pid_ = -1;
    close_pipes();
    completion_.finish({false, errno_text("waiting for the check", e)});
    return;
  }
  if (info.si_pid == 0) return;  // still running: this SIGCHLD was another child's
  ::kill(-pid_, SIGKILL);        // helpers the check left behind
  int status = 0;
  ::waitpid(pid_, &status, WNOHANG);  // a zombie already: returns at once
  pid_ = -1;

  if (output_) read_output();  // what it wrote just before exiting
  const std::string line = first_line(first_bytes_);
  int exec_errno = 0;
  const bool exec_failed =
      exec_error_ && ::read(exec_error_.get(), &exec_errno, sizeof exec_errno) ==
                         static_cast<ssize_t>(sizeof exec_errno);
  close_pipes();

  ProbeResult result;
  if (exec_failed) {
    result.detail = errno_text("cannot execute " + argv_.front(), exec_errno);
  } else {
    result.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    result.detail = exit_text(status);
    if (!line.empty()) result.detail += ": " + line;
  }
  completion_.finish(std::move(result));  // last: `done` may start the next probe
}

std::string ExecProber::cancel() {
  std::string partial;
  if (pid_ >= 0) {
    if (output_) read_output();
    partial = first_line(first_bytes_);
    if (partial.empty()) partial = "no output";
    // The group while the leader is unreaped (its id cannot be reused yet);
    // the leader itself too, in case neither setpgid() took effect.
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap_later(base_, pid_);
    pid_ = -1;
  }
  close_pipes();
  completion_.cancel();
  return partial;
}

void ExecProber::close_pipes() {
  output_watch_.reset();
  output_.reset();
  exec_error_.reset();
  first_bytes_.clear();
}

}  // namespace fbf::agent::checks
