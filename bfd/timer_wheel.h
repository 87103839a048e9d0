#pragma once
// The one timer structure behind every BFD session (issue 3 "Scale"): a hashed
// timing wheel of 100 µs slots. Arming, re-arming and cancelling are O(1) and
// never allocate (the timer is a node embedded in its owner); finding the next
// due slot is a scan of a bitmap, 64 slots per word. Sans I/O: the adapter
// (bfd/io/service.cpp) asks next_due(), sleeps until then with one event-loop
// timer, and calls expire(now). Sessions whose deadlines share a slot — the
// transmit grid of timers.h puts them there on purpose — fire in one wake-up.
//
// A timer keeps its exact deadline: next_due() is the earliest deadline
// itself, and expire(now) fires every timer whose deadline is at or before
// `now` — whole slots that have passed, and the due part of the slot `now`
// is in. A timer never fires early, and fires at its deadline when the
// adapter wakes on time: a Detection Time ends when it ends, not up to a
// slot later (the transmit grid's deadlines are equal instants, so they
// still share their wake-up). Deadlines further ahead than one turn of the
// wheel (1.6 s) stay in their slot and are passed over until their turn.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

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
  std::uint64_t at_us_ = 0;  // deadline, µs since the clock's epoch (exact)
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

  // The earliest armed timer's deadline (in the past for one armed overdue),
  // or nullopt when none is armed.
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
  void link(WheelTimer& t);
  void unlink(WheelTimer& t);
  // The first slot at or after `from` (circular, within `limit` slots) that
  // holds a timer; nullopt when none.
  std::optional<std::size_t> next_busy_slot(std::size_t from, std::size_t limit) const;
  // Moves slot `index`'s timers to `list`, from where a callback may still
  // cancel or re-arm any of them (unlink() takes it from there).
  void detach(std::size_t index, WheelTimer*& list);
  // Takes `list`'s timers one by one: `due(timer)` fire, the others go back
  // into their slot. Returns how many fired.
  template <class Due, class Fire>
  std::size_t run_list(WheelTimer*& list, Due due, Fire& fire);
  static std::uint64_t micros(TimePoint t);
  static TimePoint from_micros(std::uint64_t us);

  // Zeroed (all null) by calloc: only the pages of slots ever used are
  // resident (16384 slots are 128 KiB; one session touches a few pages).
  platform::ZeroedArray<WheelTimer*> heads_;
  std::array<std::uint64_t, kSlots / 64> busy_{};
  // Detached while expire() runs: the slot being expired, and the slot `now`
  // is inside (taken first, so that a timer a callback arms for a deadline
  // already passed fires at the next expire(), not again in this one).
  WheelTimer* pending_ = nullptr;
  WheelTimer* partial_ = nullptr;
  std::uint64_t current_;  // every tick <= current_ has been expired
  std::size_t size_ = 0;
};

template <class Due, class Fire>
std::size_t TimerWheel::run_list(WheelTimer*& list, Due due, Fire& fire) {
  std::size_t fired = 0;
  while (list != nullptr) {
    WheelTimer& t = *list;
    unlink(t);
    if (!due(t)) {  // not yet, or a later turn of the wheel: back into its slot
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
  const std::uint64_t target = tick_floor(now);  // slots that ended by `now`
  const std::uint64_t now_us = micros(now);
  // After a long sleep one sweep over every slot catches everything overdue.
  if (target > current_ + kSlots) current_ = target - kSlots;
  detach(static_cast<std::size_t>((target + 1) % kSlots), partial_);
  std::size_t fired = 0;
  while (current_ < target) {
    const std::size_t from = static_cast<std::size_t>((current_ + 1) % kSlots);
    const auto busy = next_busy_slot(from, static_cast<std::size_t>(target - current_));
    if (!busy) {
      current_ = target;
      break;
    }
    current_ += 1 + (*busy + kSlots - from) % kSlots;
    detach(*busy, pending_);
    fired += run_list(pending_, [target](const WheelTimer& t) { return t.tick_ <= target; }, fire);
  }
  // The slot `now` is inside: what is due by now (and, after a long sleep,
  // an overdue timer of an earlier turn that shared it).
  fired += run_list(
      partial_,
      [target, now_us](const WheelTimer& t) {
        return t.tick_ <= target || (t.tick_ == target + 1 && t.at_us_ <= now_us);
      },
      fire);
  return fired;
}

}  // namespace fbf::bfd
