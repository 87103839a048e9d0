// Two Sessions wired back to back through the codec, driven by a tiny
// discrete-event loop over their ArmTimer actions: the whole protocol, both
// ends ours, no sockets and no sleeping.
#include "bfd/session.h"

#include <gtest/gtest.h>

#include <array>
#include <deque>

#include "bfd_test_support.h"

namespace fbf::bfd {
namespace {

using namespace test;

class Pair {
 public:
  Pair(const SessionConfig& a, const SessionConfig& b)
      : random_{SeededRandom(1), SeededRandom(2)},
        sessions_{Session(a, random_[0]), Session(b, random_[1])} {}

  Session& operator[](int i) { return sessions_[i]; }
  void cut(int from) { cut_[from] = true; }  // drop what `from` sends
  void mend(int from) { cut_[from] = false; }
  std::vector<StateChanged>& changes(int i) { return changes_[i]; }

  void start(TimePoint now) {
    now_ = now;
    execute(0, sessions_[0].start(now));
    execute(1, sessions_[1].start(now));
    flush();
  }
  // Starts one end only (the other may be running already): run_until(now) first.
  void start_one(int who, TimePoint now) {
    now_ = now;
    execute(who, sessions_[who].start(now));
    flush();
  }
  // `who` behaves like a peer that transmits only on its timer: a received
  // packet gets an answer only when it carried a Poll (the Final, which
  // §6.8.7 requires at once). BIRD 2 works this way.
  void speak_only_on_timer(int who) { timer_only_[who] = true; }

  // Executes actions an outside event (admin_down, set_timers) returned.
  void inject(int who, const Actions& actions) {
    execute(who, actions);
    flush();
  }

  // Runs every timer due up to `until`, in time order.
  void run_until(TimePoint until) {
    for (;;) {
      int who = -1;
      TimerKind kind{};
      TimePoint when = until;
      for (int i = 0; i < 2; ++i) {
        for (int k = 0; k < 2; ++k) {
          if (timers_[i][k] && *timers_[i][k] <= when) {
            who = i, kind = static_cast<TimerKind>(k), when = *timers_[i][k];
          }
        }
      }
      if (who < 0) {
        now_ = until;
        return;
      }
      now_ = when;
      timers_[who][static_cast<int>(kind)].reset();
      execute(who, sessions_[who].on_timer(now_, kind));
      flush();
    }
  }

 private:
  void execute(int who, const Actions& actions, bool answering = false) {
    ASSERT_FALSE(actions.overflow());
    for (const auto& action : actions) {
      if (auto* tx = std::get_if<Transmit>(&action)) {
        if (answering && timer_only_[who] && !tx->packet.final) {
          continue;
        }
        if (!cut_[who]) {
          in_flight_.push_back({1 - who, tx->packet, sessions_[who].auth()});
        }
      } else if (auto* arm = std::get_if<ArmTimer>(&action)) {
        timers_[who][static_cast<int>(arm->kind)] = arm->at;
      } else if (auto* cancel = std::get_if<CancelTimer>(&action)) {
        timers_[who][static_cast<int>(cancel->kind)].reset();
      } else if (auto* change = std::get_if<StateChanged>(&action)) {
        changes_[who].push_back(*change);
      }
    }
  }

  // Zero-latency delivery, in order.
  void flush() {
    while (!in_flight_.empty()) {
      auto [to, packet, auth] = in_flight_.front();
      in_flight_.pop_front();
      execute(to, deliver(sessions_[to], now_, packet, auth), /*answering=*/true);
    }
  }

  struct Flight {
    int to;
    ControlPacket packet;
    AuthConfig auth;
  };
  std::array<SeededRandom, 2> random_;
  std::array<Session, 2> sessions_;
  std::array<std::array<std::optional<TimePoint>, 2>, 2> timers_{};
  std::array<bool, 2> cut_{};
  std::array<bool, 2> timer_only_{};
  std::array<std::vector<StateChanged>, 2> changes_;
  std::deque<Flight> in_flight_;
  TimePoint now_{};
};

SessionConfig endpoint(std::uint32_t discr, Role role, const AuthConfig& auth = {}) {
  SessionConfig c = fast_config(role);
  c.local_discriminator = discr;
  c.auth = auth;
  return c;
}

TEST(SessionPair, ActiveAndPassiveComeUpAndSettleOnTheFastRate) {
  Pair pair(endpoint(kOurDiscr, Role::Active), endpoint(kPeerDiscr, Role::Passive));
  pair.start(kT0);
  pair.run_until(kT0 + 5s);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(pair[i].variables().SessionState, State::Up) << i;
    EXPECT_EQ(pair[i].transmit_interval_us(), 100'000u) << i;
    EXPECT_EQ(pair[i].detection_time_us(), 300'000u) << i;
    EXPECT_FALSE(pair[i].poll_active()) << i;
    EXPECT_EQ(pair[i].counters().flaps, 0u) << i;
    EXPECT_LE(pair[i].counters().max_tx_gap, Microseconds{1'000'000}) << i;
  }
  EXPECT_EQ(pair[0].variables().RemoteDiscr, kPeerDiscr);
  EXPECT_EQ(pair[1].variables().RemoteDiscr, kOurDiscr);
}

// The peer's session has run for a while, sending Down at the 1 s slow
// rate; ours starts between two of its packets. Our Down carries P, its
// Final carries its Init, our Up carries P again: both ends are Up at once
// (zero link delay here), not on the peer's next slow packet, up to 1 s later.
TEST(SessionPair, APeerThatSpeaksOnlyOnItsTimerComesUpInRoundTrips) {
  Pair pair(endpoint(kOurDiscr, Role::Active), endpoint(kPeerDiscr, Role::Active));
  pair.speak_only_on_timer(1);
  pair.start_one(1, kT0);
  pair.run_until(kT0 + 2s + 300ms);
  ASSERT_EQ(pair[1].variables().SessionState, State::Down);  // alone so far

  const auto peer_sent = pair[1].counters().packets_out;
  pair.start_one(0, kT0 + 2s + 300ms);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(pair[i].variables().SessionState, State::Up) << i;
  }
  EXPECT_EQ(pair[1].counters().packets_out, peer_sent + 2);  // two Finals, nothing else
  pair.run_until(kT0 + 5s);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(pair[i].variables().SessionState, State::Up) << i;
    EXPECT_EQ(pair[i].counters().flaps, 0u) << i;
  }
  EXPECT_FALSE(pair[0].poll_active());  // the P bits stopped with the last Final
}

TEST(SessionPair, OneWayLossIsDetectedAndTheOtherEndFollows) {
  Pair pair(endpoint(kOurDiscr, Role::Active), endpoint(kPeerDiscr, Role::Active));
  pair.start(kT0);
  pair.run_until(kT0 + 5s);
  ASSERT_EQ(pair[0].variables().SessionState, State::Up);
  pair.changes(0).clear();
  pair.changes(1).clear();

  pair.cut(1);  // 1 -> 0 is lost
  pair.run_until(kT0 + 6s);
  ASSERT_FALSE(pair.changes(0).empty());
  EXPECT_EQ(pair.changes(0).front().diag, Diag::ControlDetectionTimeExpired);
  EXPECT_LE(*pair[0].counters().last_detection_latency, Microseconds{300'000});
  ASSERT_FALSE(pair.changes(1).empty());
  EXPECT_EQ(pair.changes(1).front().diag, Diag::NeighborSignaledSessionDown);
  EXPECT_TRUE(pair.changes(1).front().is_failure());

  pair.mend(1);
  pair.run_until(kT0 + 10s);
  EXPECT_EQ(pair[0].variables().SessionState, State::Up);
  EXPECT_EQ(pair[1].variables().SessionState, State::Up);
}

TEST(SessionPair, AdminDownTakesThePeerDownWithoutAFailure) {
  Pair pair(endpoint(kOurDiscr, Role::Active), endpoint(kPeerDiscr, Role::Passive));
  pair.start(kT0);
  pair.run_until(kT0 + 5s);
  pair.changes(1).clear();
  pair.inject(0, pair[0].admin_down(kT0 + 5s));
  ASSERT_FALSE(pair.changes(1).empty());
  EXPECT_TRUE(pair.changes(1).front().remote_admin_down);
  EXPECT_FALSE(pair.changes(1).front().is_failure());
  EXPECT_EQ(pair[1].variables().SessionState, State::Down);
  pair.run_until(kT0 + 8s);  // both stay down: no flapping back up
  EXPECT_EQ(pair[0].variables().SessionState, State::AdminDown);
  EXPECT_EQ(pair[1].variables().SessionState, State::Down);
  EXPECT_EQ(pair.changes(1).size(), 1u);
}

TEST(SessionPair, MeticulousSha1SessionComesUp) {
  auto auth = *make_auth_config(AuthType::MeticulousKeyedSha1, 9,
                                std::vector<std::uint8_t>{'s', 'h', 'a', 'r', 'e', 'd'});
  Pair pair(endpoint(kOurDiscr, Role::Active, auth), endpoint(kPeerDiscr, Role::Passive, auth));
  pair.start(kT0);
  pair.run_until(kT0 + 5s);
  EXPECT_EQ(pair[0].variables().SessionState, State::Up);
  EXPECT_EQ(pair[1].variables().SessionState, State::Up);
  EXPECT_EQ(pair[0].counters().auth_failures, 0u);
  EXPECT_EQ(pair[1].counters().auth_failures, 0u);
  EXPECT_TRUE(pair[0].variables().AuthSeqKnown);
}

}  // namespace
}  // namespace fbf::bfd
