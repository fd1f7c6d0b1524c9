// This file implements the heap set-up for a one-shot load (load_heap.h) with
// glibc's mallopt and sbrk: one large brk growth marked MADV_HUGEPAGE. A page
// fault costs 10-30 us in these VMs; a 2 MB huge page replaces 512 of them.
#include "src/project/load_heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace hako::project {

void prepare_heap_for_load(size_t bytes) {
    constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
    // Blocks below `bytes` come from the heap (the default sends each block
    // over 128 KB to its own mmap, faulted page by page), and a free never
    // trims the heap back (the next growth would fault again).
    mallopt(M_MMAP_THRESHOLD, int(bytes));
    mallopt(M_TRIM_THRESHOLD, int(bytes) * 2);
    auto* before = static_cast<char*>(sbrk(0));
    if (before == reinterpret_cast<char*>(-1)) return;
    // One allocation grows the heap to hold it; freeing it leaves the space
    // in the heap's top chunk for everything after. Nothing is touched.
    // (volatile: the compiler may drop a malloc whose block is only freed.)
    void* volatile block = std::malloc(bytes - 4096);
    std::free(block);
    auto* after = static_cast<char*>(sbrk(0));
    if (after == reinterpret_cast<char*>(-1) || after <= before) return;
    uintptr_t start = (reinterpret_cast<uintptr_t>(before) + kHugePage - 1) & ~(kHugePage - 1);
    uintptr_t end = reinterpret_cast<uintptr_t>(after) & ~(uintptr_t(getpagesize()) - 1);
    if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
}

}  // namespace hako::project
