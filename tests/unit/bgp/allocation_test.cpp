// The receive path must not allocate per prefix (issue 4): summarize_update
// on a valid UPDATE makes no heap allocation at all. Counted by replacing the
// global operator new in this test program.
#include <atomic>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "bgp/update.h"
#include "bgp_test_util.h"

namespace {
std::atomic<long> g_allocations{0};
}

// The replacement pair is malloc/free on both sides; GCC cannot see that
// through the inlining and warns.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace fbf::bgp {
namespace {

TEST(ReceivePath, SummarizeUpdateDoesNotAllocate) {
  test::Buf nlri;
  for (int i = 0; i < 800; ++i) {
    nlri.insert(nlri.end(), {24, 10, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)});
  }
  test::Buf m = test::update({}, test::mandatory(), nlri);
  long before = g_allocations.load();
  UpdateSummary s = summarize_update(m);
  long after = g_allocations.load();
  EXPECT_EQ(s.ipv4_announced, 800u);
  EXPECT_EQ(s.action, ErrorAction::none);
  EXPECT_EQ(after - before, 0);

  // The full decoder does allocate (vectors), as documented.
  before = g_allocations.load();
  DecodedUpdate d = decode_update(m);
  EXPECT_GT(g_allocations.load() - before, 0);
  EXPECT_EQ(d.update.nlri.size(), 800u);
}

}  // namespace
}  // namespace fbf::bgp
