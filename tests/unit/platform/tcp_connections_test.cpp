// inet_diag connection counts (maintenance `drain_connections`), over
// loopback addresses no other test uses.
#include "platform/tcp_connections.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "platform/unique_fd.h"

namespace fbf::platform {
namespace {

Prefix ip(const char* s) { return *Prefix::parse(s); }

sockaddr_in v4(const char* addr, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, addr, &sa.sin_addr);
  return sa;
}

std::uint16_t port_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// A listener on `server` and n connections to it from `client`.
struct Connections {
  UniqueFd listener;
  std::vector<UniqueFd> clients, accepted;
};

Connections open_connections(int listen_family, const char* server, const char* client, int n) {
  Connections c;
  c.listener = UniqueFd(::socket(listen_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listen_family == AF_INET) {
    auto sa = v4(server, 0);
    EXPECT_EQ(::bind(c.listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  } else {
    int off = 0;  // dual-stack: IPv4 clients arrive as ::ffff:a.b.c.d
    ::setsockopt(c.listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    EXPECT_EQ(::bind(c.listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  }
  EXPECT_EQ(::listen(c.listener.get(), 16), 0);
  const auto port = port_of(c.listener.get());
  for (int i = 0; i < n; ++i) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    auto from = v4(client, 0);
    EXPECT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
    auto to = v4(server, port);
    EXPECT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    c.accepted.emplace_back(::accept4(c.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    EXPECT_TRUE(c.accepted.back());
    c.clients.push_back(std::move(s));
  }
  return c;
}

TEST(TcpConnections, CountsEstablishedConnectionsByLocalAddress) {
  const Prefix server = ip("127.0.33.1"), client = ip("127.0.33.2");
  auto before = count_established_tcp(std::vector{server});
  ASSERT_TRUE(before) << before.error();
  EXPECT_EQ(*before, 0u);
  {
    auto c = open_connections(AF_INET, "127.0.33.1", "127.0.33.2", 3);
    EXPECT_EQ(count_established_tcp(std::vector{server}).value_or(99), 3u);
    EXPECT_EQ(count_established_tcp(std::vector{client}).value_or(99),
              3u);  // the clients' ends
    EXPECT_EQ(count_established_tcp(std::vector{server, client}).value_or(99), 6u);
    EXPECT_EQ(count_established_tcp(std::vector{ip("127.0.33.9")}).value_or(99), 0u);
    EXPECT_EQ(count_established_tcp(std::vector{ip("127.0.33.0/30")}).value_or(99), 6u);
    EXPECT_EQ(count_established_tcp(std::vector{ip("127.0.33.0/31")}).value_or(99), 3u);
    // The listener is not an established connection.
    c.accepted.pop_back();
    c.clients.pop_back();
    EXPECT_EQ(count_established_tcp(std::vector{server}).value_or(99), 2u);
  }
  EXPECT_EQ(count_established_tcp(std::vector{server}).value_or(99), 0u);
}

TEST(TcpConnections, Ipv4OnADualStackSocketCountsAsIpv4) {
  auto c = open_connections(AF_INET6, "127.0.34.1", "127.0.34.2", 2);
  EXPECT_EQ(count_established_tcp(std::vector{ip("127.0.34.1")}).value_or(99), 2u);
}

TEST(TcpConnections, NoAddressesNoCount) { EXPECT_EQ(count_established_tcp({}).value_or(99), 0u); }

}  // namespace
}  // namespace fbf::platform
