// Echo payload codec, the IP/UDP framing around it, and the echo timing
// arithmetic (RFC 5880 §5, §6.8.5, §6.8.9; RFC 5881 §4).
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "bfd/echo.h"
#include "bfd/echo_frame.h"

namespace fbf::bfd {
namespace {

const EchoPacket kEcho{0x0a0b0c0d, 0xfffffffe, 0x0102030405060708ull, 0x1122334455667788ull};

TEST(EchoCodec, RoundTripsEveryField) {
  const auto wire = encode_echo(kEcho);
  EXPECT_EQ(wire[0], 'f');
  EXPECT_EQ(wire[3], 'E');
  EXPECT_EQ(wire[4], kEchoVersion);
  EXPECT_EQ(wire[8], 0x0a);   // My Discriminator, network order
  EXPECT_EQ(wire[31], 0x88);  // cookie, last octet
  auto back = decode_echo(wire);
  ASSERT_TRUE(back) << to_string(back.error());
  EXPECT_EQ(*back, kEcho);
}

TEST(EchoCodec, RefusesShortForeignAndMalformedPayloads) {
  auto wire = encode_echo(kEcho);
  EXPECT_EQ(decode_echo(std::span(wire).first(31)).error(), EchoDecodeError::too_short);
  // FRR bfdd's echo: ver 1, len 24, reserved, discriminator, time: not ours.
  std::array<std::uint8_t, 32> frr{1, 24, 0, 0, 0, 0, 0, 7};
  EXPECT_EQ(decode_echo(frr).error(), EchoDecodeError::not_ours);
  EXPECT_FALSE(is_fbf_echo(frr));
  auto bad_version = wire;
  bad_version[4] = 2;
  EXPECT_EQ(decode_echo(bad_version).error(), EchoDecodeError::bad_version);
  auto zero = encode_echo(EchoPacket{0, 1, 2, 3});
  EXPECT_EQ(decode_echo(zero).error(), EchoDecodeError::zero_discriminator);
}

TEST(EchoTiming, IntervalIsTheGreaterOfOursAndThePeersAndZeroWhenEitherIsZero) {
  EXPECT_EQ(echo_transmit_interval(20'000, 50'000), 50'000u);  // §6.8.9 MUST NOT be less
  EXPECT_EQ(echo_transmit_interval(80'000, 50'000), 80'000u);
  EXPECT_EQ(echo_transmit_interval(20'000, 0), 0u);  // peer will not loop echoes back
  EXPECT_EQ(echo_transmit_interval(0, 50'000), 0u);  // we send none
  EXPECT_EQ(echo_detection_time(3, 50'000), 150'000u);
  EXPECT_EQ(echo_detection_time(255, 4'294'967'295u), 255ull * 4'294'967'295ull);
}

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

TEST(EchoFrame, Ipv4RoundTripWithValidChecksums) {
  const auto payload = encode_echo(kEcho);
  std::array<std::uint8_t, kMaxEchoFrameSize> buf{};
  const std::size_t n =
      build_udp_frame(ip("192.0.2.1"), ip("192.0.2.1"), 255, kEchoPort, kEchoPort, payload, buf);
  ASSERT_EQ(n, 20u + 8u + 32u);
  EXPECT_EQ(buf[0], 0x45);
  EXPECT_EQ(buf[8], 255);  // TTL
  EXPECT_EQ(buf[9], 17);   // UDP
  auto f = parse_udp_frame(std::span(buf).first(n));
  ASSERT_TRUE(f) << to_string(f.error());
  EXPECT_EQ(f->source, ip("192.0.2.1"));
  EXPECT_EQ(f->destination, ip("192.0.2.1"));
  EXPECT_EQ(f->ttl, 255);
  EXPECT_EQ(f->source_port, kEchoPort);
  EXPECT_EQ(f->destination_port, kEchoPort);
  EXPECT_EQ(decode_echo(f->payload).value(), kEcho);
}

TEST(EchoFrame, KnownIpv4HeaderChecksum) {
  // The classic example header 4500 0073 0000 4000 4011 b861 c0a8 0001
  // c0a8 00c7 has checksum b861 with TOS 0; ours carries TOS 0xc0, which
  // adds 0x00c0 to the sum: ~(~0xb861 + 0xc0) = 0xb7a1.
  std::array<std::uint8_t, 0x73> buf{};
  std::vector<std::uint8_t> payload(0x73 - 28, 0);
  const std::size_t n = build_udp_frame(ip("192.168.0.1"), ip("192.168.0.199"), 64, 1, 2,
                                        payload, buf);
  ASSERT_EQ(n, 0x73u);
  EXPECT_EQ(buf[10], 0xb7);
  EXPECT_EQ(buf[11], 0xa1);
}

TEST(EchoFrame, CorruptionIsDetected) {
  const auto payload = encode_echo(kEcho);
  std::array<std::uint8_t, kMaxEchoFrameSize> buf{};
  const std::size_t n =
      build_udp_frame(ip("192.0.2.1"), ip("192.0.2.1"), 255, kEchoPort, kEchoPort, payload, buf);
  auto header = buf;
  header[12] ^= 1;  // source address
  EXPECT_EQ(parse_udp_frame(std::span(header).first(n)).error(), FrameError::bad_checksum);
  auto body = buf;
  body[n - 1] ^= 1;  // payload: the UDP checksum catches it
  EXPECT_EQ(parse_udp_frame(std::span(body).first(n)).error(), FrameError::bad_checksum);
  EXPECT_EQ(parse_udp_frame(std::span(buf).first(10)).error(), FrameError::too_short);
  auto tcp = buf;
  tcp[9] = 6;
  EXPECT_FALSE(parse_udp_frame(std::span(tcp).first(n)));
  auto fragment = buf;
  fragment[6] = 0x20;  // MF
  EXPECT_FALSE(parse_udp_frame(std::span(fragment).first(n)));
}

TEST(EchoFrame, Ipv6RoundTripWithMandatoryUdpChecksum) {
  const auto payload = encode_echo(kEcho);
  std::array<std::uint8_t, kMaxEchoFrameSize> buf{};
  const std::size_t n = build_udp_frame(ip("2001:db8::1"), ip("2001:db8::1"), 255, kEchoPort,
                                        kEchoPort, payload, buf);
  ASSERT_EQ(n, 40u + 8u + 32u);
  EXPECT_EQ(buf[0] >> 4, 6);
  EXPECT_EQ(buf[7], 255);  // Hop Limit
  auto f = parse_udp_frame(std::span(buf).first(n));
  ASSERT_TRUE(f) << to_string(f.error());
  EXPECT_EQ(f->source, ip("2001:db8::1"));
  EXPECT_EQ(decode_echo(f->payload).value(), kEcho);
  EXPECT_NE(buf[40 + 6] | buf[40 + 7], 0);  // UDP checksum present
  buf[n - 1] ^= 0xff;
  EXPECT_EQ(parse_udp_frame(std::span(buf).first(n)).error(), FrameError::bad_checksum);
}

TEST(EchoFrame, RefusesMixedFamiliesAndSmallBuffers) {
  std::array<std::uint8_t, kMaxEchoFrameSize> buf{};
  const auto payload = encode_echo(kEcho);
  EXPECT_EQ(build_udp_frame(ip("192.0.2.1"), ip("2001:db8::1"), 255, 1, 2, payload, buf), 0u);
  EXPECT_EQ(build_udp_frame(ip("192.0.2.1"), ip("192.0.2.1"), 255, 1, 2, payload,
                            std::span(buf).first(59)),
            0u);
}

TEST(EchoFrame, ForwardHopDecrementsTtlAndKeepsChecksumsValid) {
  const auto payload = encode_echo(kEcho);
  for (const char* a : {"198.51.100.7", "2001:db8:1::7"}) {
    std::array<std::uint8_t, kMaxEchoFrameSize> buf{};
    const std::size_t n = build_udp_frame(ip(a), ip(a), 255, kEchoPort, kEchoPort, payload, buf);
    auto packet = std::span(buf).first(n);
    ASSERT_TRUE(forward_hop(packet)) << a;
    auto f = parse_udp_frame(packet);
    ASSERT_TRUE(f) << a << ": " << to_string(f.error());  // RFC 1624 update is right
    EXPECT_EQ(f->ttl, 254) << a;
    for (int i = 0; i < 253; ++i) ASSERT_TRUE(forward_hop(packet));
    EXPECT_EQ(parse_udp_frame(packet)->ttl, 1);
    EXPECT_TRUE(parse_udp_frame(packet)) << a;
    EXPECT_FALSE(forward_hop(packet)) << a;  // a router drops TTL 1
    EXPECT_EQ(parse_udp_frame(packet)->ttl, 1);
  }
}

}  // namespace
}  // namespace fbf::bfd
