// The BGP receive path must swallow a full table cheaply (issue 4): how many
// prefixes and bytes per second summarize_update() walks.
//
//   cmake --build build-bgp --target bgp_update_bench
//   build-bgp/bench/bgp_update_bench --benchmark_min_time=1
//
// "packed": one UPDATE, one attribute set, 800 IPv4 /24s (as a table dump
// packs them); "realistic": 4 prefixes, ORIGIN, AS_PATH of 5, NEXT_HOP, MED
// and 3 communities; "packed_v6": MP_REACH_NLRI with /48s. decode_update (the
// full decoder with vectors) is there for comparison only.
#include <benchmark/benchmark.h>

#include <vector>

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

BENCHMARK(BM_SummarizePacked);
BENCHMARK(BM_SummarizeRealistic);
BENCHMARK(BM_SummarizePackedV6);
BENCHMARK(BM_FullDecodePacked);

}  // namespace
}  // namespace fbf::bgp
