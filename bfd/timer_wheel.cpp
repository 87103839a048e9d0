#include "bfd/timer_wheel.h"

#include <bit>

namespace fbf::bfd {
namespace {

constexpr std::uint64_t kResolutionUs = static_cast<std::uint64_t>(TimerWheel::kResolution.count());

}  // namespace

std::uint64_t TimerWheel::micros(TimePoint t) {
  const auto us = std::chrono::duration_cast<Microseconds>(t.time_since_epoch()).count();
  return us < 0 ? 0 : static_cast<std::uint64_t>(us);
}

WheelTimer::~WheelTimer() {
  if (wheel_ != nullptr) wheel_->cancel(*this);
}

TimerWheel::TimerWheel(TimePoint now) : heads_(kSlots), current_(tick_floor(now)) {}

TimerWheel::~TimerWheel() {
  // Owners may outlive the wheel: leave them disarmed, not dangling. Only
  // busy slots hold timers (the others' pages may never have been touched).
  for (std::size_t word = 0; word < busy_.size(); ++word) {
    for (std::uint64_t bits = busy_[word]; bits != 0; bits &= bits - 1) {
      WheelTimer*& head = heads_[word * 64 + static_cast<std::size_t>(std::countr_zero(bits))];
      while (head != nullptr) unlink(*head);
    }
  }
}

std::uint64_t TimerWheel::tick_of(TimePoint at) {
  return (micros(at) + kResolutionUs - 1) / kResolutionUs;
}

std::uint64_t TimerWheel::tick_floor(TimePoint now) { return micros(now) / kResolutionUs; }

TimePoint TimerWheel::from_micros(std::uint64_t us) {
  return TimePoint(Microseconds(static_cast<Microseconds::rep>(us)));
}

void TimerWheel::arm(WheelTimer& timer, TimePoint at) {
  if (timer.wheel_ != nullptr) unlink(timer);
  std::uint64_t tick = tick_of(at);
  if (tick <= current_) tick = current_ + 1;  // overdue: the next expire() fires it
  timer.tick_ = tick;
  timer.at_us_ = micros(at);
  link(timer);
}

void TimerWheel::detach(std::size_t index, WheelTimer*& list) {
  list = heads_[index];
  if (list == nullptr) return;
  heads_[index] = nullptr;
  busy_[index / 64] &= ~(std::uint64_t{1} << (index % 64));
  for (WheelTimer* t = list; t != nullptr; t = t->next_) t->head_ = &list;
}

void TimerWheel::cancel(WheelTimer& timer) {
  if (timer.wheel_ == this) unlink(timer);
}

void TimerWheel::link(WheelTimer& t) {
  const std::size_t index = static_cast<std::size_t>(t.tick_ % kSlots);
  WheelTimer*& head = heads_[index];
  t.wheel_ = this;
  t.head_ = &head;
  t.prev_ = nullptr;
  t.next_ = head;
  if (head != nullptr) head->prev_ = &t;
  head = &t;
  busy_[index / 64] |= std::uint64_t{1} << (index % 64);
  ++size_;
}

void TimerWheel::unlink(WheelTimer& t) {
  if (t.prev_ != nullptr) {
    t.prev_->next_ = t.next_;
  } else {
    *t.head_ = t.next_;
  }
  if (t.next_ != nullptr) t.next_->prev_ = t.prev_;
  if (*t.head_ == nullptr && t.head_ != &pending_ && t.head_ != &partial_) {
    const auto index = static_cast<std::size_t>(t.head_ - heads_.data());
    busy_[index / 64] &= ~(std::uint64_t{1} << (index % 64));
  }
  t.wheel_ = nullptr;
  t.head_ = nullptr;
  t.prev_ = t.next_ = nullptr;
  --size_;
}

std::optional<std::size_t> TimerWheel::next_busy_slot(std::size_t from, std::size_t limit) const {
  std::size_t index = from;
  std::size_t seen = 0;
  while (seen < limit) {
    const std::size_t bit = index % 64;
    const std::uint64_t word = busy_[index / 64] >> bit;
    if (word != 0) {
      const auto skip = static_cast<std::size_t>(std::countr_zero(word));
      if (seen + skip >= limit) return std::nullopt;
      return (index + skip) % kSlots;
    }
    const std::size_t step = 64 - bit;
    seen += step;
    index = (index + step) % kSlots;
  }
  return std::nullopt;
}

std::optional<TimePoint> TimerWheel::next_due() const {
  if (size_ == 0) return std::nullopt;
  // The first busy slot of this turn holding a timer of this turn; timers of
  // later turns share slots with nearer ones and are passed over.
  const std::uint64_t turn_end = current_ + kSlots;
  std::size_t from = static_cast<std::size_t>((current_ + 1) % kSlots);
  std::size_t remaining = kSlots;
  // The earliest slot's timers all lie within its 100 µs; the earliest exact
  // deadline among them is the answer.
  std::uint64_t best = UINT64_MAX;
  std::uint64_t best_at = UINT64_MAX;
  while (remaining > 0) {
    const auto busy = next_busy_slot(from, remaining);
    if (!busy) break;
    for (const WheelTimer* t = heads_[*busy]; t != nullptr; t = t->next_) {
      if (t->tick_ < best || (t->tick_ == best && t->at_us_ < best_at)) {
        best = t->tick_;
        best_at = t->at_us_;
      }
    }
    if (best <= turn_end) return from_micros(best_at);
    const std::size_t distance = (*busy + kSlots - from) % kSlots + 1;
    remaining -= distance;
    from = (*busy + 1) % kSlots;
  }
  // Only timers of later turns: the nearest of them.
  return best == UINT64_MAX ? std::nullopt : std::optional(from_micros(best_at));
}

}  // namespace fbf::bfd
