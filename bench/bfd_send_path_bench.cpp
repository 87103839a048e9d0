// What one wake-up's BFD Control packets cost to send, by way of sending
// (bfd/io/service.cpp picks per event): k packets through k connected UDP
// sockets, one send(2) each, against the same k packets built with their
// IP/UDP headers and sent through a raw socket in one sendmmsg
// (platform/raw_ip.h). A connected socket keeps its route; the raw socket
// looks it up for every packet, which is why a wake-up with a single packet
// sends it from its session's socket, and from two packets on the batch
// wins by saving system calls. CPU time per iteration is this thread's,
// kernel included (loopback delivers in the sender's context, the same for
// both ways).
//
//   cmake --build BUILD --target bfd_send_path_bench
//   sudo BUILD/bench/bfd_send_path_bench     # the raw socket needs CAP_NET_RAW
//
// Traffic stays on loopback: 127.0.0.1 to a receiver on 127.0.0.2.

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bfd/echo_frame.h"
#include "bfd/packet.h"
#include "platform/raw_ip.h"
#include "platform/udp.h"

namespace {

using fbf::platform::Endpoint;
using fbf::platform::Family;
using fbf::platform::UniqueFd;

fbf::platform::IpAddress loopback(const char* text) { return *fbf::platform::IpAddress::parse(text); }

// An Up Control packet without authentication (24 bytes, RFC 5880 §4.1), as
// a session at 50 ms sends it.
fbf::bfd::PacketBuffer control_packet() {
  fbf::bfd::ControlPacket p;
  p.state = fbf::bfd::State::Up;
  p.detect_mult = 3;
  p.my_discriminator = 1;
  p.your_discriminator = 2;
  p.desired_min_tx_interval = 50'000;
  p.required_min_rx_interval = 50'000;
  return *fbf::bfd::encode(p);
}
const fbf::bfd::PacketBuffer kPacket = control_packet();

struct Wire {
  UniqueFd receiver;
  Endpoint to;
  std::vector<UniqueFd> senders;  // connected to `to`, each its own source port
  std::vector<Endpoint> sources;

  bool open(std::size_t k, benchmark::State& state) {
    auto rx = fbf::platform::open_udp({.family = Family::v4,
                                       .bind_address = loopback("127.0.0.2"),
                                       .receive_buffer = 4 << 20});
    if (!rx) return fail(state, rx.error().what);
    receiver = std::move(*rx);
    auto at = fbf::platform::local_endpoint(receiver.get());
    if (!at) return fail(state, at.error().what);
    to = *at;
    for (std::size_t i = 0; i < k; ++i) {
      auto tx = fbf::platform::open_udp({.family = Family::v4,
                                         .bind_address = loopback("127.0.0.1"),
                                         .send_ttl = 255});
      if (!tx) return fail(state, tx.error().what);
      if (auto c = fbf::platform::connect_udp(tx->get(), to); !c) return fail(state, c.error().what);
      auto local = fbf::platform::local_endpoint(tx->get());
      if (!local) return fail(state, local.error().what);
      sources.push_back(*local);
      senders.push_back(std::move(*tx));
    }
    return true;
  }

  // Empties the receiver now and then, the same for both ways of sending.
  void drain() {
    while (true) {
      auto got = fbf::platform::receive_datagram(receiver.get(), buffer);
      if (!got || !*got) return;
    }
  }

  static bool fail(benchmark::State& state, const std::string& why) {
    state.SkipWithError(why.c_str());
    return false;
  }

  std::array<std::uint8_t, 256> buffer{};
};

constexpr int kDrainEvery = 64;

void BM_ConnectedSockets(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  Wire wire;
  if (!wire.open(k, state)) return;
  int n = 0;
  for (auto _ : state) {
    for (const UniqueFd& fd : wire.senders) {
      if (!fbf::platform::send_connected(fd.get(), kPacket.bytes())) {
        state.SkipWithError("send failed");
        return;
      }
    }
    if (++n % kDrainEvery == 0) wire.drain();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k));
}

void BM_RawSocketBatch(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  Wire wire;
  if (!wire.open(k, state)) return;
  auto raw = fbf::platform::RawIpSender::open(64);
  if (!raw) {
    state.SkipWithError(("raw socket (needs CAP_NET_RAW): " + raw.error().what).c_str());
    return;
  }
  int n = 0;
  std::array<std::uint8_t, fbf::platform::RawIpSender::kMaxPacket> frame{};
  for (auto _ : state) {
    for (const Endpoint& from : wire.sources) {
      // Built per packet, as the service does (the headers differ per session).
      const std::size_t len = fbf::bfd::build_udp_frame(
          from.address, wire.to.address, 255, from.port, wire.to.port, kPacket.bytes(), frame);
      if (len == 0 || !(*raw)->queue(std::span(frame.data(), len), wire.to, 0)) {
        state.SkipWithError("the raw socket did not take the packet");
        return;
      }
    }
    if ((*raw)->flush().failed != 0) {
      state.SkipWithError("sendmmsg refused a packet");
      return;
    }
    if (++n % kDrainEvery == 0) wire.drain();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k));
}

}  // namespace

BENCHMARK(BM_ConnectedSockets)->Arg(1)->Arg(2)->Arg(8);
BENCHMARK(BM_RawSocketBatch)->Arg(1)->Arg(2)->Arg(8);
