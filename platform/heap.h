#pragma once
// Giving freed heap memory back to the kernel after a burst of short-lived
// allocations. glibc's malloc keeps what a reply freed for reuse, and only
// ever returns the top of the heap by itself: after `fbfctl show bfd` with
// 1000 sessions (its JSON document and text) fbfd's RSS stayed 4.7 MiB
// higher for the rest of its life (tests/system/test_memory.py).

#include <cstddef>

namespace fbf::platform {

// A control reply at least this large was built, sent and freed in one
// go: worth a release_free_heap() once it is gone. Below
// it the pages are few and will likely be reused by the next one.
inline constexpr std::size_t kLargeTransientBytes = 64 * 1024;

// Hands every whole free page of the heap back to the kernel (glibc:
// malloc_trim(0), which also releases free pages inside the heap, not only
// at its top). Costs a walk of the free lists and one madvise per run of
// free pages: call it after large transient work, never per packet. A
// no-op where the allocator unmaps freed pages itself (OpenBSD's malloc).
void release_free_heap();

}  // namespace fbf::platform
