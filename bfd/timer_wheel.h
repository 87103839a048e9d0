#pragma once
// The one timer structure behind every BFD session (issue 3 "Scale"): a hashed
// timing wheel of 100 µs slots. Arming, re-arming and cancelling are O(1) and
// never allocate (the timer is a node embedded in its owner); finding the next
// due slot is a scan of a bitmap, 64 slots per word. Sans I/O: the adapter
// (bfd/io/service.cpp) asks next_due(), sleeps until then with one event-loop
// timer, and calls expire(now). Sessions whose deadlines share a slot — the
// transmit grid of timers.h puts them there on purpose — fire in one wake-up.
//
// A timer never fires early: its deadline is rounded up to the end of its
// slot. Deadlines further ahead than one turn of the wheel (1.6 s) stay in
// their slot and are passed over until their turn comes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "bfd/timers.h"
#include "platform/zeroed_array.h"

namespace fbf::bfd {

class TimerWheel;

// One timer, embedded in whatever owns it. `cookie` is the owner's to say
// which timer fired. Destroying an armed timer disarms it.
class WheelTimer {
 public:
  explicit WheelTimer(std::uint64_t cookie = 0) : cookie_(cookie) {}
  ~WheelTimer();
  WheelTimer(const WheelTimer&) = delete;
  WheelTimer& operator=(const WheelTimer&) = delete;

  bool armed() const { return wheel_ != nullptr; }
  std::uint64_t cookie() const { return cookie_; }
  void set_cookie(std::uint64_t cookie) { cookie_ = cookie; }

 private:
  friend class TimerWheel;
  std::uint64_t cookie_;
  TimerWheel* wheel_ = nullptr;
  WheelTimer** head_ = nullptr;  // the list this timer is in
  WheelTimer* prev_ = nullptr;
  WheelTimer* next_ = nullptr;
  std::uint64_t tick_ = 0;  // deadline, in slots since the clock's epoch (rounded up)
};

class TimerWheel {
 public:
  static constexpr Microseconds kResolution{100};
  static constexpr std::size_t kSlots = std::size_t{1} << 14;  // 1.6384 s per turn

  // `now` sets where the wheel starts; nothing before it will fire.
  explicit TimerWheel(TimePoint now);
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // (Re)arms `timer` for `at`; a deadline already passed fires at the next
  // expire().
  void arm(WheelTimer& timer, TimePoint at);
  void cancel(WheelTimer& timer);

  // When the earliest armed timer is due (its slot's end), or nullopt when
  // none is armed. May be earlier than any deadline only by a slot's width.
  std::optional<TimePoint> next_due() const;

  // Fires, in deadline order (to the slot), every timer due at `now`:
  // `fire(WheelTimer&)` runs with the timer already disarmed, and may arm or
  // cancel any timer, this one included. Returns how many fired.
  template <class Fire>
  std::size_t expire(TimePoint now, Fire&& fire);

  std::size_t size() const { return size_; }

 private:
  static std::uint64_t tick_of(TimePoint at);  // rounded up
  static std::uint64_t tick_floor(TimePoint now);
  static TimePoint time_of(std::uint64_t tick);
  void link(WheelTimer& t);
  void unlink(WheelTimer& t);
  // The first slot at or after `from` (circular, within `limit` slots) that
  // holds a timer; nullopt when none.
  std::optional<std::size_t> next_busy_slot(std::size_t from, std::size_t limit) const;
  // Takes slot `index`'s list: timers due by `target` fire, the others (a
  // later turn) go back. Returns how many fired.
  template <class Fire>
  std::size_t run_slot(std::size_t index, std::uint64_t target, Fire& fire);

  // Zeroed (all null) by calloc: only the pages of slots ever used are
  // resident (16384 slots are 128 KiB; one session touches a few pages).
  platform::ZeroedArray<WheelTimer*> heads_;
  std::array<std::uint64_t, kSlots / 64> busy_{};
  // The slot being expired, detached: a callback may cancel or re-arm any of
  // its timers, which unlink() then takes from here.
  WheelTimer* pending_ = nullptr;
  std::uint64_t current_;  // every tick <= current_ has been expired
  std::size_t size_ = 0;
};

template <class Fire>
std::size_t TimerWheel::run_slot(std::size_t index, std::uint64_t target, Fire& fire) {
  pending_ = heads_[index];
  heads_[index] = nullptr;
  busy_[index / 64] &= ~(std::uint64_t{1} << (index % 64));
  for (WheelTimer* t = pending_; t != nullptr; t = t->next_) t->head_ = &pending_;
  std::size_t fired = 0;
  while (pending_ != nullptr) {
    WheelTimer& t = *pending_;
    unlink(t);
    if (t.tick_ > target) {  // a later turn of the wheel: back into its slot
      link(t);
      continue;
    }
    ++fired;
    fire(t);
  }
  return fired;
}

template <class Fire>
std::size_t TimerWheel::expire(TimePoint now, Fire&& fire) {
  const std::uint64_t target = tick_floor(now);
  // After a long sleep one sweep over every slot catches everything overdue.
  if (target > current_ + kSlots) current_ = target - kSlots;
  std::size_t fired = 0;
  while (current_ < target) {
    const std::size_t from = static_cast<std::size_t>((current_ + 1) % kSlots);
    const auto busy = next_busy_slot(from, static_cast<std::size_t>(target - current_));
    if (!busy) {
      current_ = target;
      break;
    }
    current_ += 1 + (*busy + kSlots - from) % kSlots;
    fired += run_slot(*busy, target, fire);
  }
  return fired;
}

}  // namespace fbf::bfd
