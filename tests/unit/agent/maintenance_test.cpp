// The RFC 8326 maintenance sequencer under a fake clock, and its state file.
#include "agent/maintenance.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/maintenance_store.h"

namespace fbf::agent {
namespace {

using namespace std::chrono_literals;
using Phase = MaintenancePhase;
using Routes = MaintenanceRoutes;
using TP = MaintenanceSequencer::TimePoint;

const TP kT0 = TP{} + 1000h;

MaintenanceSettings settings(std::chrono::milliseconds drain = 30s, std::int64_t conns = -1) {
  MaintenanceSettings s;
  s.drain_time = drain;
  s.drain_connections = conns;
  s.restore_timeout = 10s;
  return s;
}

std::vector<Phase> to_phases(const MaintenanceSequencer::Actions& a) {
  std::vector<Phase> out;
  for (const auto& t : a.transitions) out.push_back(t.to);
  return out;
}

TEST(MaintenanceSequencer, StartsActiveAnnouncingNormally) {
  MaintenanceSequencer m(settings(), kT0);
  EXPECT_EQ(m.phase(), Phase::active);
  EXPECT_EQ(m.routes(), Routes::normal);
  EXPECT_FALSE(m.deadline());
  EXPECT_FALSE(m.sessions_closed());
}

TEST(MaintenanceSequencer, DrainsForDrainTimeThenWithdraws) {
  MaintenanceSequencer m(settings(30s), kT0);
  auto a = m.start(kT0, std::nullopt, true);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::draining});
  EXPECT_EQ(a.transitions[0].from, Phase::active);
  EXPECT_EQ(m.routes(), Routes::graceful_shutdown);  // RFC 8326 §4: tagged, still announced
  ASSERT_TRUE(a.timer);
  EXPECT_EQ(*a.timer, kT0 + 30s);
  // An early expiry changes nothing and re-arms.
  a = m.on_timer(kT0 + 29'999ms);
  EXPECT_TRUE(a.transitions.empty());
  EXPECT_EQ(*a.timer, kT0 + 30s);
  a = m.on_timer(kT0 + 30s);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::drained});
  EXPECT_EQ(m.routes(), Routes::withdrawn);
  EXPECT_FALSE(a.timer);
  EXPECT_EQ(m.since(), kT0 + 30s);
}

TEST(MaintenanceSequencer, DrainTimeOverridePerRound) {
  MaintenanceSequencer m(settings(30s), kT0);
  auto a = m.start(kT0, 5s, true);
  EXPECT_EQ(*a.timer, kT0 + 5s);
  EXPECT_EQ(*m.deadline(), kT0 + 5s);
  m.on_timer(kT0 + 5s);
  m.stop(kT0 + 6s);
  m.on_routes_sent(kT0 + 6s);
  // The next round uses the configured time again.
  a = m.start(kT0 + 7s, std::nullopt, true);
  EXPECT_EQ(*a.timer, kT0 + 37s);
}

TEST(MaintenanceSequencer, ZeroDrainTimeStillPassesThroughDraining) {
  MaintenanceSequencer m(settings(0ms), kT0);
  auto a = m.start(kT0, std::nullopt, true);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::draining});
  EXPECT_EQ(*a.timer, kT0);  // next loop turn
  a = m.on_timer(kT0);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::drained});
}

TEST(MaintenanceSequencer, WithdrawFalseStaysTaggedWhenDrained) {
  auto s = settings(1s);
  s.withdraw = false;
  MaintenanceSequencer m(s, kT0);
  m.start(kT0, std::nullopt, true);
  m.on_timer(kT0 + 1s);
  EXPECT_EQ(m.phase(), Phase::drained);
  EXPECT_EQ(m.routes(), Routes::graceful_shutdown);
  EXPECT_FALSE(m.sessions_closed());
}

TEST(MaintenanceSequencer, CloseSessionsOnlyOnceDrained) {
  auto s = settings(1s);
  s.close_sessions = true;
  MaintenanceSequencer m(s, kT0);
  m.start(kT0, std::nullopt, true);
  EXPECT_FALSE(m.sessions_closed());
  m.on_timer(kT0 + 1s);
  EXPECT_TRUE(m.sessions_closed());
  m.stop(kT0 + 2s);
  EXPECT_FALSE(m.sessions_closed());  // re-opened before the routes are restored
}

TEST(MaintenanceSequencer, ConnectionsFinishTheDrainEarlyButNeverBeforeOneSecond) {
  MaintenanceSequencer m(settings(30s, 2), kT0);
  EXPECT_FALSE(m.wants_connection_counts());
  m.start(kT0, std::nullopt, true);
  EXPECT_TRUE(m.wants_connection_counts());
  auto a = m.on_connections(kT0 + 500ms, 0);
  EXPECT_TRUE(a.transitions.empty()) << "CONFIG.md: never before 1 s";
  EXPECT_EQ(m.last_connections(), 0u);
  a = m.on_connections(kT0 + 1500ms, 5);
  EXPECT_TRUE(a.transitions.empty());
  EXPECT_EQ(m.last_connections(), 5u);
  a = m.on_connections(kT0 + 2s, 2);
  ASSERT_EQ(to_phases(a), std::vector<Phase>{Phase::drained});
  EXPECT_NE(a.transitions[0].reason.find("connections drained"), std::string::npos);
  EXPECT_FALSE(m.wants_connection_counts());
  EXPECT_FALSE(m.last_connections());
}

TEST(MaintenanceSequencer, ConnectionCountsIgnoredWithoutAThreshold) {
  MaintenanceSequencer m(settings(30s, -1), kT0);
  m.start(kT0, std::nullopt, true);
  EXPECT_FALSE(m.wants_connection_counts());
  EXPECT_TRUE(m.on_connections(kT0 + 5s, 0).transitions.empty());
  EXPECT_EQ(m.phase(), Phase::draining);
}

TEST(MaintenanceSequencer, StopRestoresAndBecomesActiveOnceRoutesAreSent) {
  MaintenanceSequencer m(settings(1s), kT0);
  m.start(kT0, std::nullopt, true);
  m.on_timer(kT0 + 1s);
  auto a = m.stop(kT0 + 5s);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::restoring});
  EXPECT_EQ(m.routes(), Routes::normal);
  EXPECT_EQ(*a.timer, kT0 + 15s);  // restore_timeout
  a = m.on_routes_sent(kT0 + 5s);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::active});
  EXPECT_FALSE(a.timer);
}

TEST(MaintenanceSequencer, StopWhileDrainingRestoresAtOnce) {
  MaintenanceSequencer m(settings(30s), kT0);
  m.start(kT0, std::nullopt, true);
  auto a = m.stop(kT0 + 3s);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::restoring});
  EXPECT_EQ(m.routes(), Routes::normal);
  // The old drain deadline (kT0 + 30 s) no longer applies; the restore one does.
  EXPECT_EQ(*m.deadline(), kT0 + 13s);
  EXPECT_TRUE(m.on_timer(kT0 + 12s).transitions.empty());
  EXPECT_NE(m.phase(), Phase::drained);
}

TEST(MaintenanceSequencer, RestoreGivesUpWaitingAfterTheTimeout) {
  MaintenanceSequencer m(settings(1s), kT0);
  m.start(kT0, std::nullopt, true);
  m.on_timer(kT0 + 1s);
  m.stop(kT0 + 2s);
  auto a = m.on_timer(kT0 + 12s);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::active});
  EXPECT_NE(a.transitions[0].reason.find("restore timeout"), std::string::npos);
}

TEST(MaintenanceSequencer, StartWithNothingAnnouncedGoesStraightToDrained) {
  // A failing service: no traffic to drain, and healing must not re-announce.
  MaintenanceSequencer m(settings(30s), kT0);
  auto a = m.start(kT0, std::nullopt, false);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::drained});
  EXPECT_EQ(m.routes(), Routes::withdrawn);
}

TEST(MaintenanceSequencer, RepeatedStartAndStopAreIdempotent) {
  MaintenanceSequencer m(settings(30s), kT0);
  m.start(kT0, std::nullopt, true);
  auto a = m.start(kT0 + 10s, 1s, true);
  EXPECT_TRUE(a.transitions.empty());
  EXPECT_EQ(*a.timer, kT0 + 30s);  // the running drain is not restarted
  m.stop(kT0 + 11s);
  m.on_routes_sent(kT0 + 11s);
  EXPECT_TRUE(m.stop(kT0 + 12s).transitions.empty());
  EXPECT_EQ(m.phase(), Phase::active);
}

TEST(MaintenanceSequencer, StartWhileRestoringDrainsAgain) {
  MaintenanceSequencer m(settings(1s), kT0);
  m.start(kT0, std::nullopt, true);
  m.on_timer(kT0 + 1s);
  m.stop(kT0 + 2s);
  auto a = m.start(kT0 + 3s, std::nullopt, true);
  EXPECT_EQ(to_phases(a), std::vector<Phase>{Phase::draining});
}

TEST(MaintenanceSequencer, ResumeDrainingComesBackDrained) {
  for (Phase stored : {Phase::draining, Phase::drained}) {
    MaintenanceSequencer m(settings(), kT0);
    auto a = m.resume(kT0, stored);
    EXPECT_EQ(m.phase(), Phase::drained) << to_string(stored);
    EXPECT_EQ(m.routes(), Routes::withdrawn);
    ASSERT_EQ(a.transitions.size(), 1u);
  }
  MaintenanceSequencer r(settings(), kT0);
  r.resume(kT0, Phase::restoring);
  EXPECT_EQ(r.phase(), Phase::restoring);
  MaintenanceSequencer n(settings(), kT0);
  EXPECT_TRUE(n.resume(kT0, Phase::active).transitions.empty());
}

TEST(MaintenanceSequencer, ReloadedSettingsKeepThePhase) {
  MaintenanceSequencer m(settings(1s), kT0);
  m.start(kT0, std::nullopt, true);
  m.on_timer(kT0 + 1s);
  auto s = settings(1s);
  s.withdraw = false;
  m.set_settings(s);
  EXPECT_EQ(m.phase(), Phase::drained);
  EXPECT_EQ(m.routes(), Routes::graceful_shutdown);
}

TEST(MaintenancePhaseNames, RoundTrip) {
  for (Phase p : {Phase::active, Phase::draining, Phase::drained, Phase::restoring})
    EXPECT_EQ(parse_maintenance_phase(to_string(p)), p);
  EXPECT_FALSE(parse_maintenance_phase("paused"));
}

// --- state file -------------------------------------------------------------------------
class MaintenanceStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fbf-maint-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    file_ = maintenance_state_path(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(file_) << text; }
  std::filesystem::path dir_, file_;
};

TEST_F(MaintenanceStore, MissingFileIsAnEmptyState) {
  auto s = load_maintenance_state(file_);
  ASSERT_TRUE(s) << s.error();
  EXPECT_TRUE(s->empty());
}

TEST_F(MaintenanceStore, RoundTrip) {
  MaintenanceState state{{"web", {Phase::drained, 1'700'000'000'123}},
                         {"dns", {Phase::restoring, 42}}};
  ASSERT_TRUE(save_maintenance_state(file_, state));
  auto back = load_maintenance_state(file_);
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(back->at("web").phase, Phase::drained);
  EXPECT_EQ(back->at("web").since_unix_ms, 1'700'000'000'123);
  EXPECT_EQ(back->at("dns").phase, Phase::restoring);
  EXPECT_FALSE(std::filesystem::exists(file_.string() + ".tmp"));
  // Overwrite: the new content replaces the old.
  ASSERT_TRUE(save_maintenance_state(file_, {{"web", {Phase::active, 1}}}));
  back = load_maintenance_state(file_);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->size(), 1u);
  EXPECT_EQ(back->at("web").phase, Phase::active);
}

TEST_F(MaintenanceStore, CorruptFilesAreErrorsNotEmptyStates) {
  for (const char* text :
       {"", "{", "[]", R"({"services":{}})", R"({"version":2,"services":{}})",
        R"({"version":1})", R"({"version":1,"services":{"web":{}}})",
        R"({"version":1,"services":{"web":{"phase":"sleeping"}}})",
        R"({"version":1,"services":{"web":{"phase":7}}})"}) {
    write(text);
    auto s = load_maintenance_state(file_);
    EXPECT_FALSE(s) << "accepted: " << text;
    if (!s) {
      EXPECT_NE(s.error().find(file_.string()), std::string::npos) << s.error();
    }
  }
}

TEST_F(MaintenanceStore, UnreadableFileIsAnError) {
  std::filesystem::create_directories(file_);  // a directory where the file should be
  EXPECT_FALSE(load_maintenance_state(file_));
}

TEST_F(MaintenanceStore, SaveIntoAMissingDirectoryFails) {
  EXPECT_FALSE(save_maintenance_state(dir_ / "nope" / "maintenance.json", {}));
}

}  // namespace
}  // namespace fbf::agent
