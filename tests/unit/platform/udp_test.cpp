// UDP seam over loopback: metadata BFD's transport relies on.
#include "platform/udp.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <thread>

namespace fbf::platform {
namespace {

std::optional<Datagram> wait_for(int fd, std::span<std::uint8_t> buf) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 2000) != 1) return std::nullopt;
  auto got = receive_datagram(fd, buf);
  return got ? *got : std::nullopt;
}

TEST(Udp, ReportsTtlDestinationAndInterfaceOnIPv4) {
  auto rx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1")});
  ASSERT_TRUE(rx) << rx.error().what;
  auto rx_ep = local_endpoint(rx->get());
  ASSERT_TRUE(rx_ep);
  auto tx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1"),
                      .send_ttl = 255, .receive_metadata = false});
  ASSERT_TRUE(tx) << tx.error().what;
  const std::array<std::uint8_t, 3> payload{1, 2, 3};
  ASSERT_TRUE(send_datagram(tx->get(), payload, *rx_ep));
  std::array<std::uint8_t, 64> buf{};
  auto d = wait_for(rx->get(), buf);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->payload.size(), 3u);
  EXPECT_EQ(d->payload[2], 3);
  EXPECT_EQ(d->ttl, 255);
  ASSERT_TRUE(d->destination);
  EXPECT_EQ(d->destination->to_string(), "127.0.0.1");
  EXPECT_EQ(d->interface_index, interface_index("lo"));
  EXPECT_EQ(d->source.port, local_endpoint(tx->get())->port);
}

TEST(Udp, SendTtlIsWhatTheReceiverSees) {
  auto rx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1")});
  auto tx = open_udp({.family = Family::v4, .send_ttl = 254, .receive_metadata = false});
  ASSERT_TRUE(rx && tx);
  const std::array<std::uint8_t, 1> payload{9};
  ASSERT_TRUE(send_datagram(tx->get(), payload, *local_endpoint(rx->get())));
  std::array<std::uint8_t, 64> buf{};
  auto d = wait_for(rx->get(), buf);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ttl, 254);
}

// What the receiver would see in the IP header: the socket's class (the
// BFD transmit sockets use CS6, as the raw path's frames carry).
TEST(Udp, TrafficClassIsSetOnBothFamilies) {
  auto v4 = open_udp({.family = Family::v4, .traffic_class = 0xc0, .receive_metadata = false});
  auto v6 = open_udp({.family = Family::v6, .traffic_class = 0xc0, .receive_metadata = false});
  auto plain = open_udp({.family = Family::v4, .receive_metadata = false});
  ASSERT_TRUE(v4 && v6 && plain);
  int tos = -1, tclass = -1, plain_tos = -1;
  socklen_t len = sizeof(int);
  ASSERT_EQ(::getsockopt(v4->get(), IPPROTO_IP, IP_TOS, &tos, &len), 0);
  len = sizeof(int);
  ASSERT_EQ(::getsockopt(v6->get(), IPPROTO_IPV6, IPV6_TCLASS, &tclass, &len), 0);
  len = sizeof(int);
  ASSERT_EQ(::getsockopt(plain->get(), IPPROTO_IP, IP_TOS, &plain_tos, &len), 0);
  EXPECT_EQ(tos, 0xc0);
  EXPECT_EQ(tclass, 0xc0);
  EXPECT_EQ(plain_tos, 0);
}

TEST(Udp, ReportsHopLimitOnIPv6) {
  auto rx = open_udp({.family = Family::v6, .bind_address = IpAddress::parse("::1")});
  auto tx = open_udp({.family = Family::v6, .bind_address = IpAddress::parse("::1"),
                      .receive_metadata = false});
  if (!rx && rx.error().errno_value == EADDRNOTAVAIL) GTEST_SKIP() << "no IPv6 loopback";
  ASSERT_TRUE(rx && tx);
  const std::array<std::uint8_t, 2> payload{7, 7};
  ASSERT_TRUE(send_datagram(tx->get(), payload, *local_endpoint(rx->get())));
  std::array<std::uint8_t, 64> buf{};
  auto d = wait_for(rx->get(), buf);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ttl, 255);
  EXPECT_EQ(d->destination->to_string(), "::1");
  EXPECT_EQ(d->source.address.to_string(), "::1");
}

TEST(Udp, NothingQueuedIsNotAnError) {
  auto rx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1")});
  ASSERT_TRUE(rx);
  std::array<std::uint8_t, 16> buf{};
  auto got = receive_datagram(rx->get(), buf);
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
}

TEST(Udp, BindErrorsNameTheAddress) {
  auto a = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1")});
  ASSERT_TRUE(a);
  auto port = local_endpoint(a->get())->port;
  auto b = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1"),
                     .port = port});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().errno_value, EADDRINUSE);
  EXPECT_NE(b.error().what.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  auto c = open_udp({.family = Family::v6, .bind_address = IpAddress::parse("127.0.0.1")});
  EXPECT_FALSE(c);
}

// The BFD transmit path: a connected socket sends without an address, and a
// port-unreachable error left by an earlier packet costs no datagram.
TEST(Udp, ConnectedSendSurvivesAQueuedPortUnreachable) {
  // A port nobody listens on: bind, note the port, close.
  Endpoint closed;
  {
    auto probe = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1")});
    ASSERT_TRUE(probe);
    closed = *local_endpoint(probe->get());
  }
  auto tx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1"),
                      .receive_metadata = false});
  ASSERT_TRUE(tx);
  ASSERT_TRUE(connect_udp(tx->get(), closed));
  const std::array<std::uint8_t, 3> payload{7, 8, 9};
  ASSERT_TRUE(send_connected(tx->get(), payload));  // answered by ICMP port unreachable
  // Wait for the error to be queued on the socket (loopback: at once).
  pollfd p{tx->get(), POLLERR, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  // Now someone listens there; the next send must arrive despite the error.
  auto rx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1"),
                      .port = closed.port});
  ASSERT_TRUE(rx) << rx.error().what;
  ASSERT_TRUE(send_connected(tx->get(), payload));
  std::array<std::uint8_t, 64> buf{};
  auto d = wait_for(rx->get(), buf);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->payload.size(), 3u);
  EXPECT_EQ(d->source.port, local_endpoint(tx->get())->port);
}

// Batched receive: several datagrams in one call, fewer than capacity means
// the socket was drained, and nothing queued is an empty batch.
TEST(Udp, BatchReceivesEverythingQueued) {
  auto rx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1"),
                      .receive_buffer = 1 << 20});
  ASSERT_TRUE(rx);
  const Endpoint to = *local_endpoint(rx->get());
  auto tx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1"),
                      .send_ttl = 255, .receive_metadata = false});
  ASSERT_TRUE(tx);
  DatagramBatch batch(4, 128);
  auto none = batch.receive(rx->get());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  for (std::uint8_t i = 0; i < 6; ++i) {
    const std::array<std::uint8_t, 2> payload{i, i};
    ASSERT_TRUE(send_datagram(tx->get(), payload, to));
  }
  pollfd p{rx->get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  auto first = batch.receive(rx->get());
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 4u);  // capacity: more may be queued
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*first)[i].payload[0], i);
    EXPECT_EQ((*first)[i].ttl, 255);
    EXPECT_EQ((*first)[i].destination, IpAddress::parse("127.0.0.1"));
  }
  auto rest = batch.receive(rx->get());
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2u);  // fewer than capacity: drained
  EXPECT_EQ((*rest)[1].payload[0], 5);
}

// Arrival times (receive_timestamp): when the kernel took the datagram in,
// on the monotonic clock — before it was read, here 30 ms before; both
// receive paths. Without the option, none.
TEST(Udp, ArrivalTimeIsWhenTheKernelReceivedTheDatagram) {
  using namespace std::chrono_literals;
  using Clock = std::chrono::steady_clock;
  auto rx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1"),
                      .receive_timestamp = true});
  auto plain = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1")});
  auto tx = open_udp({.family = Family::v4, .bind_address = IpAddress::parse("127.0.0.1"),
                      .receive_metadata = false});
  ASSERT_TRUE(rx && plain && tx);
  const std::array<std::uint8_t, 1> payload{7};
  // The first timestamping socket of the host turns the kernel's receive
  // stamps on from a work queue (net_enable_timestamp): until that has run,
  // a datagram is stamped when it is read. Wait for a stamp taken on arrival.
  std::array<std::uint8_t, 64> warm{};
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(send_datagram(tx->get(), payload, *local_endpoint(rx->get())));
    std::this_thread::sleep_for(5ms);
    auto d = wait_for(rx->get(), warm);
    ASSERT_TRUE(d && d->arrived);
    if (Clock::now() - *d->arrived >= 4ms) break;
  }
  for (int round = 0; round < 2; ++round) {
    const auto before = Clock::now();
    ASSERT_TRUE(send_datagram(tx->get(), payload, *local_endpoint(rx->get())));
    ASSERT_TRUE(send_datagram(tx->get(), payload, *local_endpoint(plain->get())));
    pollfd p{rx->get(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 2000), 1);
    const auto queued = Clock::now();  // delivered by now
    std::this_thread::sleep_for(30ms);
    std::array<std::uint8_t, 64> buf{};
    std::optional<Datagram> d;
    if (round == 0) {
      d = wait_for(rx->get(), buf);
    } else {
      DatagramBatch batch(4, 64);
      auto got = batch.receive(rx->get());
      ASSERT_TRUE(got);
      ASSERT_EQ(got->size(), 1u);
      d = (*got)[0];
    }
    const auto read = Clock::now();
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->arrived) << "round " << round;
    // The two clocks are read a few µs apart: 1 ms of slack.
    EXPECT_GE(*d->arrived, before - 1ms) << "round " << round;
    EXPECT_LE(*d->arrived, queued + 1ms) << "round " << round;
    EXPECT_GE(read - *d->arrived, 29ms) << "round " << round;
    auto other = wait_for(plain->get(), buf);
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->arrived);
  }
}

}  // namespace
}  // namespace fbf::platform
