// ZeroedArray: all-zero values, and pages that become resident only when
// written (what keeps the BFD timer wheel and raw send queues, sized for
// thousands of sessions, from costing their full size with one session).
#include "platform/zeroed_array.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

namespace fbf::platform {
namespace {

// Pages of [data, data + bytes) that are resident, by mincore(2).
std::size_t resident_pages(const void* data, std::size_t bytes) {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data) / page * page;
  const auto end = reinterpret_cast<std::uintptr_t>(data) + bytes;
  std::vector<unsigned char> vec((end - begin + page - 1) / page);
  if (::mincore(reinterpret_cast<void*>(begin), end - begin, vec.data()) != 0) return SIZE_MAX;
  std::size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

TEST(ZeroedArray, PagesBecomeResidentOnlyWhenWritten) {
  constexpr std::size_t kCount = std::size_t{1} << 21;  // 16 MiB of uint64_t
  ZeroedArray<std::uint64_t> a(kCount);
  ASSERT_EQ(a.size(), kCount);
  const std::size_t bytes = kCount * sizeof(std::uint64_t);
  // The allocator's header may share the first page.
  EXPECT_LE(resident_pages(a.data(), bytes), 1u);
  a[0] = 1;
  a[kCount - 1] = 2;
  EXPECT_LE(resident_pages(a.data(), bytes), 2u);
  // What std::vector<std::uint64_t>(kCount) does instead: every page.
  std::vector<std::uint64_t> v(kCount);
  EXPECT_GE(resident_pages(v.data(), bytes), bytes / static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) - 1);
}

TEST(ZeroedArray, StartsAllZeroAndNull) {
  ZeroedArray<int*> pointers(1000);
  for (int* p : pointers) EXPECT_EQ(p, nullptr);
  struct Pod {
    int a;
    char b[3];
  };
  ZeroedArray<Pod> pods(10);
  for (const Pod& p : pods) {
    EXPECT_EQ(p.a, 0);
    EXPECT_EQ(p.b[2], 0);
  }
  ZeroedArray<Pod> moved = std::move(pods);
  EXPECT_EQ(moved.size(), 10u);
}

}  // namespace
}  // namespace fbf::platform
