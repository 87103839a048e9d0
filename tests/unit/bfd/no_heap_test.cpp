// The per-packet path allocates nothing: decode, verify (SHA1), on_packet,
// on_timer, encode_signed. Counts global operator new (replaced for this
// test binary) and OpenSSL's allocator (hooked before main, while OpenSSL
// has not allocated yet).
// GCC 12 sees the malloc inside the replaced operator new and then flags
// every matching delete as "mismatched" (a false positive for replacements).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <gtest/gtest.h>

#include <openssl/crypto.h>

#include <cstdlib>
#include <new>
#include <vector>

#include "bfd_test_support.h"

namespace {

bool g_counting = false;
long g_allocations = 0;

void* crypto_malloc(std::size_t n, const char*, int) {
  if (g_counting) ++g_allocations;
  return std::malloc(n);
}
void* crypto_realloc(void* p, std::size_t n, const char*, int) {
  if (g_counting) ++g_allocations;
  return std::realloc(p, n);
}
void crypto_free(void* p, const char*, int) { std::free(p); }

const bool g_crypto_hooked = CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free);

}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace fbf::bfd {
namespace {

using namespace test;

TEST(NoHeap, ReceiveAndTransmitWithSha1) {
  ASSERT_TRUE(g_crypto_hooked) << "OpenSSL allocated before main; cannot count its allocations";
  const std::vector<std::uint8_t> key = {'k', 'e', 'y'};
  const auto auth = *make_auth_config(AuthType::MeticulousKeyedSha1, 1, key);
  SessionConfig config = fast_config();
  config.auth = auth;
  FixedRandom random;
  Session s(config, random);
  s.start(kT0);
  TimePoint t = kT0;
  std::uint32_t sequence = 1;

  auto cycle = [&](State peer_state) {
    // What the adapter does per received and per sent packet.
    ControlPacket p = peer_packet(peer_state);
    p.auth = make_auth_section(auth, sequence++);
    PacketBuffer wire;
    wire.size = *encode_signed(p, auth, wire.storage);
    auto decoded = decode(wire.bytes());
    Actions actions = s.on_packet(t, *decoded, RxMeta{wire.bytes(), 255});
    t += 100ms;
    Actions timer = s.on_timer(t, TimerKind::Transmit);
    for (const Actions* list : {&actions, &timer}) {
      for (const auto& a : *list) {
        if (const auto* tx = std::get_if<Transmit>(&a)) {
          PacketBuffer out;
          out.size = *encode_signed(tx->packet, s.auth(), out.storage);
        }
      }
    }
  };

  g_allocations = 0;
  g_counting = true;
  cycle(State::Down);  // -> Init
  cycle(State::Up);    // -> Up
  for (int i = 0; i < 100; ++i) cycle(State::Up);
  g_counting = false;
  EXPECT_EQ(g_allocations, 0);
  EXPECT_EQ(s.variables().SessionState, State::Up);
  EXPECT_EQ(s.counters().auth_failures, 0u);
}

}  // namespace
}  // namespace fbf::bfd
