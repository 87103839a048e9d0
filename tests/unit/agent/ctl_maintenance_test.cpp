// fbfctl maintenance start|stop [--wait]: the pure progress step, and the
// polling loop against a scripted agent, a fake clock and string streams.
#include "agent/ctl_maintenance.h"

#include <gtest/gtest.h>

#include <deque>
#include <sstream>

#include "agent/ctl_maintenance_wait.h"

namespace fbf::agent {
namespace {

using nlohmann::json;
using Lines = std::vector<std::string>;

json svc(const std::string& name, const std::string& phase, json time_left = nullptr,
         json connections = nullptr) {
  return {{"service", name},
          {"phase", phase},
          {"since_seconds", 1.0},
          {"since_unix_ms", 1},
          {"routes", "normal"},
          {"sessions_closed", false},
          {"time_left_seconds", time_left},
          {"connections", connections},
          {"drain_connections", -1}};
}

json status(std::vector<json> services) { return {{"phase", "x"}, {"services", services}}; }

// --- wait_selection / wait_step ---------------------------------------------

TEST(WaitSelection, NamedServicesOrEveryServiceInTheFirstReply) {
  const auto first = status({svc("web", "draining"), svc("dns", "drained")});
  EXPECT_EQ(wait_selection(first, {}), (Lines{"web", "dns"}));
  EXPECT_EQ(wait_selection(first, {"dns", "dns"}), (Lines{"dns"}));
  EXPECT_EQ(wait_selection(json::object(), {}), Lines{});
}

TEST(WaitStep, FirstStatusPrintsEverySelectedService) {
  const auto now =
      status({svc("web", "draining", 30.0), svc("dns", "drained"), svc("api", "active")});
  const auto step = wait_step(nullptr, now, WaitTarget::drained, {"web", "dns"});
  EXPECT_EQ(step.outcome, WaitStep::Outcome::waiting);
  EXPECT_EQ(step.lines, (Lines{"web: draining, 30s left", "dns: drained"}));
}

TEST(WaitStep, PrintsOnlyWhatChangedAtSecondResolution) {
  const auto a = status({svc("web", "draining", 29.9, 10), svc("dns", "draining", 5.0)});
  const auto b = status({svc("web", "draining", 29.7, 10), svc("dns", "draining", 4.5)});
  const auto c = status({svc("web", "draining", 28.9, 10), svc("dns", "draining", 4.4)});
  const auto d = status({svc("web", "draining", 28.7, 7), svc("dns", "draining", 4.2)});
  const Lines sel{"web", "dns"};
  EXPECT_EQ(wait_step(a, b, WaitTarget::drained, sel).lines, Lines{});
  EXPECT_EQ(wait_step(b, c, WaitTarget::drained, sel).lines,
            (Lines{"web: draining, 29s left, 10 connections"}));
  EXPECT_EQ(wait_step(c, d, WaitTarget::drained, sel).lines,
            (Lines{"web: draining, 29s left, 7 connections"}));
}

TEST(WaitStep, DoneWhenEverySelectedServiceReachedTheTarget) {
  const auto before = status({svc("web", "draining", 0.1), svc("dns", "drained")});
  const auto after = status({svc("web", "drained"), svc("dns", "drained"), svc("api", "active")});
  const auto step = wait_step(before, after, WaitTarget::drained, {"web", "dns"});
  EXPECT_EQ(step.outcome, WaitStep::Outcome::done);
  EXPECT_EQ(step.lines, (Lines{"web: drained", "done: all 2 services are drained"}));

  const auto one = wait_step(nullptr, status({svc("web", "active")}), WaitTarget::active, {"web"});
  EXPECT_EQ(one.outcome, WaitStep::Outcome::done);
  EXPECT_EQ(one.lines, (Lines{"web: active", "done: web is active"}));

  const auto none = wait_step(nullptr, status({}), WaitTarget::drained, {});
  EXPECT_EQ(none.outcome, WaitStep::Outcome::done);
  EXPECT_EQ(none.lines, (Lines{"done: no services to wait for"}));
}

TEST(WaitStep, StopWaitsThroughRestoring) {
  const auto a = status({svc("web", "restoring", 30.0)});
  const auto b = status({svc("web", "active")});
  EXPECT_EQ(wait_step(nullptr, a, WaitTarget::active, {"web"}).outcome, WaitStep::Outcome::waiting);
  EXPECT_EQ(wait_step(a, b, WaitTarget::active, {"web"}).outcome, WaitStep::Outcome::done);
}

TEST(WaitStep, FailsWhenSomeoneSendsTheOppositeCommand) {
  const auto a = status({svc("web", "draining", 20.0)});
  const auto b = status({svc("web", "restoring", 30.0)});
  const auto step = wait_step(a, b, WaitTarget::drained, {"web"});
  EXPECT_EQ(step.outcome, WaitStep::Outcome::failed);
  EXPECT_EQ(step.lines, (Lines{"web: restoring, 30s left"}));
  EXPECT_NE(step.error.find("'web' went restoring while waiting for drained"), std::string::npos)
      << step.error;

  const auto c = wait_step(status({svc("web", "restoring")}), status({svc("web", "draining")}),
                           WaitTarget::active, {"web"});
  EXPECT_EQ(c.outcome, WaitStep::Outcome::failed);
}

TEST(WaitStep, FailsWhenAServiceIsNoLongerConfigured) {
  const auto step =
      wait_step(status({svc("web", "draining")}), status({}), WaitTarget::drained, {"web"});
  EXPECT_EQ(step.outcome, WaitStep::Outcome::failed);
  EXPECT_EQ(step.error, "service 'web' is no longer configured");
}

TEST(WaitStep, FailsOnAReplyWithoutServices) {
  EXPECT_EQ(wait_step(nullptr, json::object(), WaitTarget::drained, {}).outcome,
            WaitStep::Outcome::failed);
  EXPECT_EQ(wait_step(nullptr, nullptr, WaitTarget::drained, {}).outcome,
            WaitStep::Outcome::failed);
}

// --- maintenance_request ----------------------------------------------------

TEST(MaintenanceRequest, ArgsAsTheRunnerExpectsThem) {
  MaintenanceCommand start{.start = true, .services = {"web"}, .drain_time = "2m"};
  auto r = maintenance_request(start);
  EXPECT_EQ(r.command, "maintenance start");
  EXPECT_EQ(r.args, (json{{"services", {"web"}}, {"drain_time", "2m"}}));

  MaintenanceCommand stop{.start = false, .drain_time = "2m"};
  r = maintenance_request(stop);
  EXPECT_EQ(r.command, "maintenance stop");
  EXPECT_EQ(r.args, json::object());  // all services; no drain time for stop
}

// --- run_maintenance against a scripted agent -------------------------------

struct FakeAgent {
  using Answer = std::expected<Reply, ClientError>;
  std::deque<Answer> answers;
  std::vector<Request> requests;
  std::chrono::steady_clock::time_point clock{};
  std::vector<std::chrono::milliseconds> sleeps;
  std::ostringstream out, err;

  void ok(json result) { answers.push_back(Reply{true, std::move(result), {}}); }
  void refuse(std::string message) {
    answers.push_back(Reply{false, nullptr, {"invalid_arguments", std::move(message), nullptr}});
  }
  void gone() {
    answers.push_back(std::unexpected(ClientError{ClientError::Kind::unreachable,
                                                  "cannot reach fbfd at /s: connection refused"}));
  }

  CtlIo io() {
    return CtlIo{
        [this](const Request& r) -> Answer {
          requests.push_back(r);
          if (answers.empty())
            return std::unexpected(ClientError{ClientError::Kind::protocol, "script over"});
          auto a = std::move(answers.front());
          answers.pop_front();
          return a;
        },
        [this] { return clock; },
        [this](std::chrono::milliseconds d) {
          sleeps.push_back(d);
          clock += d;
        },
        &out, &err};
  }
};

MaintenanceCommand start_wait(std::vector<std::string> services = {}) {
  MaintenanceCommand cmd;
  cmd.start = true;
  cmd.services = std::move(services);
  cmd.wait = true;
  return cmd;
}

TEST(RunMaintenance, WithoutWaitPrintsTheTable) {
  FakeAgent agent;
  agent.ok(status({svc("web", "draining", 30.0)}));
  MaintenanceCommand cmd;
  EXPECT_EQ(run_maintenance(agent.io(), false, cmd), ctl_exit::ok);
  EXPECT_EQ(agent.requests.size(), 1u);
  EXPECT_EQ(agent.out.str().rfind("SERVICE  PHASE", 0), 0u) << agent.out.str();
}

TEST(RunMaintenance, StartWaitPollsUntilDrained) {
  FakeAgent agent;
  agent.ok(status({svc("web", "draining", 1.0)}));
  agent.ok(status({svc("web", "draining", 0.8)}));
  agent.ok(status({svc("web", "draining", 0.1)}));
  agent.ok(status({svc("web", "drained")}));
  EXPECT_EQ(run_maintenance(agent.io(), false, start_wait({"web"})), ctl_exit::ok);
  EXPECT_EQ(agent.out.str(), "web: draining, 1s left\nweb: drained\ndone: web is drained\n");
  ASSERT_EQ(agent.requests.size(), 4u);
  EXPECT_EQ(agent.requests[0].command, "maintenance start");
  EXPECT_EQ(agent.requests[3].command, "maintenance status");
  EXPECT_EQ(agent.sleeps,
            (std::vector<std::chrono::milliseconds>(3, std::chrono::milliseconds(200))));
  EXPECT_EQ(agent.err.str(), "");
}

TEST(RunMaintenance, JsonWaitPrintsOnlyTheFinalStatus) {
  FakeAgent agent;
  agent.ok(status({svc("web", "draining", 1.0)}));
  agent.ok(status({svc("web", "drained")}));
  EXPECT_EQ(run_maintenance(agent.io(), true, start_wait()), ctl_exit::ok);
  const auto doc = json::parse(agent.out.str());
  EXPECT_EQ(doc["services"][0]["phase"], "drained");
}

TEST(RunMaintenance, RefusalIsExit1WithTheMessage) {
  FakeAgent agent;
  agent.refuse("unknown service 'nope'");
  EXPECT_EQ(run_maintenance(agent.io(), false, start_wait({"nope"})), ctl_exit::refused);
  EXPECT_EQ(agent.err.str(), "fbfctl: unknown service 'nope'\n");
  EXPECT_EQ(agent.out.str(), "");
}

TEST(RunMaintenance, AgentGoingAwayWhileWaitingIsExit3) {
  FakeAgent agent;
  agent.ok(status({svc("web", "draining", 30.0)}));
  agent.ok(status({svc("web", "draining", 29.0)}));
  agent.gone();
  EXPECT_EQ(run_maintenance(agent.io(), false, start_wait()), ctl_exit::unreachable);
  EXPECT_NE(agent.err.str().find("cannot reach fbfd"), std::string::npos);
}

TEST(RunMaintenance, TimeoutGivesUpWithExit1) {
  FakeAgent agent;
  for (int i = 0; i < 20; ++i) agent.ok(status({svc("web", "draining", 30.0 - i * 0.2)}));
  auto cmd = start_wait();
  cmd.timeout = std::chrono::milliseconds(500);
  EXPECT_EQ(run_maintenance(agent.io(), false, cmd), ctl_exit::refused);
  EXPECT_EQ(agent.err.str(), "fbfctl: gave up after 500ms waiting for drained: web (draining)\n");
  // 200 + 200 + 100: the last pause ends at the deadline, not after it.
  EXPECT_EQ(agent.sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(200),
                                                                  std::chrono::milliseconds(200),
                                                                  std::chrono::milliseconds(100)}));
}

TEST(RunMaintenance, StoppedByAnotherFbfctlIsExit1) {
  FakeAgent agent;
  agent.ok(status({svc("web", "draining", 30.0)}));
  agent.ok(status({svc("web", "restoring", 30.0)}));
  EXPECT_EQ(run_maintenance(agent.io(), false, start_wait()), ctl_exit::refused);
  EXPECT_NE(agent.err.str().find("went restoring"), std::string::npos) << agent.err.str();
}

TEST(RunMaintenance, StopWaitReturnsWhenActive) {
  FakeAgent agent;
  agent.ok(status({svc("web", "restoring", 30.0)}));
  agent.ok(status({svc("web", "active")}));
  MaintenanceCommand cmd;
  cmd.start = false;
  cmd.wait = true;
  EXPECT_EQ(run_maintenance(agent.io(), false, cmd), ctl_exit::ok);
  EXPECT_EQ(agent.requests[0].command, "maintenance stop");
  EXPECT_EQ(agent.out.str(), "web: restoring, 30s left\nweb: active\ndone: web is active\n");
}

}  // namespace
}  // namespace fbf::agent
