// The health-check probers and the ServiceHealth adapter on a real event
// loop against loopback servers run by the test itself (TCP listener, evhttp
// server, UDP DNS responder) and real child processes. The loop is driven
// until the awaited thing happens, with a deadline, never slept through.
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/checks/dns_message.h"
#include "agent/checks/make_prober.h"
#include "agent/checks/probe_dns.h"
#include "agent/checks/probe_exec.h"
#include "agent/checks/probe_http.h"
#include "agent/checks/probe_tcp.h"
#include "agent/checks/service_health.h"
#include "platform/event.h"
#include "platform/tcp.h"
#include "platform/udp.h"

namespace fbf::agent::checks {
namespace {

using namespace std::chrono_literals;
using platform::Endpoint;
using platform::IpAddress;
using platform::UniqueFd;
namespace fs = std::filesystem;

const IpAddress kLoopback = *IpAddress::parse("127.0.0.1");

class ProberTest : public ::testing::Test {
 protected:
  // Runs the loop until `done()` or `limit` passes; false on the deadline.
  // The loop wakes at least every millisecond, so `done()` may also look at
  // things outside it (files, /proc, other processes).
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    platform::Timer wake(base_.get(), [] {});
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      wake.arm(1ms);
      event_base_loop(base_.get(), EVLOOP_ONCE);
    }
    return true;
  }

  // One probe to its result (or nullopt after `limit`). Also checks the
  // contract that `done` never runs inside start().
  std::optional<ProbeResult> probe(Prober& p, std::chrono::milliseconds limit = 5s) {
    std::optional<ProbeResult> got;
    int calls = 0;
    p.start([&](ProbeResult r) {
      ++calls;
      got = std::move(r);
    });
    EXPECT_EQ(calls, 0) << "done ran inside start()";
    run_until([&] { return got.has_value(); }, limit);
    // Exactly once: nothing more turns up.
    event_base_loop(base_.get(), EVLOOP_NONBLOCK);
    EXPECT_LE(calls, 1);
    return got;
  }

  platform::EventBasePtr base_ = platform::make_event_base();
};

// A port nothing listens on: bound, read, closed.
std::uint16_t closed_tcp_port() {
  auto fd = platform::listen_tcp({.family = platform::Family::v4, .bind_address = kLoopback});
  EXPECT_TRUE(fd);
  return platform::tcp_local_endpoint(fd->get())->port;
}

// ---------------------------------------------------------------- tcp

TEST_F(ProberTest, TcpConnectsToListeningPort) {
  auto listener = platform::listen_tcp({.family = platform::Family::v4, .bind_address = kLoopback});
  ASSERT_TRUE(listener);
  const Endpoint target{kLoopback, platform::tcp_local_endpoint(listener->get())->port};
  TcpProber p(base_.get(), target);
  EXPECT_EQ(p.describe(), "tcp 127.0.0.1:" + std::to_string(target.port));
  const auto r = probe(p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->detail;
  EXPECT_EQ(r->detail, "connected");
  // Again on the same prober.
  const auto again = probe(p);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->ok);
}

TEST_F(ProberTest, TcpFailsOnClosedPort) {
  TcpProber p(base_.get(), {kLoopback, closed_tcp_port()});
  const auto r = probe(p);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->detail.find("refused"), std::string::npos) << r->detail;
}

TEST_F(ProberTest, TcpCancelStopsTheProbe) {
  auto listener = platform::listen_tcp({.family = platform::Family::v4, .bind_address = kLoopback});
  ASSERT_TRUE(listener);
  TcpProber p(base_.get(), {kLoopback, platform::tcp_local_endpoint(listener->get())->port});
  bool called = false;
  p.start([&](ProbeResult) { called = true; });
  EXPECT_NE(p.cancel(), "");
  EXPECT_FALSE(run_until([&] { return called; }, 50ms));
  EXPECT_EQ(p.cancel(), "");  // nothing running any more
}

// ---------------------------------------------------------------- http

class HttpProberTest : public ProberTest {
 protected:
  void SetUp() override {
    http_ = evhttp_new(base_.get());
    ASSERT_NE(http_, nullptr);
    evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
    ASSERT_NE(bound, nullptr);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ASSERT_EQ(getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&ss),
                          &len),
              0);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    evhttp_set_gencb(http_, &HttpProberTest::handle, this);
  }
  void TearDown() override { evhttp_free(http_); }

  static void handle(evhttp_request* req, void* self) {
    auto* t = static_cast<HttpProberTest*>(self);
    const std::string uri = evhttp_request_get_uri(req);
    t->uris_.push_back(uri);
    const char* host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    t->hosts_.push_back(host ? host : "");
    evbuffer* body = evbuffer_new();
    if (uri.starts_with("/ok")) {
      evbuffer_add_printf(body, "all good\nsecond line\n");
      evhttp_send_reply(req, 200, "OK", body);
    } else if (uri.starts_with("/down")) {
      evbuffer_add_printf(body, "maintenance");
      evhttp_send_reply(req, 503, "Service Unavailable", body);
    } else {
      evhttp_send_reply(req, 404, "Not Found", body);
    }
    evbuffer_free(body);
  }

  std::unique_ptr<Prober> http(const std::string& path, std::vector<int> expect = {200}) {
    HealthCheck c;
    c.type = CheckType::http;
    c.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    c.expect_status = std::move(expect);
    return make_prober(base_.get(), c);
  }

  evhttp* http_ = nullptr;
  std::uint16_t port_ = 0;
  std::vector<std::string> uris_, hosts_;
};

TEST_F(HttpProberTest, Status200IsHealthy) {
  auto p = http("/ok/healthz?full=1");
  EXPECT_EQ(p->describe(), "http http://127.0.0.1:" + std::to_string(port_) + "/ok/healthz?full=1");
  const auto r = probe(*p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->detail;
  EXPECT_EQ(r->detail, "HTTP 200 OK: all good");
  ASSERT_EQ(uris_.size(), 1U);
  EXPECT_EQ(uris_[0], "/ok/healthz?full=1");
  EXPECT_EQ(hosts_[0], "127.0.0.1:" + std::to_string(port_));
  // A second probe on a fresh connection.
  const auto again = probe(*p);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->ok);
  EXPECT_EQ(uris_.size(), 2U);
}

TEST_F(HttpProberTest, Status503IsAFailure) {
  auto p = http("/down");
  const auto r = probe(*p);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->detail, "HTTP 503 Service Unavailable: maintenance");
}

TEST_F(HttpProberTest, ExpectStatusList) {
  auto down_ok = http("/down", {200, 503});
  auto r = probe(*down_ok);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->detail;
  auto ok_not_listed = http("/ok", {204, 404});
  r = probe(*ok_not_listed);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  auto missing = http("/nothing", {204, 404});
  r = probe(*missing);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->detail;
  EXPECT_EQ(r->detail.substr(0, 8), "HTTP 404");
}

TEST_F(HttpProberTest, RefusedConnectionIsAFailure) {
  HealthCheck c;
  c.type = CheckType::http;
  c.url = "http://127.0.0.1:" + std::to_string(closed_tcp_port()) + "/";
  auto p = make_prober(base_.get(), c);
  const auto r = probe(*p);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_FALSE(r->detail.empty());
}

TEST_F(HttpProberTest, CancelledRequestNeverReports) {
  auto p = http("/ok");
  bool called = false;
  p->start([&](ProbeResult) { called = true; });
  EXPECT_NE(p->cancel(), "");
  EXPECT_FALSE(run_until([&] { return called; }, 50ms));
}

// ---------------------------------------------------------------- dns

// A UDP responder on loopback answering per `mode`, built on the test's loop.
class DnsResponder {
 public:
  enum class Mode { answer, nxdomain, nodata, silent, strays_first };

  explicit DnsResponder(event_base* base) {
    auto fd = platform::open_udp(
        {.family = platform::Family::v4, .bind_address = kLoopback, .receive_metadata = false});
    EXPECT_TRUE(fd);
    fd_ = std::move(*fd);
    port_ = platform::local_endpoint(fd_.get())->port;
    watch_ = std::make_unique<platform::FdWatch>(base, fd_.get(), EV_READ,
                                                 [this](short) { on_query(); });
  }

  std::uint16_t port() const { return port_; }
  Mode mode = Mode::answer;
  int queries = 0;

 private:
  void on_query() {
    std::uint8_t buf[512];
    while (true) {
      auto got = platform::receive_datagram(fd_.get(), buf);
      if (!got || !*got) return;
      ++queries;
      const std::vector<std::uint8_t> q((*got)->payload.begin(), (*got)->payload.end());
      const Endpoint from = (*got)->source;
      if (q.size() < dns::kHeaderSize + 5 || mode == Mode::silent) continue;
      if (mode == Mode::strays_first) {
        // Each would fail the probe if it were taken as the answer.
        auto wrong_id = reply(q, 3, 0);
        wrong_id[1] ^= 0x55;
        send(wrong_id, from);
        auto other_question = reply(q, 3, 0);
        other_question[12 + 1] ^= 0x01;  // first letter of the name
        send(other_question, from);
        send({0x01, 0x02, 0x03}, from);  // not DNS at all
      }
      switch (mode) {
        case Mode::answer:
        case Mode::strays_first: send(reply(q, 0, 1), from); break;
        case Mode::nxdomain: send(reply(q, 3, 0), from); break;
        case Mode::nodata: send(reply(q, 0, 0), from); break;
        case Mode::silent: break;
      }
    }
  }

  // Header + the query's question + `answers` records of the question's type.
  static std::vector<std::uint8_t> reply(const std::vector<std::uint8_t>& q, std::uint8_t rcode,
                                         std::uint8_t answers) {
    // Same id, QR + RD, RA + rcode, QDCOUNT 1, ANCOUNT, then the question.
    std::vector<std::uint8_t> r = {q[0], q[1], 0x81, static_cast<std::uint8_t>(0x80 | rcode),
                                   0,    1,    0,    answers, 0, 0, 0, 0};
    r.insert(r.end(), q.begin() + dns::kHeaderSize, q.end());
    const std::uint8_t type_hi = q[q.size() - 4], type_lo = q[q.size() - 3];
    for (int i = 0; i < answers; ++i) {
      const std::uint8_t rr[] = {0xc0, 0x0c, type_hi, type_lo, 0, 1,    0, 0, 0x0e,
                                 0x10, 0,    4,     192,     0, 2, 1};
      r.insert(r.end(), std::begin(rr), std::end(rr));
    }
    return r;
  }

  void send(const std::vector<std::uint8_t>& bytes, const Endpoint& to) {
    EXPECT_TRUE(platform::send_datagram(fd_.get(), bytes, to));
  }

  UniqueFd fd_;
  std::uint16_t port_ = 0;
  std::unique_ptr<platform::FdWatch> watch_;
};

class DnsProberTest : public ProberTest {
 protected:
  std::unique_ptr<Prober> dns(const std::string& query = "example.org",
                              const std::string& type = "SOA") {
    HealthCheck c;
    c.type = CheckType::dns;
    c.target = "127.0.0.1:" + std::to_string(server_.port());
    c.query = query;
    c.query_type = type;
    return make_prober(base_.get(), c);
  }
  DnsResponder server_{base_.get()};
};

TEST_F(DnsProberTest, NoErrorWithAnswerIsHealthy) {
  auto p = dns("Example.ORG.", "A");
  EXPECT_EQ(p->describe(), "dns 127.0.0.1:" + std::to_string(server_.port()) + " A Example.ORG.");
  const auto r = probe(*p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->detail;
  EXPECT_EQ(r->detail, "NOERROR, 1 A record");
  EXPECT_EQ(server_.queries, 1);
}

TEST_F(DnsProberTest, NxdomainIsAFailure) {
  server_.mode = DnsResponder::Mode::nxdomain;
  auto p = dns();
  const auto r = probe(*p);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->detail, "NXDOMAIN");
}

TEST_F(DnsProberTest, NoErrorWithoutAnswerIsAFailure) {
  server_.mode = DnsResponder::Mode::nodata;
  auto p = dns();
  const auto r = probe(*p);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->detail, "NOERROR, no SOA record");
}

TEST_F(DnsProberTest, StrayDatagramsAreIgnored) {
  server_.mode = DnsResponder::Mode::strays_first;
  auto p = dns();
  const auto r = probe(*p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->detail;
}

TEST_F(DnsProberTest, NoAnswerWaitsForTheCoresTimeout) {
  server_.mode = DnsResponder::Mode::silent;
  auto p = dns();
  const auto r = probe(*p, 200ms);
  EXPECT_FALSE(r) << "a silent server must not produce a result: " << r->detail;
  EXPECT_EQ(server_.queries, 1);  // no retransmission
  EXPECT_EQ(p->cancel(), "no answer from 127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(DnsProberTest, UnusableQueryFailsEveryProbe) {
  auto p = dns("a..b");
  const auto r = probe(*p);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->detail.find("empty label"), std::string::npos) << r->detail;
  EXPECT_EQ(server_.queries, 0);
}

// ---------------------------------------------------------------- exec

class ExecProberTest : public ProberTest {
 protected:
  // A helper the check leaves behind is reparented to us, not to init, so we
  // can see that it was killed (and reap it: init in a container may not).
  void SetUp() override { ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
  // Every test leaves no child behind, not even a zombie, once the loop has
  // run a little: the probers (destroyed by now) must have had them reaped.
  void TearDown() override {
    EXPECT_TRUE(run_until(no_children)) << "children left unreaped";
    prctl(PR_SET_CHILD_SUBREAPER, 0);
  }

  // Looked at with WNOWAIT: the test must not reap the probers' children itself.
  static bool no_children() {
    siginfo_t info{};
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
  }

  std::optional<ProbeResult> run(std::vector<std::string> argv) {
    ExecProber p(base_.get(), std::move(argv));
    return probe(p);
  }

  // Gone and reaped: not even a zombie is left.
  static bool reaped(pid_t pid) {
    return kill(pid, 0) == -1 && errno == ESRCH && waitpid(pid, nullptr, WNOHANG) == -1 &&
           errno == ECHILD;
  }

  // Waits for `pid` (reparented to us) to end; its wait status.
  std::optional<int> wait_orphan(pid_t pid) {
    std::optional<int> status;
    run_until([&] {
      int s = 0;
      if (waitpid(pid, &s, WNOHANG) == pid) status = s;
      return status.has_value();
    });
    return status;
  }

  std::string temp_file() {
    char tmpl[] = "/tmp/fbf-exec-test-XXXXXX";
    const int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    close(fd);
    files_.emplace_back(tmpl);
    return tmpl;
  }
  ~ExecProberTest() override {
    for (const auto& f : files_) fs::remove(f);
  }

  // Runs the loop until `path` holds a pid; that pid.
  pid_t pid_in(const std::string& path) {
    pid_t pid = 0;
    run_until([&] {
      std::ifstream in(path);
      return static_cast<bool>(in >> pid);
    });
    return pid;
  }

  std::vector<std::string> files_;
};

TEST_F(ExecProberTest, TrueIsHealthy) {
  const auto r = run({"/bin/true"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->detail, "exit 0");
}

TEST_F(ExecProberTest, FalseIsAFailure) {
  const auto r = run({"/bin/false"});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->detail, "exit 1");
}

TEST_F(ExecProberTest, FirstLineOfOutputIsTheDetail) {
  auto r = run({"/bin/sh", "-c", "echo hi; echo more; exit 3"});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->detail, "exit 3: hi");
  // stderr shares the pipe.
  r = run({"/bin/sh", "-c", "echo 'db ok' >&2"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->detail, "exit 0: db ok");
}

TEST_F(ExecProberTest, PathLookupAndNoShell) {
  // argv[0] without '/' is looked up in PATH; the arguments reach the
  // program as they are, with no shell to expand them.
  const auto r = run({"echo", "$HOME", "*"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->detail, "exit 0: $HOME *");
}

TEST_F(ExecProberTest, ExecFailureIsReported) {
  const auto r = run({"/nonexistent/check", "--x"});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->detail, "cannot execute /nonexistent/check: No such file or directory");
}

TEST_F(ExecProberTest, KilledBySignalIsAFailure) {
  const auto r = run({"/bin/sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->detail, "killed by signal 15");
}

TEST_F(ExecProberTest, OnlyStdioReachesTheChild) {
  // A descriptor of ours without close-on-exec must not leak into the check.
  int leaky[2];
  ASSERT_EQ(pipe(leaky), 0);
  const std::string fd = std::to_string(leaky[1]);
  const auto r = run({"/bin/sh", "-c",
                      "if [ -e /proc/self/fd/" + fd + " ]; then echo leaked; exit 1; fi; "
                      "readlink /proc/self/fd/0; exit 0"});
  close(leaky[0]);
  close(leaky[1]);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->detail;
  EXPECT_EQ(r->detail, "exit 0: /dev/null");
}

TEST_F(ExecProberTest, LotsOfOutputDoesNotBlockTheChild) {
  // Far more than a pipe holds: the prober must keep reading.
  const auto r = run({"/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo; exit 0"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->detail;
  EXPECT_EQ(r->detail, "exit 0: " + std::string(200, 'x'));
}

TEST_F(ExecProberTest, CancelKillsAndReapsTheWholeGroup) {
  const std::string pidfile = temp_file();
  ExecProber p(base_.get(), {"/bin/sh", "-c", "sleep 30 & echo $! > " + pidfile + "; wait"});
  bool called = false;
  p.start([&](ProbeResult) { called = true; });
  const pid_t leader = p.pid();
  ASSERT_GT(leader, 0);
  const pid_t helper = pid_in(pidfile);
  ASSERT_GT(helper, 0);
  EXPECT_EQ(getpgid(helper), leader);  // the check's own process group

  EXPECT_EQ(p.cancel(), "no output");
  EXPECT_EQ(p.pid(), -1);
  // The leader is reaped from the loop (no blocking wait), the helper killed.
  EXPECT_TRUE(run_until([&] { return reaped(leader); })) << "leader left as a zombie";
  const auto status = wait_orphan(helper);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
  EXPECT_TRUE(kill(-leader, 0) == -1 && errno == ESRCH) << "process group still there";
  EXPECT_FALSE(called);
}

TEST_F(ExecProberTest, HangingSleepIsCancelledAndReaped) {
  ExecProber p(base_.get(), {"sleep", "30"});
  bool called = false;
  p.start([&](ProbeResult) { called = true; });
  const pid_t pid = p.pid();
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(run_until([&] { return called; }, 30ms));
  EXPECT_EQ(p.cancel(), "no output");
  EXPECT_TRUE(run_until([&] { return reaped(pid); })) << "zombie left";
  EXPECT_FALSE(called);
}

TEST_F(ExecProberTest, DestroyedMidProbeLeavesNoZombie) {
  const std::string pidfile = temp_file();
  auto p = std::make_unique<ExecProber>(
      base_.get(), std::vector<std::string>{"/bin/sh", "-c",
                                            "echo started; sleep 30 & echo $! > " + pidfile +
                                                "; wait"});
  p->start([](ProbeResult) { ADD_FAILURE() << "done after destruction"; });
  const pid_t leader = p->pid();
  const pid_t helper = pid_in(pidfile);
  ASSERT_GT(helper, 0);
  p.reset();
  EXPECT_TRUE(run_until([&] { return reaped(leader); })) << "leader left as a zombie";
  const auto status = wait_orphan(helper);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

TEST_F(ExecProberTest, HelpersLeftBehindAreKilledWhenTheCheckExits) {
  // The helper keeps the output pipe open, so no EOF: SIGCHLD must finish the probe.
  const auto start = std::chrono::steady_clock::now();
  ExecProber p(base_.get(), {"/bin/sh", "-c", "sleep 30 & echo $!; exit 0"});
  const auto r = probe(p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ASSERT_TRUE(r->detail.starts_with("exit 0: ")) << r->detail;
  const pid_t helper = std::stoi(r->detail.substr(8));
  const auto status = wait_orphan(helper);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

TEST_F(ExecProberTest, CancelReturnsOutputSoFar) {
  ExecProber p(base_.get(), {"/bin/sh", "-c", "echo 'waiting for db'; exec sleep 30"});
  bool called = false;
  p.start([&](ProbeResult) { called = true; });
  const pid_t pid = p.pid();
  // Until the line has been written (the child's pipe is readable and read).
  run_until([&] {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    return (in >> comm) && comm == "sleep";
  });
  EXPECT_EQ(p.cancel(), "waiting for db");
  EXPECT_TRUE(run_until([&] { return reaped(pid); }));
}

TEST_F(ExecProberTest, Describe) {
  ExecProber p(base_.get(), {"/usr/local/bin/check", "--x", "y"});
  EXPECT_EQ(p.describe(), "exec /usr/local/bin/check --x y");
}

// ---------------------------------------------------------------- ServiceHealth

class ServiceHealthTest : public ExecProberTest {
 protected:
  // Generous timeouts unless a test is about them: fork and exec of a test
  // binary on a loaded machine can take tens of milliseconds; a high `fall`
  // keeps such a hiccup from turning into a verdict change.
  static ServiceConfig exec_service(std::vector<std::string> argv, int rise = 2, int fall = 100,
                                    Duration interval = Duration(100),
                                    Duration timeout = Duration(90)) {
    ServiceConfig s;
    s.name = "web";
    HealthCheck c;
    c.type = CheckType::exec;
    c.command = std::move(argv);
    c.interval = interval;
    c.timeout = timeout;
    c.rise = rise;
    c.fall = fall;
    s.check = c;
    return s;
  }
  ServiceHealth::OnVerdict record() {
    return [this](const VerdictChanged& v) { changes_.push_back(v); };
  }
  std::vector<VerdictChanged> changes_;
};

TEST_F(ServiceHealthTest, NoCheckIsHealthyAtStart) {
  ServiceConfig s;
  s.name = "plain";
  ServiceHealth h(base_.get(), s, record());
  EXPECT_EQ(h.describe(), "none");
  EXPECT_EQ(h.verdict(), Verdict::starting);
  h.start();
  ASSERT_EQ(changes_.size(), 1U);  // synchronously
  EXPECT_EQ(changes_[0].to, Verdict::healthy);
  EXPECT_EQ(h.verdict(), Verdict::healthy);
  const auto j = h.show();
  EXPECT_EQ(j["verdict"], "healthy");
  EXPECT_EQ(j["check"], "none");
  EXPECT_TRUE(j["disable_file"].is_null());
  EXPECT_TRUE(j["last_change_ago_ms"].is_number());
  EXPECT_EQ(j["counters"]["probes_started"], 0);
}

TEST_F(ServiceHealthTest, ExecCheckRisesToHealthy) {
  ServiceHealth h(base_.get(), exec_service({"/bin/true"}), record());
  EXPECT_EQ(h.describe(), "exec /bin/true");
  h.start();
  ASSERT_TRUE(run_until([&] { return h.verdict() == Verdict::healthy; }));
  ASSERT_EQ(changes_.size(), 1U);
  EXPECT_EQ(changes_[0].from, Verdict::starting);
  EXPECT_EQ(changes_[0].reason, "2 consecutive successes (exit 0)");
  const auto j = h.show();
  EXPECT_EQ(j["verdict"], "healthy");
  EXPECT_EQ(j["probe_verdict"], "healthy");
  EXPECT_EQ(j["disabled"], false);
  EXPECT_EQ(j["check"], "exec /bin/true");
  EXPECT_EQ(j["last_result"], "ok");
  EXPECT_EQ(j["detail"], "exit 0");
  EXPECT_EQ(j["consecutive_ok"], 2);
  EXPECT_EQ(j["consecutive_failed"], 0);
  EXPECT_GE(j["latency_ms"].get<double>(), 0.0);
  EXPECT_GE(j["counters"]["probes_ok"].get<int>(), 2);
  EXPECT_EQ(j["interval_ms"], 100.0);
  EXPECT_EQ(j["timeout_ms"], 90.0);
}

TEST_F(ServiceHealthTest, TimeoutKillsTheCheckAndFails) {
  auto h = std::make_unique<ServiceHealth>(
      base_.get(), exec_service({"sleep", "30"}, 2, 1, Duration(20), Duration(15)), record());
  h->start();
  ASSERT_TRUE(run_until([&] { return h->verdict() == Verdict::failing; }));
  EXPECT_EQ(changes_.back().reason, "1 failure (timed out after 15ms)");
  EXPECT_EQ(h->core().counters().last_detail, "timed out after 15ms: no output");
  EXPECT_EQ(h->core().counters().probes_timed_out, 1U);
  h.reset();
  // Every child it started is reaped once the loop has run a little.
  EXPECT_TRUE(run_until(no_children)) << "children left unreaped";
}

TEST_F(ServiceHealthTest, DisableFileHoldsTheService) {
  const std::string file = temp_file();  // exists
  ServiceConfig s = exec_service({"/bin/true"});
  s.disable_file = file;
  ServiceHealth h(base_.get(), s, record());
  h.start();
  ASSERT_EQ(changes_.size(), 1U);
  EXPECT_EQ(changes_[0].to, Verdict::disabled);
  // Probing goes on underneath.
  ASSERT_TRUE(run_until([&] { return h.core().probe_verdict() == Verdict::healthy; }));
  EXPECT_EQ(h.verdict(), Verdict::disabled);
  EXPECT_EQ(h.show()["disabled"], true);
  EXPECT_EQ(h.show()["disable_file"], file);
  EXPECT_EQ(h.show()["verdict"], "disabled");
  EXPECT_EQ(h.show()["probe_verdict"], "healthy");
  fs::remove(file);
  ASSERT_TRUE(run_until([&] { return h.verdict() == Verdict::healthy; }));
  ASSERT_EQ(changes_.size(), 2U);
  EXPECT_EQ(changes_[1].from, Verdict::disabled);
  EXPECT_EQ(changes_[1].reason, "disable file removed; probes say healthy");
}

TEST_F(ServiceHealthTest, PreviousInstanceSeedsVerdictAndTotals) {
  auto old = std::make_unique<ServiceHealth>(base_.get(), exec_service({"/bin/true"}), record());
  old->start();
  ASSERT_TRUE(run_until([&] { return old->verdict() == Verdict::healthy; }));
  const auto started = old->core().counters().probes_started;
  changes_.clear();
  // A reload changes the check; the service must not flap.
  ServiceHealth now(base_.get(), exec_service({"/bin/false"}, 2, 3), record(), old.get());
  old.reset();
  EXPECT_EQ(now.verdict(), Verdict::healthy);
  EXPECT_EQ(now.core().counters().probes_started, started);
  now.start();
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(now.core().counters().probes_started, started + 1);
  ASSERT_TRUE(run_until([&] { return now.verdict() == Verdict::failing; }));
  EXPECT_EQ(now.core().consecutive_failed(), 3);
  ASSERT_EQ(changes_.size(), 1U);
  EXPECT_EQ(changes_[0].from, Verdict::healthy);
}

}  // namespace
}  // namespace fbf::agent::checks
