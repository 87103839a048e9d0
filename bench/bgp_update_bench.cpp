// The BGP receive path must swallow a full table cheaply (issue 4): how many
// prefixes and bytes per second it walks.
//
//   cmake --build build --target bgp_update_bench
//   build/bench/bgp_update_bench --benchmark_min_time=1
//
// Items/s are prefixes per second, bytes/s the UPDATE octets.
//
// One message at a time, summarize_update() (the per-UPDATE work):
// "packed": one UPDATE, one attribute set, 800 IPv4 /24s (as a table dump
// packs them); "realistic": 4 prefixes, ORIGIN, AS_PATH of 5, NEXT_HOP, MED
// and 3 communities; "packed_v6": MP_REACH_NLRI with /48s; "realistic_v6":
// 4 /48s in MP_REACH_NLRI. decode_update (the full decoder with vectors) is
// there for comparison only.
//
// A whole table through Session::on_bytes (BM_SessionReceive*): the shapes of
// bench/bgp_fulltable (bench/bgp_blaster/shapes.h: packed and realistic 1M
// IPv4, ipv6 200k), fed in 16 KiB chunks as libevent reads them, framing,
// FSM, summarize_update and counters included: the whole receive path except
// the socket.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/bgp_blaster/shapes.h"
#include "bgp/message.h"
#include "bgp/session.h"
#include "bgp/update.h"

namespace fbf::bgp {
namespace {

using platform::IpAddress;
using platform::Prefix;

Update base_update(int as_path_len) {
  Update u;
  u.attributes.origin = Origin::igp;
  std::vector<std::uint32_t> path;
  for (int i = 0; i < as_path_len; ++i) path.push_back(64500u + static_cast<std::uint32_t>(i));
  u.attributes.as_path = as_sequence(path);
  u.attributes.next_hop = IpAddress::parse("192.0.2.1");
  u.attributes.med = 10;
  u.attributes.communities = {0xfbf00001, 0xfbf00002, 0xfbf00003};
  return u;
}

Prefix v4_24(int i) {
  return *Prefix::make(IpAddress::v4({static_cast<std::uint8_t>(1 + i / 65536),
                                      static_cast<std::uint8_t>(i / 256),
                                      static_cast<std::uint8_t>(i), 0}),
                       24);
}

std::vector<std::uint8_t> packed_v4() {
  Update u = base_update(5);
  for (int i = 0; i < 800; ++i) u.nlri.push_back(v4_24(i));
  return *encode_update(u);  // 3,285 octets
}

std::vector<std::uint8_t> realistic() {
  Update u = base_update(5);
  for (int i = 0; i < 4; ++i) u.nlri.push_back(v4_24(i));
  return *encode_update(u);
}

std::vector<std::uint8_t> packed_v6() {
  Update u = base_update(5);
  u.attributes.next_hop.reset();
  MpReach reach{kIpv6Unicast, *IpAddress::parse("2001:db8::1"), std::nullopt, {}};
  for (int i = 0; i < 4096; ++i) {
    std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, static_cast<std::uint8_t>(i >> 8),
                                   static_cast<std::uint8_t>(i)};
    reach.nlri.push_back(*Prefix::make(IpAddress::v6(a), 48));
    u.attributes.mp_reach = reach;
    if (!encode_update(u)) {
      reach.nlri.pop_back();
      u.attributes.mp_reach = reach;
      break;
    }
  }
  return *encode_update(u);
}

std::vector<std::uint8_t> realistic_v6() {
  Update u = base_update(5);
  u.attributes.next_hop.reset();
  MpReach reach{kIpv6Unicast, *IpAddress::parse("2001:db8::1"), std::nullopt, {}};
  for (std::uint32_t i = 0; i < 4; ++i) reach.nlri.push_back(bench::table_prefix(platform::Family::v6, i));
  u.attributes.mp_reach = reach;
  return *encode_update(u);
}

void run_summary(benchmark::State& state, const std::vector<std::uint8_t>& m) {
  std::uint32_t prefixes = summarize_update(m).announced();
  if (summarize_update(m).action != ErrorAction::none) state.SkipWithError("invalid UPDATE");
  for (auto _ : state) {
    UpdateSummary s = summarize_update(m);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * prefixes);  // items = prefixes
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(m.size()));
  state.counters["prefixes/msg"] = prefixes;
  state.counters["bytes/msg"] = static_cast<double>(m.size());
}

void BM_SummarizePacked(benchmark::State& state) { run_summary(state, packed_v4()); }
void BM_SummarizeRealistic(benchmark::State& state) { run_summary(state, realistic()); }
void BM_SummarizePackedV6(benchmark::State& state) { run_summary(state, packed_v6()); }

void BM_SummarizeRealisticV6(benchmark::State& state) { run_summary(state, realistic_v6()); }

void BM_FullDecodePacked(benchmark::State& state) {
  std::vector<std::uint8_t> m = packed_v4();
  std::uint32_t prefixes = summarize_update(m).announced();
  for (auto _ : state) {
    DecodedUpdate d = decode_update(m);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * prefixes);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(m.size()));
}

// ---- a whole table through the session ----

class FixedRandom final : public Random {
 public:
  std::uint32_t next_u32() override { return 0x12345678; }
};

constexpr std::uint32_t kPeerAs = 65010;

// A session Established with a peer that offers IPv4 and IPv6 unicast and
// 4-octet AS, as bgp_blaster does.
Session established_session(Random& random, TimePoint now) {
  SessionConfig config;
  config.local_as = 65001;
  config.remote_as = kPeerAs;
  config.bgp_identifier = 0xc0000201;
  config.hold_time = 3;
  Session s(config, random);
  (void)s.start(now);
  (void)s.on_connected(now, Direction::outbound);
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  caps.four_octet_as = kPeerAs;
  auto open = encode_open(make_open(kPeerAs, 3, 0xc00002fe, caps));
  (void)s.on_bytes(now, Direction::outbound, open);
  auto keepalive = encode_keepalive();
  (void)s.on_bytes(now, Direction::outbound, keepalive);
  return s;
}

void run_table(benchmark::State& state, const char* shape_name) {
  const bench::Shape shape = *bench::shape_named(shape_name);
  const auto next_hop = shape.family == platform::Family::v4 ? *IpAddress::parse("192.0.2.0")
                                                             : *IpAddress::parse("2001:db8::1");
  const auto table = bench::encode_table(shape, {.local_as = kPeerAs, .next_hop = next_hop});
  if (!table) {
    state.SkipWithError("cannot encode the table");
    return;
  }
  constexpr std::size_t kChunk = 16 * 1024;  // libevent's default single read
  FixedRandom random;
  const TimePoint now{};
  for (auto _ : state) {
    state.PauseTiming();
    Session s = established_session(random, now);
    state.ResumeTiming();
    Bytes rest(table->bytes);
    while (!rest.empty()) {
      const std::size_t n = std::min(kChunk, rest.size());
      Actions a = s.on_bytes(now, Direction::outbound, rest.first(n));
      benchmark::DoNotOptimize(a);
      rest = rest.subspan(n);
    }
    const auto& c = s.counters();
    if (c.ipv4.announced + c.ipv6.announced != table->prefixes || s.state() != State::Established) {
      state.SkipWithError("the session did not count the whole table");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(table->prefixes));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(table->bytes.size()));
  state.counters["prefixes"] = static_cast<double>(table->prefixes);
  state.counters["updates"] = static_cast<double>(table->updates);
}

void BM_SessionReceivePacked(benchmark::State& state) { run_table(state, "packed"); }
void BM_SessionReceiveRealistic(benchmark::State& state) { run_table(state, "realistic"); }
void BM_SessionReceiveIpv6(benchmark::State& state) { run_table(state, "ipv6"); }

BENCHMARK(BM_SummarizePacked);
BENCHMARK(BM_SummarizeRealistic);
BENCHMARK(BM_SummarizePackedV6);
BENCHMARK(BM_SummarizeRealisticV6);
BENCHMARK(BM_FullDecodePacked);
BENCHMARK(BM_SessionReceivePacked)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SessionReceiveRealistic)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SessionReceiveIpv6)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fbf::bgp
