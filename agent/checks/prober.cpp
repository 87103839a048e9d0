#include "agent/checks/prober.h"

#include <chrono>

namespace fbf::agent::checks {

Completion::Completion(event_base* base)
    : later_(base, [this] {
        if (active()) finish(std::move(pending_));
      }) {}

Completion::Starting Completion::begin(Prober::Done done) {
  later_.cancel();
  done_ = std::move(done);
  starting_ = true;
  return Starting(*this);
}

void Completion::finish(ProbeResult result) {
  if (starting_) {
    finish_later(std::move(result));
    return;
  }
  later_.cancel();
  Prober::Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));
}

void Completion::finish_later(ProbeResult result) {
  pending_ = std::move(result);
  later_.arm(std::chrono::microseconds(0));
}

void Completion::cancel() {
  later_.cancel();
  done_ = nullptr;
  starting_ = false;
}

namespace {

class FailingProber final : public Prober {
 public:
  FailingProber(event_base* base, std::string description, std::string why)
      : description_(std::move(description)), why_(std::move(why)), completion_(base) {}

  void start(Done done) override {
    const auto starting = completion_.begin(std::move(done));
    completion_.finish({false, why_});
  }
  std::string cancel() override {
    completion_.cancel();
    return {};
  }
  std::string describe() const override { return description_; }

 private:
  std::string description_;
  std::string why_;
  Completion completion_;
};

}  // namespace

std::unique_ptr<Prober> make_failing_prober(event_base* base, std::string description,
                                            std::string why) {
  return std::make_unique<FailingProber>(base, std::move(description), std::move(why));
}

std::string first_line(std::string_view text, std::size_t max) {
  text = text.substr(0, text.find('\n'));
  if (text.ends_with('\r')) text.remove_suffix(1);
  std::string out;
  for (char c : text.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : (c == '\t' ? ' ' : '?'));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string endpoint_text(const platform::Endpoint& e) {
  const std::string a = e.address.to_string();
  return (e.address.is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(e.port);
}

}  // namespace fbf::agent::checks
