// The control server over a real unix socket in a temporary directory, driven
// by running the event loop until the client has its reply.
#include "agent/control_server.h"

#include <event2/event.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "platform/event.h"
#include "platform/unique_fd.h"
#include "tests/unit/forked_child.h"

namespace fbf::agent {
namespace {

using platform::UniqueFd;
namespace fs = std::filesystem;

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fbf-control-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ / "run" / "fbfd.sock";
    commands_.add("show status", [](const json&) -> CommandResult { return json{{"up", true}}; });
    commands_.add("reload", [this](const json&) -> CommandResult {
      ++reloads_;
      return json{{"applied", true}};
    });
    commands_.add("maintenance start", [this](const json&) -> CommandResult {
      ++maintenance_starts_;
      return json::object();
    });
    commands_.add("maintenance status", [](const json&) -> CommandResult {
      return json{{"phase", "active"}};
    });
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<ControlServer> start() {
    auto s = ControlServer::start(base_.get(), path_, commands_, metrics_);
    EXPECT_TRUE(s) << (s ? "" : s.error());
    return s ? std::move(*s) : nullptr;
  }

  UniqueFd connect_client() {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strcpy(sun.sun_path, path_.c_str());
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
    return fd;
  }

  void send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (sent < data.size() && std::chrono::steady_clock::now() < deadline) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<std::size_t>(n);
      else if (n < 0 && errno != EAGAIN) break;  // server closed on us
      event_base_loop(base_.get(), EVLOOP_NONBLOCK);
    }
  }

  // Runs the loop until a full line arrives, the peer closes, or 5 s pass.
  std::string read_line(int fd, bool* closed = nullptr) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      event_base_loop(base_.get(), EVLOOP_NONBLOCK);
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) got.append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN)) {
        if (closed) *closed = true;
        break;
      }
      if (got.find('\n') != std::string::npos) break;
    }
    return got;
  }

  std::uint64_t denied() { return metrics_.counter("fbf_control_denied_total", "", {}).value(); }

  fs::path dir_, path_;
  platform::EventBasePtr base_ = platform::make_event_base();
  Metrics metrics_;
  CommandTable commands_;
  std::atomic<int> reloads_{0}, maintenance_starts_{0};
};

// Collects what fbfd logs while alive (spdlog's default logger), for tests
// that check a line was written.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)),
        saved_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::trace);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(saved_); }
  std::string text() const {
    std::string out;
    for (const auto& line : sink_->last_formatted()) out += line;
    return out;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> saved_;
};

// The server's event loop on a thread of its own while the test's main
// thread waits for a forked child (run_in_child blocks in waitpid). The loop
// is only touched from that thread until join.
class LoopThread {
 public:
  explicit LoopThread(event_base* base) : base_(base) {
    thread_ = std::thread([this] {
      while (!stop_.load()) event_base_loop(base_, EVLOOP_NONBLOCK);  // polls the client fds
    });
  }
  ~LoopThread() {
    stop_ = true;
    thread_.join();
  }

 private:
  event_base* base_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// In a forked child: becomes uid/gid 65534 ("nobody") with exactly `groups`
// as supplementary groups, then connects to `path`.
UniqueFd connect_as_nobody(const fs::path& path, const std::vector<gid_t>& groups) {
  if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(65534) != 0 ||
      ::setuid(65534) != 0) {
    ADD_FAILURE() << "cannot become uid 65534: " << std::strerror(errno);
    return UniqueFd();
  }
  EXPECT_EQ(::getuid(), 65534u);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strcpy(sun.sun_path, path.c_str());
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0)
      << std::strerror(errno);
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Blocking: sends one request line and reads its one-line reply.
json ask(int fd, const std::string& request) {
  const std::string line = request + "\n";
  EXPECT_EQ(::send(fd, line.data(), line.size(), MSG_NOSIGNAL), static_cast<ssize_t>(line.size()));
  std::string got;
  char c;
  while (::recv(fd, &c, 1, 0) == 1 && c != '\n') got += c;
  auto doc = json::parse(got, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << "reply: " << got;
  return doc;
}

TEST_F(ControlServerTest, CreatesParentAndSocketWithMode0660) {
  auto server = start();
  ASSERT_TRUE(server);
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(ControlServerTest, AnswersRequestsAndRemovesSocketOnDestruction) {
  auto server = start();
  auto fd = connect_client();
  send_all(fd.get(), "{\"command\":\"show status\"}\n");
  auto reply = read_line(fd.get());
  EXPECT_EQ(reply, "{\"ok\":true,\"result\":{\"up\":true}}\n");
  // Several requests on one connection, in order.
  send_all(fd.get(), "{\"command\":\"show status\",\"id\":1}\n{\"command\":\"nope\",\"id\":2}\n");
  std::string both = read_line(fd.get());
  while (std::count(both.begin(), both.end(), '\n') < 2) both += read_line(fd.get());
  EXPECT_NE(both.find("\"id\":1"), std::string::npos);
  EXPECT_NE(both.find("unknown_command"), std::string::npos);
  EXPECT_EQ(metrics_.counter("fbf_control_requests_total", "", {{"result", "ok"}}).value(), 2u);
  server.reset();
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(ControlServerTest, MalformedRequestGetsErrorAndClose) {
  auto server = start();
  auto fd = connect_client();
  send_all(fd.get(), "this is not json\n");
  bool closed = false;
  auto reply = read_line(fd.get(), &closed);
  EXPECT_NE(reply.find("malformed_request"), std::string::npos);
  if (!closed) read_line(fd.get(), &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(server->clients(), 0u);
}

TEST_F(ControlServerTest, OversizedLineIsRefusedWithoutBufferingIt) {
  auto server = start();
  auto fd = connect_client();
  send_all(fd.get(), std::string(1024 * 1024, 'x'));  // 1 MiB, no newline
  bool closed = false;
  std::string reply = read_line(fd.get(), &closed);
  EXPECT_NE(reply.find("request_too_long"), std::string::npos) << reply.substr(0, 200);
  EXPECT_EQ(metrics_.counter("fbf_control_rejected_total", "", {{"reason", "too_long"}}).value(),
            1u);
  // The server still serves others.
  auto other = connect_client();
  send_all(other.get(), "{\"command\":\"show status\"}\n");
  EXPECT_NE(read_line(other.get()).find("\"ok\":true"), std::string::npos);
}

TEST_F(ControlServerTest, ManyClientsAtOnce) {
  auto server = start();
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(connect_client());
  for (auto& c : clients) send_all(c.get(), "{\"command\":\"show status\"}\n");
  for (auto& c : clients) EXPECT_NE(read_line(c.get()).find("\"ok\":true"), std::string::npos);
  EXPECT_EQ(server->clients(), 20u);
}

TEST_F(ControlServerTest, ReplacesAStaleSocketFile) {
  fs::create_directories(path_.parent_path());
  {
    // A socket bound and closed without unlink: what a crashed fbfd leaves.
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strcpy(sun.sun_path, path_.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
  }
  ASSERT_TRUE(fs::exists(path_));
  EXPECT_TRUE(start());
}

TEST_F(ControlServerTest, RefusesToStealALiveSocket) {
  auto first = start();
  ASSERT_TRUE(first);
  auto second = ControlServer::start(base_.get(), path_, commands_, metrics_);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("another fbfd is answering"), std::string::npos);
  EXPECT_TRUE(fs::exists(path_));
}

TEST_F(ControlServerTest, NeverDeletesARegularFile) {
  fs::create_directories(path_.parent_path());
  std::ofstream(path_) << "precious";
  auto s = ControlServer::start(base_.get(), path_, commands_, metrics_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("not a socket"), std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(path_));
}

TEST(MayChangeAgent, RootOwnUidOrTheSocketGroup) {
  platform::PeerCredentials peer{.uid = 1000, .gid = 1000, .pid = 42, .groups = {1000, 27}};
  EXPECT_FALSE(may_change_agent(peer, 998, 998));
  EXPECT_FALSE(may_change_agent(peer, 998, std::nullopt));
  EXPECT_TRUE(may_change_agent(peer, 998, 27));     // a supplementary group
  EXPECT_TRUE(may_change_agent(peer, 998, 1000));   // the primary group
  EXPECT_TRUE(may_change_agent(peer, 1000, 998));   // fbfd's own uid
  peer.groups.clear();
  EXPECT_TRUE(may_change_agent(peer, 998, 1000));   // primary group, no SO_PEERGROUPS
  EXPECT_FALSE(may_change_agent(peer, 998, 27));
  platform::PeerCredentials root{.uid = 0, .gid = 0, .pid = 1, .groups = {}};
  EXPECT_TRUE(may_change_agent(root, 998, std::nullopt));
}

TEST_F(ControlServerTest, OwnUidMayChangeAndIsLogged) {
  LogCapture log;
  auto server = start();
  auto fd = connect_client();
  send_all(fd.get(), "{\"command\":\"reload\"}\n");
  EXPECT_EQ(read_line(fd.get()), "{\"ok\":true,\"result\":{\"applied\":true}}\n");
  EXPECT_EQ(reloads_, 1);
  EXPECT_EQ(denied(), 0u);
  EXPECT_NE(log.text().find("control: 'reload' from uid " + std::to_string(::geteuid()) +
                            " pid " + std::to_string(::getpid())),
            std::string::npos)
      << log.text();
  // Read-only requests are not logged one by one.
  send_all(fd.get(), "{\"command\":\"show status\"}\n");
  EXPECT_NE(read_line(fd.get()).find("\"ok\":true"), std::string::npos);
  EXPECT_EQ(log.text().find("'show status'"), std::string::npos);
}

TEST_F(ControlServerTest, ForeignUidOutsideTheGroupMayReadButNotChange) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the child switches to uid 65534";
  LogCapture log;
  auto server = start();
  ASSERT_TRUE(server);
  // Connectable by anyone (as a too-wide mode or an ACL would make it), and
  // the socket's group (root's) is not one of the child's.
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);
  ASSERT_EQ(::chown(path_.c_str(), 0, 0), 0);
  int pid_pipe[2];
  ASSERT_EQ(::pipe(pid_pipe), 0);
  UniqueFd pid_in(pid_pipe[0]), pid_out(pid_pipe[1]);
  {
    LoopThread loop(base_.get());
    EXPECT_TRUE(test::run_in_child(
        [&] {
          const pid_t me = ::getpid();
          EXPECT_EQ(::write(pid_out.get(), &me, sizeof me), static_cast<ssize_t>(sizeof me));
          auto fd = connect_as_nobody(path_, {65534});
          ASSERT_TRUE(fd);
          auto status = ask(fd.get(), R"({"command":"show status"})");
          EXPECT_EQ(status["ok"], true) << status.dump();
          auto maint = ask(fd.get(), R"({"command":"maintenance status"})");
          EXPECT_EQ(maint["ok"], true) << maint.dump();
          for (const char* cmd : {"reload", "maintenance start"}) {
            auto r = ask(fd.get(), std::string(R"({"command":")") + cmd + R"(","id":3})");
            EXPECT_EQ(r["ok"], false) << r.dump();
            EXPECT_EQ(r["id"], 3);
            EXPECT_EQ(r["error"]["code"], "permission_denied");
            EXPECT_EQ(r["error"]["message"].get<std::string>().rfind(
                          std::string("permission denied: uid 65534 may not run '") + cmd + "'",
                          0),
                      0u)
                << r.dump();
          }
          // The connection stays usable after a refusal.
          EXPECT_EQ(ask(fd.get(), R"({"command":"show status"})")["ok"], true);
        },
        test::Netns::inherit));
  }
  EXPECT_EQ(reloads_, 0);
  EXPECT_EQ(maintenance_starts_, 0);
  EXPECT_EQ(denied(), 2u);
  EXPECT_EQ(metrics_.counter("fbf_control_requests_total", "", {{"result", "error"}}).value(), 2u);
  EXPECT_EQ(metrics_.counter("fbf_control_requests_total", "", {{"result", "ok"}}).value(), 3u);
  pid_t child = 0;
  ASSERT_EQ(::read(pid_in.get(), &child, sizeof child), static_cast<ssize_t>(sizeof child));
  const std::string text = log.text();
  const std::string who = " to uid 65534 pid " + std::to_string(child) + " ";
  EXPECT_NE(text.find("warning control: denied 'reload'" + who), std::string::npos) << text;
  EXPECT_NE(text.find("warning control: denied 'maintenance start'" + who), std::string::npos)
      << text;
}

TEST_F(ControlServerTest, ForeignUidInTheSocketGroupMayChange) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the child switches to uid 65534";
  constexpr gid_t kGroup = 4242;  // the socket's group, as _fbf's group in production
  LogCapture log;
  auto server = start();
  ASSERT_TRUE(server);
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(::chown(path_.c_str(), 0, kGroup), 0);  // mode stays 0660
  {
    LoopThread loop(base_.get());
    EXPECT_TRUE(test::run_in_child(
        [&] {
          auto fd = connect_as_nobody(path_, {kGroup});
          ASSERT_TRUE(fd);
          auto r = ask(fd.get(), R"({"command":"reload"})");
          EXPECT_EQ(r["ok"], true) << r.dump();
          EXPECT_EQ(r["result"]["applied"], true);
        },
        test::Netns::inherit));
  }
  EXPECT_EQ(reloads_, 1);
  EXPECT_EQ(denied(), 0u);
  EXPECT_NE(log.text().find("info control: 'reload' from uid 65534 pid "), std::string::npos)
      << log.text();
}

}  // namespace
}  // namespace fbf::agent
