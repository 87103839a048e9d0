#pragma once
// `type = "tcp"`: healthy when a TCP connection to the target completes.
// The connection is closed at once; nothing is sent. The timeout is the
// core's (it cancels us at the deadline).

#include <memory>

#include "agent/checks/prober.h"
#include "platform/unique_fd.h"

namespace fbf::agent::checks {

class TcpProber final : public Prober {
 public:
  TcpProber(event_base* base, platform::Endpoint target);
  ~TcpProber() override;

  void start(Done done) override;
  std::string cancel() override;
  std::string describe() const override;

 private:
  void on_writable();

  event_base* base_;
  platform::Endpoint target_;
  Completion completion_;
  platform::UniqueFd fd_;
  std::unique_ptr<platform::FdWatch> watch_;  // declared after fd_: goes first
};

}  // namespace fbf::agent::checks
