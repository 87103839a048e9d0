#pragma once
// `type = "exec"`: runs `command` (an argv list, no shell) and calls exit
// status 0 healthy. The first line of its output (stdout and stderr share one
// pipe) is the detail. Everything happens on the event loop: the child is
// watched through its output pipe and SIGCHLD (DESIGN.md "One process, one
// loop"), never with a thread or a blocking wait.
//
// Each child is the leader of its own process group, so a check that
// spawned helpers is stopped as a whole: the group gets SIGKILL at cancel
// (timeout), at destruction, and when the leader exits (a check must not
// leave processes behind, one set per interval). The group is always
// signalled while its leader is not yet reaped, so the group id cannot have
// been reused by then. Every child is reaped: by this prober once it exits,
// or, after a cancel, by a poll on the loop that outlives the prober.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/checks/prober.h"
#include "platform/unique_fd.h"

namespace fbf::agent::checks {

class ExecProber final : public Prober {
 public:
  // `argv` non-empty (the config layer insists); argv[0] is looked up in
  // PATH when it has no '/'.
  ExecProber(event_base* base, std::vector<std::string> argv);
  ~ExecProber() override;

  void start(Done done) override;
  std::string cancel() override;
  std::string describe() const override;

  // The running child's pid (its process group id too); -1 when none. For
  // tests and logs.
  pid_t pid() const { return pid_; }

 private:
  void on_output();
  // Reads what is there; true at EOF (or an error that will not go away).
  bool read_output();
  // Finishes the probe if the child has exited (SIGCHLD or output EOF).
  void try_reap();
  void close_pipes();

  event_base* base_;
  std::vector<std::string> argv_;
  Completion completion_;
  pid_t pid_ = -1;
  platform::UniqueFd output_;                        // read end of the child's stdout+stderr
  platform::UniqueFd exec_error_;                    // read end: the child's errno if exec failed
  std::string first_bytes_;                          // kept for the detail; the rest is drained
  std::unique_ptr<platform::FdWatch> output_watch_;  // after output_: goes first
  // For the prober's whole life, not per child: created before the first
  // fork, it cannot miss the SIGCHLD of a child that exits at once.
  platform::SignalWatch sigchld_;
};

}  // namespace fbf::agent::checks
