// TCP seam over loopback: connect/accept, TTL and MD5 options.
#include "platform/tcp.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace fbf::platform {
namespace {

IpAddress loopback() { return *IpAddress::parse("127.0.0.1"); }

bool wait(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 2000) == 1;
}

std::optional<std::pair<UniqueFd, Endpoint>> accept_one(int listen_fd) {
  if (!wait(listen_fd, POLLIN)) return std::nullopt;
  auto got = accept_tcp(listen_fd);
  if (!got || !*got) return std::nullopt;
  return std::move(**got);
}

int int_option(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  ::getsockopt(fd, level, name, &v, &len);
  return v;
}

TEST(Tcp, ConnectsAndAcceptsWithTtl) {
  auto l = listen_tcp({.bind_address = loopback()});
  ASSERT_TRUE(l) << l.error().what;
  auto port = tcp_local_endpoint(l->get())->port;
  auto c = start_connect({.bind_address = loopback(), .ttl = 2}, {loopback(), port}, "");
  ASSERT_TRUE(c) << c.error().what;
  auto accepted = accept_one(l->get());
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->second.address, loopback());
  ASSERT_TRUE(wait(c->get(), POLLOUT));
  EXPECT_TRUE(connect_result(c->get()));
  EXPECT_EQ(int_option(c->get(), IPPROTO_IP, IP_TTL), 2);
}

TEST(Tcp, ConnectionRefusedIsReported) {
  auto l = listen_tcp({.bind_address = loopback()});
  auto port = tcp_local_endpoint(l->get())->port;
  l->reset();  // nobody listens there now
  auto c = start_connect({}, {loopback(), port}, "");
  ASSERT_TRUE(c);
  ASSERT_TRUE(wait(c->get(), POLLOUT));
  auto r = connect_result(c->get());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errno_value, ECONNREFUSED);
}

TEST(Tcp, GtsmSetsMinTtl) {
  auto l = listen_tcp({.bind_address = loopback(), .ttl = 255, .min_ttl = 255});
  ASSERT_TRUE(l);
  EXPECT_EQ(int_option(l->get(), IPPROTO_IP, IP_MINTTL), 255);
  EXPECT_EQ(int_option(l->get(), IPPROTO_IP, IP_TTL), 255);
}

TEST(Tcp, Md5MismatchNeverConnects) {
  // Listener expects a key for 127.0.0.1; a client without one is ignored by
  // the kernel (RFC 2385 §2.0), so the connect never completes.
  auto l = listen_tcp({.bind_address = loopback()});
  ASSERT_TRUE(l);
  ASSERT_TRUE(set_md5_key(l->get(), loopback(), "s3cret"));
  auto port = tcp_local_endpoint(l->get())->port;
  auto bad = start_connect({}, {loopback(), port}, "");
  ASSERT_TRUE(bad);
  pollfd p{l->get(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 300), 0);
  // With the same key it connects.
  auto good = start_connect({}, {loopback(), port}, "s3cret");
  ASSERT_TRUE(good) << good.error().what;
  EXPECT_TRUE(accept_one(l->get()));
}

TEST(Tcp, OverlongMd5KeyFailsClosed) {
  auto l = listen_tcp({.bind_address = loopback()});
  auto r = set_md5_key(l->get(), loopback(), std::string(81, 'k'));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("longer than 80"), std::string::npos);
}

}  // namespace
}  // namespace fbf::platform
