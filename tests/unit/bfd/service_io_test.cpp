// The BFD adapter (bfd/io/service.cpp) with real sockets: after the loop
// stalls, every datagram already queued is read before any timer fires, so
// a session whose peer kept sending is not declared Down (the timer wheel
// and the batched receive path, issue 3 "Scale"). Runs in a network
// namespace of its own (root only) so port 3784 is ours alone.
#include "bfd/io/service.h"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bfd/packet.h"
#include "bfd_test_support.h"
#include "tests/unit/own_network_namespace.h"
#include "bfd/echo_frame.h"
#include "platform/raw_ip.h"
#include "platform/udp.h"

namespace fbf::bfd::io {
namespace {

using namespace std::chrono_literals;
using platform::IpAddress;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// Loopback delivery may finish in ksoftirqd after the send returned.
bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 2000) == 1;
}

constexpr std::uint32_t kPeerDiscr = 0xbeef;
constexpr std::uint32_t kFastUs = 10'000;  // 10 ms x 3: Detection Time 30 ms

using ::fbf::test::own_network_namespace;

// A peer, played by the test: receives fbfd's packets on <address>:3784
// and answers from there.
class Peer {
 public:
  explicit Peer(const char* address) {
    auto fd = platform::open_udp({.family = platform::Family::v4,
                                  .bind_address = ip(address),
                                  .port = kSingleHopPort,
                                  .send_ttl = 255,
                                  .receive_metadata = true,
                                  .reuse_address = true,
                                  .receive_buffer = 1 << 20});
    EXPECT_TRUE(fd) << fd.error().what;
    if (fd) fd_ = std::move(*fd);
  }
  int fd() const { return fd_.get(); }

  // The last packet fbfd sent, if any arrived.
  struct Received {
    ControlPacket packet;
    platform::Endpoint source;
    int ttl = -1;
  };
  // Every packet queued, with where it came from and its TTL.
  std::vector<Received> receive_all() {
    std::array<std::uint8_t, 128> buf{};
    std::vector<Received> out;
    while (auto got = platform::receive_datagram(fd_.get(), buf)) {
      if (!*got) break;
      if (auto p = decode((**got).payload)) out.push_back({*p, (**got).source, (**got).ttl});
    }
    return out;
  }

  std::optional<ControlPacket> receive() {
    std::array<std::uint8_t, 128> buf{};
    std::optional<ControlPacket> last;
    while (auto got = platform::receive_datagram(fd_.get(), buf)) {
      if (!*got) break;
      if (auto p = decode((**got).payload)) last = *p;
    }
    return last;
  }

  void send(State state, std::uint32_t your, bool final = false, int copies = 1,
            std::uint32_t desired_min_tx_us = kFastUs,
            std::uint32_t required_min_rx_us = kFastUs) {
    ControlPacket p;
    p.state = state;
    p.final = final;
    p.detect_mult = 3;
    p.my_discriminator = kPeerDiscr;
    p.your_discriminator = your;
    p.desired_min_tx_interval = desired_min_tx_us;
    p.required_min_rx_interval = required_min_rx_us;
    auto wire = encode(p);
    ASSERT_TRUE(wire);
    for (int i = 0; i < copies; ++i) {
      auto sent = platform::send_datagram(fd_.get(), wire->bytes(),
                                          {ip("127.0.0.1"), kSingleHopPort, 0});
      ASSERT_TRUE(sent) << sent.error().what;
    }
  }

 private:
  platform::UniqueFd fd_;
};

class ServiceIo : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!own_network_namespace()) GTEST_SKIP() << "needs root for a network namespace";
    make_service(TransmitPath::batched);
  }

  void make_service(TransmitPath path) {
    service_.reset();
    base_.reset(event_base_new());
    service_ = std::make_unique<Service>(
        base_.get(), random_,
        [this](const StateEvent& e) {
          changes_.push_back(e.change);
          if (on_change_) on_change_(e);
        },
        path);
  }

  // Runs the loop until `done` or the time is up.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 3s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      event_base_loop(base_.get(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
      std::this_thread::sleep_for(1ms);
    }
    return done();
  }

  const Session& session(SessionId id) { return *service_->engine().find(id); }

  // Three-way handshake (RFC 5880 §6.2) and the Poll Sequence to 10 ms.
  SessionId bring_up(Peer& peer, const char* address) {
    SessionSpec spec;
    spec.name = address;
    spec.key.peer = ip(address);
    spec.key.local = ip("127.0.0.1");
    spec.timers.desired_min_tx_interval = kFastUs;
    spec.timers.required_min_rx_interval = kFastUs;
    spec.timers.detect_mult = 3;
    auto added = service_->add(spec);
    EXPECT_TRUE(added) << added.error();
    if (!added) return 0;
    const SessionId id = *added;
    peer.send(State::Down, id);
    EXPECT_TRUE(run_until([&] { return session(id).variables().SessionState == State::Init; }));
    peer.send(State::Up, id);
    EXPECT_TRUE(run_until([&] { return session(id).variables().SessionState == State::Up; }));
    // Answer the Poll that announces the fast rate; keep the session fed.
    EXPECT_TRUE(run_until([&] {
      if (auto p = peer.receive(); p && p->poll) peer.send(State::Up, id, /*final=*/true);
      else peer.send(State::Up, id);
      return !session(id).poll_active() && session(id).detection_time_us() == 3 * kFastUs;
    }));
    return id;
  }

  // Eight sessions to 127.0.0.2-9, then AdminDown for all of them in one
  // event: each peer gets exactly that packet, from its session's socket's
  // address and source port (RFC 5881 §4) with TTL 255 (§5), whichever way
  // it left. Returns the system calls the event took.
  std::uint64_t admin_down_eight_on_the_wire(bool batched) {
    std::vector<std::unique_ptr<Peer>> peers;
    std::vector<SessionId> ids;
    for (int i = 0; i < 8; ++i) {
      const std::string address = "127.0.0." + std::to_string(2 + i);
      peers.push_back(std::make_unique<Peer>(address.c_str()));
      SessionSpec spec;
      spec.name = address;
      spec.key.peer = ip(address.c_str());
      spec.key.local = ip("127.0.0.1");
      auto added = service_->add(spec);
      EXPECT_TRUE(added) << added.error();
      if (!added) return 0;
      ids.push_back(*added);
      EXPECT_EQ(service_->batched(*added), batched);
    }
    run_until([] { return false; }, 50ms);
    for (auto& p : peers) p->receive_all();  // whatever start-up sent
    const std::uint64_t before = service_->io_counters().send_calls;
    service_->admin_down_all();
    const std::uint64_t calls = service_->io_counters().send_calls - before;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      EXPECT_TRUE(wait_readable(peers[i]->fd()));
      auto got = peers[i]->receive_all();
      EXPECT_EQ(got.size(), 1u);
      if (got.empty()) continue;
      EXPECT_EQ(got[0].packet.state, State::AdminDown);
      EXPECT_EQ(got[0].packet.diag, Diag::AdministrativelyDown);
      EXPECT_EQ(got[0].packet.my_discriminator, ids[i]);
      EXPECT_EQ(got[0].source.address, ip("127.0.0.1"));
      EXPECT_EQ(got[0].source.port, service_->source_port(ids[i]));
      EXPECT_GE(got[0].source.port, 49152);
      EXPECT_EQ(got[0].ttl, 255);
    }
    EXPECT_EQ(service_->io_counters().send_errors, 0u);
    return calls;
  }

  test::SeededRandom random_{42};
  std::unique_ptr<event_base, decltype(&event_base_free)> base_{nullptr, &event_base_free};
  std::unique_ptr<Service> service_;
  std::vector<StateChanged> changes_;
  std::function<void(const StateEvent&)> on_change_;  // runs in the state callback

  // The peer goes silent; when the session reports Down (Detection Time
  // expired), is the Down packet already on its way to the peer?
  void down_packet_leaves_before_the_report() {
    Peer peer("127.0.0.2");
    const SessionId id = bring_up(peer, "127.0.0.2");
    ASSERT_NE(id, 0u);
    run_until([] { return false; }, 5ms);
    peer.receive_all();
    std::optional<ControlPacket> seen_in_callback;
    on_change_ = [&](const StateEvent& e) {
      if (e.change.to != State::Down) return;
      // Loopback delivery may finish in ksoftirqd: wait for it, here, inside
      // the callback, where the packet cannot arrive unless it was sent.
      while (wait_readable(peer.fd())) {
        auto got = peer.receive_all();
        for (const auto& r : got)
          if (r.packet.state == State::Down) seen_in_callback = r.packet;
        if (seen_in_callback) break;
      }
    };
    ASSERT_TRUE(run_until([&] { return session(id).variables().SessionState == State::Down; }));
    ASSERT_FALSE(changes_.empty());
    EXPECT_EQ(changes_.back().to, State::Down);
    ASSERT_TRUE(seen_in_callback) << "the agent heard of the Down before the peer was told";
    EXPECT_EQ(seen_in_callback->diag, Diag::ControlDetectionTimeExpired);
  }
};

TEST_F(ServiceIo, QueuedPacketsAreReadBeforeAStalledDetectionTimerFires) {
  Peer chatty("127.0.0.2"), quiet("127.0.0.3");
  const SessionId a = bring_up(chatty, "127.0.0.2");
  const SessionId b = bring_up(quiet, "127.0.0.3");
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  // Keep both fed until both run at the fast rate.
  ASSERT_TRUE(run_until([&] {
    chatty.send(State::Up, a);
    quiet.send(State::Up, b);
    return session(a).variables().SessionState == State::Up &&
           session(b).variables().SessionState == State::Up && !session(a).poll_active() &&
           !session(b).poll_active();
  }));
  // Let the loop read what the feeding left queued (well inside 30 ms), so
  // nothing of b waits ahead of what the stall queues.
  run_until([] { return false; }, 10ms);
  changes_.clear();
  // The loop stalls for 5 Detection Times. Both peers keep sending, but
  // session a's packets queue ahead of b's, more of them than one readable
  // callback reads (4 batches of 64): when the loop resumes, b's detection
  // timer is overdue while b's packets still wait behind a's.
  const auto stall_end = std::chrono::steady_clock::now() + 150ms;
  while (std::chrono::steady_clock::now() < stall_end) std::this_thread::sleep_for(5ms);
  for (int i = 0; i < 8; ++i) {
    chatty.send(State::Up, a, false, 50);
    std::this_thread::sleep_for(1ms);
  }
  quiet.send(State::Up, b, false, 3);
  const auto b_before = session(b).counters().packets_in;
  ASSERT_TRUE(run_until([&] { return session(b).counters().packets_in >= b_before + 3; }, 1s));
  EXPECT_EQ(session(a).variables().SessionState, State::Up);
  EXPECT_EQ(session(b).variables().SessionState, State::Up)
      << "b was declared Down while its packets waited in the socket";
  EXPECT_TRUE(changes_.empty());
  // A real silence is still detected: stop sending.
  ASSERT_TRUE(run_until([&] { return session(b).variables().SessionState == State::Down; }, 1s));
  EXPECT_EQ(session(b).variables().LocalDiag, Diag::ControlDetectionTimeExpired);
}

// A long task on the loop (show bfd of thousands of sessions) calls
// keep_up() per item: the periodic packets that fall due leave from inside
// it, on time, while a Detection Time waits for the next wake-up, which
// reads the listeners first. Here the task lasts 100 ms (over three
// Detection Times of 30 ms) with the peer's packets queued unread.
TEST_F(ServiceIo, PacketsDueDuringALongTaskLeaveFromKeepUpAndNothingIsDetected) {
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");
  ASSERT_NE(id, 0u);
  run_until([&] {
    peer.send(State::Up, id);
    return false;
  }, 30ms);
  peer.receive_all();
  changes_.clear();
  const auto out_before = session(id).counters().packets_out;
  const auto kept_before = service_->io_counters().kept_up_transmissions;
  const auto task_end = std::chrono::steady_clock::now() + 100ms;
  std::size_t received_during = 0;
  while (std::chrono::steady_clock::now() < task_end) {
    service_->keep_up();
    peer.send(State::Up, id);  // queued behind the busy loop
    received_during += peer.receive_all().size();
    std::this_thread::sleep_for(1ms);
  }
  const auto sent = session(id).counters().packets_out - out_before;
  // 100 ms at 7.5-10 ms a packet; none would leave without keep_up().
  EXPECT_GE(sent, 8u);
  EXPECT_LE(sent, 14u);
  EXPECT_EQ(service_->io_counters().kept_up_transmissions - kept_before, sent);
  EXPECT_GE(received_during + 1, sent);  // on the wire during the task
  EXPECT_EQ(session(id).variables().SessionState, State::Up);
  EXPECT_TRUE(changes_.empty());
  // The loop resumes: the queued packets are read before the overdue
  // Detection Time is checked, and the session stays Up.
  run_until([&] {
    peer.send(State::Up, id);
    return false;
  }, 30ms);
  EXPECT_EQ(session(id).variables().SessionState, State::Up);
  EXPECT_TRUE(changes_.empty());
}

// The listeners are read before a detection timer is checked (the test
// above), not at every wake-up: one that only transmits makes no receive
// call. Here the peer announces a 1 s transmit interval (our Detection Time:
// 3 s) while asking for our packets every 10 ms.
TEST_F(ServiceIo, AWakeUpThatOnlyTransmitsMakesNoReceiveCall) {
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");
  ASSERT_NE(id, 0u);
  peer.send(State::Up, id, false, 1, 1'000'000);
  ASSERT_TRUE(run_until([&] { return session(id).detection_time_us() == 3'000'000; }));
  run_until([] { return false; }, 20ms);  // whatever was queued is read
  const IoCounters before = service_->io_counters();
  run_until([] { return false; }, 200ms);
  const IoCounters after = service_->io_counters();
  EXPECT_GE(after.wakeups - before.wakeups, 10u);  // transmissions every ~10 ms
  EXPECT_EQ(after.receive_calls, before.receive_calls);
  // No other wake-up to ride on: every packet waits for its own.
  EXPECT_EQ(after.early_transmissions, before.early_transmissions);
  EXPECT_EQ(session(id).variables().SessionState, State::Up);
}

// A received packet pushes its session's Detection Time later, which is
// not the wheel's earliest deadline (the next transmission is): the wake-up
// is not moved, so receiving costs no timer system call. The timer moves
// about once per transmission — from its own wake-up, or early from a
// receiving one (Session::transmit_early).
TEST_F(ServiceIo, AReceivedPacketMovesNoTimerWhenTheEarliestDeadlineStays) {
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");
  ASSERT_NE(id, 0u);
  run_until([] { return false; }, 20ms);
  const IoCounters before = service_->io_counters();
  const std::uint64_t rearms_before = service_->wakeup_rearms();
  const auto received_before = session(id).counters().packets_in;
  run_until([&] {
    peer.send(State::Up, id);  // every ~1 ms: ten packets per transmission
    return false;
  }, 200ms);
  const std::uint64_t transmissions =
      service_->io_counters().wakeups - before.wakeups +
      service_->io_counters().early_transmissions - before.early_transmissions;
  const std::uint64_t rearms = service_->wakeup_rearms() - rearms_before;
  const auto received = session(id).counters().packets_in - received_before;
  EXPECT_GE(transmissions, 10u);
  EXPECT_GE(received, 5 * transmissions);
  EXPECT_LE(rearms, transmissions + 2) << received << " packets received";
  EXPECT_EQ(session(id).variables().SessionState, State::Up);
}

// A periodic packet whose early part has begun (timers.h,
// transmit_window_opening: up to 3.75 ms at 50 ms) leaves in a wake-up the
// loop has anyway — here for the peer's packets, every ~1 ms — instead of in
// one of its own: fewer timer wake-ups than packets sent, and each early one
// counted. (The peer asks for our packets every 50 ms: at 10 ms the early
// part, under 0.75 ms, is finer than this test's loop.)
TEST_F(ServiceIo, APeriodicPacketLeavesInAWakeUpTheLoopHasAnyway) {
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");
  ASSERT_NE(id, 0u);
  const auto feed = [&] {
    peer.send(State::Up, id, false, 1, kFastUs, 50'000);
    return false;
  };
  run_until(feed, 100ms);  // the next transmission is timed at 50 ms
  const IoCounters before = service_->io_counters();
  const auto sent_before = session(id).counters().packets_out;
  run_until(feed, 800ms);
  const IoCounters after = service_->io_counters();
  const auto sent = session(id).counters().packets_out - sent_before;
  const auto early = after.early_transmissions - before.early_transmissions;
  const auto wakeups = after.wakeups - before.wakeups;
  EXPECT_GE(sent, 12u);  // every 37.5-45 ms
  EXPECT_GE(early, sent / 4) << sent << " sent";
  EXPECT_LE(wakeups + early, sent + 2);
  EXPECT_EQ(session(id).variables().SessionState, State::Up);
}

// A packet read 15 ms after it reached the host (the loop was busy) counts
// from its arrival: the session's Detection Time (30 ms) ends 30 ms after the
// kernel took the packet in, not 30 ms after the loop read it.
TEST_F(ServiceIo, APacketThatWaitedInTheSocketCountsFromItsArrival) {
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");
  ASSERT_NE(id, 0u);
  const auto before = session(id).counters().packets_in;
  const auto sent = std::chrono::steady_clock::now();
  peer.send(State::Up, id);
  std::this_thread::sleep_for(15ms);
  ASSERT_TRUE(run_until([&] { return session(id).counters().packets_in > before; }, 100ms));
  const auto deadline = session(id).detection_deadline();
  ASSERT_TRUE(deadline);
  EXPECT_GE(*deadline - sent, 30ms - 1ms);
  EXPECT_LT(*deadline - sent, 30ms + 5ms) << "the Detection Time ran from when the loop read it";
  EXPECT_EQ(session(id).variables().SessionState, State::Up);
}

TEST_F(ServiceIo, ADownPacketLeavesBeforeTheAgentHearsOfTheDown) {
  ASSERT_EQ(service_->transmit_path(), TransmitPath::batched);
  down_packet_leaves_before_the_report();
}

TEST_F(ServiceIo, ADownPacketLeavesBeforeTheAgentHearsOfTheDownPerSession) {
  make_service(TransmitPath::per_session);
  down_packet_leaves_before_the_report();
}

// remove() tells the agent of the AdminDown it sends (RFC 5880 §6.8.16)
// before the session and its spec are gone: changes are reported when an
// event ends, and the end of remove()'s event is too late for that.
TEST_F(ServiceIo, RemovingASessionReportsItsAdminDown) {
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");
  ASSERT_NE(id, 0u);
  changes_.clear();
  std::string reported_for;
  on_change_ = [&](const StateEvent& e) { reported_for = e.spec.name; };
  service_->remove(id);
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].from, State::Up);
  EXPECT_EQ(changes_[0].to, State::AdminDown);
  EXPECT_EQ(changes_[0].diag, Diag::AdministrativelyDown);
  EXPECT_EQ(reported_for, "127.0.0.2");
  EXPECT_EQ(service_->engine().find(id), nullptr);
}

// A wake-up that runs late (here: the loop held up for 60 ms, as when the
// process is not scheduled) is counted by how late it was, and one of at
// least the last threshold (25 ms) reaches the agent's callback.
TEST_F(ServiceIo, ALateWakeUpIsCountedAndReported) {
  std::vector<std::chrono::microseconds> reported;
  service_->on_late_wakeup([&](std::chrono::microseconds late) { reported.push_back(late); });
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");  // timers due every ~10 ms
  ASSERT_NE(id, 0u);
  const IoCounters before = service_->io_counters();
  reported.clear();
  std::this_thread::sleep_for(60ms);
  const auto late_since = [&](std::size_t i) {
    return service_->io_counters().late_wakeups[i] - before.late_wakeups[i];
  };
  ASSERT_TRUE(run_until([&] { return late_since(2) >= 1; }, 1s));
  EXPECT_GE(late_since(0), late_since(1));
  EXPECT_GE(late_since(1), late_since(2));
  // Due at most one 10 ms interval into the 60 ms: at least 40 ms late.
  EXPECT_GE(service_->io_counters().worst_lateness, 40ms);
  ASSERT_FALSE(reported.empty());
  EXPECT_GE(reported.front(), 40ms);
  for (auto late : reported) EXPECT_GE(late, kLateWakeupThresholds.back());
}

// Above kPollOnRate datagrams/s the listeners stop waking the loop per
// datagram and are read on the 2 ms tick: no packet left behind, and back to
// per-datagram wake-ups when the load goes.
TEST_F(ServiceIo, HeavyReceiveLoadSwitchesToPollingAndBack) {
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");
  ASSERT_NE(id, 0u);
  changes_.clear();
  const auto packets_before = session(id).counters().packets_in;
  // ~5000 datagrams/s for 2.5 s: 25 every 5 ms.
  auto next = std::chrono::steady_clock::now();
  const auto end = next + 2500ms;
  bool polled_seen = false;
  std::optional<std::uint64_t> early_when_polled;  // from the first polled tick on
  std::uint64_t early_while_polled = 0;
  while (std::chrono::steady_clock::now() < end) {
    peer.send(State::Up, id, false, 25);
    next += 5ms;
    run_until([&] { return std::chrono::steady_clock::now() >= next; }, 10ms);
    const IoCounters& io = service_->io_counters();
    polled_seen = polled_seen || io.polled;
    if (io.polled) {
      if (!early_when_polled) early_when_polled = io.early_transmissions;
      early_while_polled = io.early_transmissions - *early_when_polled;
    }
  }
  EXPECT_TRUE(polled_seen) << "never switched to polling";
  // The tick and the transmit grid share wake-ups then: nothing leaves early.
  EXPECT_EQ(early_while_polled, 0u);
  const auto received = session(id).counters().packets_in - packets_before;
  EXPECT_GE(received, 10'000u);
  EXPECT_TRUE(changes_.empty());
  // Quiet again (the peer at its 10 ms rate): polling ends within ~2 s.
  EXPECT_TRUE(run_until([&] {
    peer.send(State::Up, id);
    return !service_->io_counters().polled;
  }, 3s));
  EXPECT_EQ(session(id).variables().SessionState, State::Up);
}

// The batched transmit path (platform/raw_ip.h): one event's packets leave
// in one system call, yet each from its session's own socket's address and
// source port (RFC 5881 §4) with TTL 255 (§5) — what the per-session path
// puts on the wire, one call per packet.
TEST_F(ServiceIo, AnEventsPacketsLeaveInOneSystemCallEachFromItsSessionsPort) {
  ASSERT_EQ(service_->transmit_path(), TransmitPath::batched) << service_->per_session_reason();
  const std::uint64_t batched_before = service_->io_counters().batched_send_calls;
  EXPECT_EQ(admin_down_eight_on_the_wire(/*batched=*/true), 1u);
  EXPECT_EQ(service_->io_counters().batched_send_calls - batched_before, 1u);
}

// One session (the usual case): its wake-ups each send one packet, and that
// leaves through the session's connected socket, whose route the kernel
// keeps, not through the raw socket, which would look it up per packet. It
// is the same packet: the session's source port, TTL 255.
TEST_F(ServiceIo, ALonePacketLeavesFromItsSessionsOwnSocket) {
  ASSERT_EQ(service_->transmit_path(), TransmitPath::batched) << service_->per_session_reason();
  Peer peer("127.0.0.2");
  const SessionId id = bring_up(peer, "127.0.0.2");
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(service_->batched(id));
  peer.receive_all();
  const IoCounters before = service_->io_counters();
  const auto sent_before = session(id).counters().packets_out;
  run_until([&] {
    peer.send(State::Up, id);
    return false;
  }, 200ms);
  const auto sent = session(id).counters().packets_out - sent_before;
  EXPECT_GE(sent, 10u);  // every ~10 ms
  EXPECT_EQ(service_->io_counters().send_calls - before.send_calls, sent);
  EXPECT_EQ(service_->io_counters().batched_send_calls, before.batched_send_calls);
  EXPECT_EQ(service_->io_counters().send_errors, 0u);
  const auto got = peer.receive_all();
  ASSERT_FALSE(got.empty());
  for (const auto& g : got) {
    EXPECT_EQ(g.source.address, ip("127.0.0.1"));
    EXPECT_EQ(g.source.port, service_->source_port(id));
    EXPECT_EQ(g.ttl, 255);
    EXPECT_EQ(g.packet.my_discriminator, id);
  }
}

TEST_F(ServiceIo, PerSessionPathPutsTheSamePacketsOnTheWireOneCallEach) {
  make_service(TransmitPath::per_session);
  ASSERT_EQ(service_->transmit_path(), TransmitPath::per_session);
  EXPECT_EQ(admin_down_eight_on_the_wire(/*batched=*/false), 8u);
}

// --- platform::RawIpSender, with frames as bfd/echo_frame.h builds them ---

std::vector<std::uint8_t> frame(const char* from, std::uint16_t from_port, const char* to,
                                std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out(platform::RawIpSender::kMaxPacket);
  out.resize(build_udp_frame(ip(from), ip(to), 255, from_port, kSingleHopPort, payload, out));
  return out;
}

TEST(RawIpSender, ARefusedPacketDoesNotHoldBackTheOthersNorAFullBatch) {
  if (!own_network_namespace()) GTEST_SKIP() << "needs root for a network namespace";
  Peer peer("127.0.0.2");
  auto sender = platform::RawIpSender::open(4);
  ASSERT_TRUE(sender) << sender.error().what;
  const std::array<std::uint8_t, 3> payload{1, 2, 3};
  const platform::Endpoint to{ip("127.0.0.2"), kSingleHopPort, 0};
  for (std::uint16_t i = 0; i < 10; ++i) {
    if (i == 5) {  // no route to it in this namespace: ENETUNREACH
      ASSERT_TRUE((*sender)->queue(frame("127.0.0.1", 50000, "203.0.113.9", payload),
                                   {ip("203.0.113.9"), kSingleHopPort, 0}, 0));
    }
    ASSERT_TRUE((*sender)->queue(frame("127.0.0.1", 50000 + i, "127.0.0.2", payload), to, 0));
  }
  const auto result = (*sender)->flush();  // 11 queued, capacity 4: two batches went early
  EXPECT_EQ(result.sent, 10u);
  EXPECT_EQ(result.failed, 1u);
  EXPECT_EQ(result.last_errno, ENETUNREACH);
  EXPECT_EQ((*sender)->queued(), 0u);
  EXPECT_GE((*sender)->system_calls(), 3u);
  std::array<std::uint8_t, 64> buf{};
  std::vector<std::uint16_t> ports;
  while (ports.size() < 10 && wait_readable(peer.fd())) {
    auto got = platform::receive_datagram(peer.fd(), buf);
    if (!got || !*got) break;
    ports.push_back((**got).source.port);
    EXPECT_EQ((**got).ttl, 255);
    EXPECT_EQ((**got).payload.size(), payload.size());
  }
  std::vector<std::uint16_t> want;
  for (std::uint16_t i = 0; i < 10; ++i) want.push_back(50000 + i);
  EXPECT_EQ(ports, want);
}

TEST(RawIpSender, Ipv6FramesArriveWithTheirChecksumAndTheForcedInterface) {
  if (!own_network_namespace()) GTEST_SKIP() << "needs root for a network namespace";
  auto rx = platform::open_udp({.family = platform::Family::v6,
                                .bind_address = ip("::1"),
                                .port = kSingleHopPort});
  ASSERT_TRUE(rx) << rx.error().what;
  auto sender = platform::RawIpSender::open(8);
  ASSERT_TRUE(sender) << sender.error().what;
  ASSERT_TRUE((*sender)->can_send(platform::Family::v6));
  const std::array<std::uint8_t, 24> payload{0x20, 0x40, 3, 24};
  const platform::Endpoint to{ip("::1"), kSingleHopPort, 0};
  // The receiving stack verifies the UDP checksum (mandatory in IPv6): a
  // wrong one would be dropped, and this test would see nothing.
  ASSERT_TRUE((*sender)->queue(frame("::1", 50001, "::1", payload), to, if_nametoindex("lo")));
  // An interface that does not exist: refused, counted.
  ASSERT_TRUE((*sender)->queue(frame("::1", 50002, "::1", payload), to, 9999));
  const auto result = (*sender)->flush();
  EXPECT_EQ(result.sent, 1u);
  EXPECT_EQ(result.failed, 1u);
  std::array<std::uint8_t, 64> buf{};
  ASSERT_TRUE(wait_readable(rx->get()));
  auto got = platform::receive_datagram(rx->get(), buf);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((**got).source.port, 50001);
  EXPECT_EQ((**got).ttl, 255);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), (**got).payload.begin(),
                         (**got).payload.end()));
  // A frame of the wrong size or family is not queued at all.
  std::vector<std::uint8_t> huge(platform::RawIpSender::kMaxPacket + 1, 0x45);
  EXPECT_FALSE((*sender)->queue(huge, to, 0));
  EXPECT_FALSE((*sender)->queue(frame("127.0.0.1", 1, "127.0.0.2", payload), to, 0));
}

}  // namespace
}  // namespace fbf::bfd::io
