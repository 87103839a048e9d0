#pragma once
// One cause that can repeat many times a second (a host that keeps stalling
// fbfd) gets one log line per period at most: the first occurrence is said
// at once; the ones after it, until the period has passed, are only counted
// and go into the next line said, with the worst value among them. Pure:
// the caller passes the time.

#include <chrono>
#include <cstdint>
#include <optional>

namespace fbf::agent {

class WarningThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Line {
    std::uint64_t occurrences;  // since the last line said, this one included
    std::chrono::microseconds worst;
  };

  explicit WarningThrottle(Clock::duration period) : period_(period) {}

  // An occurrence at `now` with `value`: the line to say, or nullopt while
  // the period since the last line has not passed.
  std::optional<Line> note(Clock::time_point now, std::chrono::microseconds value) {
    ++unsaid_;
    if (value > unsaid_worst_) unsaid_worst_ = value;
    if (said_at_ && now - *said_at_ < period_) return std::nullopt;
    const Line line{unsaid_, unsaid_worst_};
    said_at_ = now;
    unsaid_ = 0;
    unsaid_worst_ = std::chrono::microseconds{0};
    return line;
  }

 private:
  Clock::duration period_;
  std::optional<Clock::time_point> said_at_;
  std::uint64_t unsaid_ = 0;
  std::chrono::microseconds unsaid_worst_{0};
};

}  // namespace fbf::agent
