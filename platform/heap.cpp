#include "platform/heap.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace fbf::platform {

void release_free_heap() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

}  // namespace fbf::platform
