#include "agent/checks/probe_tcp.h"

#include "platform/tcp.h"

namespace fbf::agent::checks {

TcpProber::TcpProber(event_base* base, platform::Endpoint target)
    : base_(base), target_(std::move(target)), completion_(base) {}

TcpProber::~TcpProber() { cancel(); }

void TcpProber::start(Done done) {
  cancel();
  const auto starting = completion_.begin(std::move(done));
  // An ordinary TTL (the TcpOptions default of 1 suits eBGP, not a service
  // that may sit a few hops away); no TCP-MD5.
  const platform::TcpOptions options{.family = target_.address.family(), .ttl = 64};
  auto fd = platform::start_connect(options, target_, "");
  if (!fd) {
    completion_.finish_later({false, fd.error().what});
    return;
  }
  fd_ = std::move(*fd);
  watch_ = std::make_unique<platform::FdWatch>(base_, fd_.get(), EV_WRITE,
                                               [this](short) { on_writable(); });
}

void TcpProber::on_writable() {
  watch_.reset();
  std::expected<void, platform::TcpError> ok;
  {
    // Closed before anyone hears the result.
    const platform::UniqueFd fd = std::move(fd_);
    ok = platform::connect_result(fd.get());
  }
  completion_.finish({ok.has_value(), ok ? "connected" : ok.error().what});
}

std::string TcpProber::cancel() {
  const bool connecting = static_cast<bool>(fd_);
  watch_.reset();
  fd_.reset();
  completion_.cancel();
  return connecting ? "no connection to " + endpoint_text(target_) + " yet" : "";
}

std::string TcpProber::describe() const { return "tcp " + endpoint_text(target_); }

}  // namespace fbf::agent::checks
