// The BFD per-packet path must cost the same with 1 or 10,000 sessions and
// allocate nothing (issue 3, "Scale"). Two sans-I/O engines, A and B, hold N
// sessions each, paired and brought Up; a min-heap of (time, side, session,
// timer) stands in for libevent's timer heap. Each iteration pops the next
// timer and does what the adapter (bfd/io/service.cpp) does with it: on_timer,
// encode_signed every Transmit, carry out the rest of the action list (the
// ArmTimer actions), and only then hand the bytes to the other engine's
// receive() (decode, demultiplex by Your Discriminator, on_packet) — as a
// real wire does: a peer's reply (a Final) never runs in the middle of the
// sender's action list. Sockets and the event loop are left out (BM_Libevent*
// times libevent's timer re-arm, the one loop operation per transmission).
//
//   cmake --build BUILD --target bfd_packet_path_bench
//   BUILD/bench/bfd_packet_path_bench
//
// Counters: allocs_per_packet counts global operator new, OpenSSL's and
// libevent's allocators while the loop runs; anything but 0 fails the
// benchmark (SkipWithError, non-zero exit), so ctest runs it as a check.
// flaps must stay 0 (no detection expiry on a lossless virtual wire).
// items/s = packets transmitted (and received) per second.
//
// GCC 12 sees the malloc inside the replaced operator new and then flags
// every matching delete as "mismatched" (a false positive for replacements).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <benchmark/benchmark.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <queue>
#include <random>
#include <vector>

#include "bfd/auth.h"
#include "bfd/engine.h"
#include "platform/event.h"

// The allocation counter is process-wide state by nature: replacing operator
// new and the C libraries' allocators is the only way to see every
// allocation the path makes, including ones hidden inside the standard library.
namespace {

bool g_counting = false;
long g_allocations = 0;

void* counted_malloc(std::size_t n) {
  if (g_counting) ++g_allocations;
  return std::malloc(n);
}
void* counted_realloc(void* p, std::size_t n) {
  if (g_counting) ++g_allocations;
  return std::realloc(p, n);
}
void* crypto_malloc(std::size_t n, const char*, int) { return counted_malloc(n); }
void* crypto_realloc(void* p, std::size_t n, const char*, int) { return counted_realloc(p, n); }
void crypto_free(void* p, const char*, int) { std::free(p); }

// Both must be hooked before the libraries allocate anything.
const bool g_crypto_hooked = CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free);
const bool g_event_hooked = [] {
  event_set_mem_functions(counted_malloc, counted_realloc, std::free);
  return true;
}();

}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace fbf::bfd {
namespace {

using platform::IpAddress;

class BenchRandom : public Random {
 public:
  std::uint32_t next_u32() override { return static_cast<std::uint32_t>(engine_()); }

 private:
  std::mt19937 engine_{20240611};
};

// Distinct per-session addresses from the RFC 2544 benchmark range: A's
// session i runs from 198.18.x.y to 198.19.x.y, B's the other way round.
IpAddress address(std::uint8_t second_octet, int i) {
  return IpAddress::v4({198, second_octet, static_cast<std::uint8_t>(i / 256),
                        static_cast<std::uint8_t>(i % 256 + 1)});
}

struct TimerEntry {
  TimePoint at;
  int side;  // 0 = A, 1 = B
  int index;
  TimerKind kind;
  friend bool operator>(const TimerEntry& x, const TimerEntry& y) { return x.at > y.at; }
};

// A reserved vector under a min-heap: the heap stays within its capacity
// (one live entry per armed timer plus stale ones), so it never reallocates.
class TimerHeap {
 public:
  explicit TimerHeap(std::size_t capacity) { items_.reserve(capacity); }
  void push(const TimerEntry& e) {
    items_.push_back(e);
    std::push_heap(items_.begin(), items_.end(), std::greater<>{});
  }
  TimerEntry pop() {
    std::pop_heap(items_.begin(), items_.end(), std::greater<>{});
    TimerEntry e = items_.back();
    items_.pop_back();
    return e;
  }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }

 private:
  std::vector<TimerEntry> items_;
};

class Wire {
 public:
  Wire(int sessions, AuthType auth_type, std::uint32_t interval_us)
      : heap_(static_cast<std::size_t>(sessions) * 64 + 64) {
    const std::vector<std::uint8_t> key = {'b', 'e', 'n', 'c', 'h'};
    AuthConfig auth;
    if (auth_type != AuthType::None) auth = *make_auth_config(auth_type, 1, key);
    for (int side = 0; side < 2; ++side) {
      engines_[side] = std::make_unique<Engine>(random_);
      ids_[side].resize(static_cast<std::size_t>(sessions));
      armed_[side].resize(static_cast<std::size_t>(sessions) * 2);
    }
    for (int i = 0; i < sessions; ++i) {
      for (int side = 0; side < 2; ++side) {
        SessionSpec spec;
        spec.key.peer = peer_address(side, i);
        spec.key.local = peer_address(1 - side, i);
        spec.timers = {interval_us, interval_us, 3};
        spec.auth = auth;
        const SessionId id = *engines_[side]->add(spec);
        ids_[side][static_cast<std::size_t>(i)] = id;
        by_id_[side].emplace(id, i);
      }
    }
    // Start every session and run until all are Up (setup: not measured).
    for (int i = 0; i < sessions; ++i)
      for (int side = 0; side < 2; ++side) {
        execute(side, i, session(side, i).start(now_));
        deliver_in_flight();
      }
    while (up_count() < 2 * sessions)
      for (int k = 0; k < 4 * sessions && !heap_.empty(); ++k) step();
  }

  Session& session(int side, int i) {
    return *engines_[side]->find(ids_[side][static_cast<std::size_t>(i)]);
  }

  // Pops the next timer and runs it with everything it causes.
  void step() {
    const TimerEntry e = heap_.pop();
    auto& current = armed_[e.side][slot(e.index, e.kind)];
    if (current != e.at) return;  // re-armed or cancelled since: stale
    current = TimePoint{};
    now_ = std::max(now_, e.at);
    execute(e.side, e.index, session(e.side, e.index).on_timer(now_, e.kind));
    deliver_in_flight();
  }

  int up_count() {
    int n = 0;
    for (int side = 0; side < 2; ++side)
      for (std::size_t i = 0; i < ids_[side].size(); ++i)
        n += session(side, static_cast<int>(i)).variables().SessionState == State::Up;
    return n;
  }

  std::uint64_t packets() const { return packets_; }
  std::uint64_t flaps() {
    std::uint64_t n = 0;
    for (int side = 0; side < 2; ++side)
      for (std::size_t i = 0; i < ids_[side].size(); ++i)
        n += session(side, static_cast<int>(i)).counters().flaps;
    return n;
  }
  const EngineCounters& counters(int side) const { return engines_[side]->counters(); }
  bool overflowed() const { return overflowed_; }

 private:
  static IpAddress peer_address(int side, int i) { return address(side == 0 ? 19 : 18, i); }
  static std::size_t slot(int i, TimerKind k) {
    return static_cast<std::size_t>(i) * 2 + (k == TimerKind::Transmit ? 0 : 1);
  }

  void execute(int side, int i, const Actions& actions) {
    for (const Action& a : actions) {
      if (const auto* t = std::get_if<Transmit>(&a)) {
        transmit(side, i, t->packet);
      } else if (const auto* arm = std::get_if<ArmTimer>(&a)) {
        armed_[side][slot(i, arm->kind)] = arm->at;
        heap_.push({arm->at, side, i, arm->kind});
      } else if (const auto* c = std::get_if<CancelTimer>(&a)) {
        armed_[side][slot(i, c->kind)] = TimePoint{};
      }
    }
  }

  // What Service::execute does with a Transmit: the packet is encoded now
  // and is on the wire once the whole action list has been carried out.
  void transmit(int side, int i, const ControlPacket& packet) {
    auto wire = encode_signed(packet, session(side, i).auth());
    ++packets_;
    if (in_flight_.size() == in_flight_.capacity()) {
      overflowed_ = true;  // pushing would allocate; the run is reported as failed
      return;
    }
    in_flight_.push_back({side, i, *wire});
  }

  // What Service::on_readable does: each packet in flight reaches the other
  // engine, in the order sent; the replies it causes (a Final answering a
  // Poll, §6.8.3) join the end of the queue. They end there: a packet with F
  // set asks for no answer.
  void deliver_in_flight() {
    for (std::size_t next = 0; next < in_flight_.size(); ++next) {
      const InFlight p = in_flight_[next];  // a copy: delivering may push
      const int other = 1 - p.from_side;
      RxPath path{peer_address(other, p.index), peer_address(p.from_side, p.index), 0, false, 255};
      if (auto d = engines_[other]->receive(now_, p.wire.bytes(), path)) {
        execute(other, by_id_[other].at(d->id), d->actions);
      }
    }
    in_flight_.clear();  // keeps its capacity: no allocation
  }

  struct InFlight {
    int from_side;
    int index;
    PacketBuffer wire;
  };

  BenchRandom random_;
  // One event's packets and the replies they cause: a timer sends one packet
  // (two with a Final), so a small fixed capacity holds any event.
  std::vector<InFlight> in_flight_ = [] {
    std::vector<InFlight> v;
    v.reserve(64);
    return v;
  }();
  bool overflowed_ = false;
  std::unique_ptr<Engine> engines_[2];
  std::vector<SessionId> ids_[2];
  std::unordered_map<SessionId, int> by_id_[2];
  std::vector<TimePoint> armed_[2];  // per (session, kind): the live arming, {} = none
  TimerHeap heap_;
  TimePoint now_ = TimePoint{} + std::chrono::hours(1000);
  std::uint64_t packets_ = 0;
};

void run_wire(benchmark::State& state, AuthType auth) {
  if (!g_crypto_hooked || !g_event_hooked) {
    state.SkipWithError("allocator hooks not installed before first use");
    return;
  }
  const int sessions = static_cast<int>(state.range(0));
  Wire wire(sessions, auth, 50'000);
  const std::uint64_t packets_before = wire.packets();
  const std::uint64_t flaps_before = wire.flaps();
  g_allocations = 0;
  g_counting = true;
  for (auto _ : state) wire.step();
  g_counting = false;
  const auto packets = wire.packets() - packets_before;
  state.SetItemsProcessed(static_cast<std::int64_t>(packets));
  state.counters["sessions"] = sessions;
  state.counters["allocs_per_packet"] =
      packets ? static_cast<double>(g_allocations) / static_cast<double>(packets) : 0.0;
  state.counters["flaps"] = static_cast<double>(wire.flaps() - flaps_before);
  if (g_allocations != 0) state.SkipWithError("the per-packet path allocated");
  if (wire.flaps() != flaps_before) state.SkipWithError("a session flapped on a lossless wire");
  if (wire.overflowed()) state.SkipWithError("more packets in flight than the wire holds");
  if (wire.counters(0).no_session + wire.counters(1).no_session != 0)
    state.SkipWithError("a packet found no session");
}

void BM_PacketPath(benchmark::State& state) { run_wire(state, AuthType::None); }
void BM_PacketPathMeticulousSha1(benchmark::State& state) {
  run_wire(state, AuthType::MeticulousKeyedSha1);
}

BENCHMARK(BM_PacketPath)->Arg(1)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_PacketPathMeticulousSha1)->Arg(1)->Arg(1000);

// libevent's timer re-arm with N timers pending: what Service::execute does
// for each ArmTimer (platform::Timer::arm = evtimer_add on a min-heap).
void BM_LibeventTimerRearm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto base = platform::make_event_base();
  std::vector<std::unique_ptr<platform::Timer>> timers;
  std::mt19937 random(7);
  for (int i = 0; i < n; ++i) {
    timers.push_back(std::make_unique<platform::Timer>(base.get(), [] {}));
    timers.back()->arm(std::chrono::microseconds(37'500 + random() % 12'500));
  }
  g_allocations = 0;
  g_counting = true;
  std::size_t i = 0;
  for (auto _ : state) {
    timers[i]->arm(std::chrono::microseconds(37'500 + random() % 12'500));
    if (++i == timers.size()) i = 0;
  }
  g_counting = false;
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_rearm"] =
      static_cast<double>(g_allocations) / static_cast<double>(state.iterations());
  if (g_allocations != 0) state.SkipWithError("re-arming a timer allocated");
}
BENCHMARK(BM_LibeventTimerRearm)->Arg(1)->Arg(100)->Arg(1000)->Arg(10000);

}  // namespace
}  // namespace fbf::bfd
