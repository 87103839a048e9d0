// The control server over a real unix socket in a temporary directory, driven
// by running the event loop until the client has its reply.
#include "agent/control_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include "platform/event.h"
#include "platform/unique_fd.h"

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

  fs::path dir_, path_;
  platform::EventBasePtr base_ = platform::make_event_base();
  Metrics metrics_;
  CommandTable commands_;
};

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

}  // namespace
}  // namespace fbf::agent
