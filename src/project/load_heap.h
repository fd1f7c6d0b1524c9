// This file declares the heap set-up for a one-shot load of a large project
// (`hako config`): the heap's next megabytes backed by transparent huge pages,
// so that the ~10 MB a 500-service load touches cost a few faults, not thousands.
#pragma once

#include <cstddef>

namespace hako::project {

// Grows the main heap by `bytes` of address space (untouched, so not resident)
// marked MADV_HUGEPAGE, keeps large blocks on that heap (no mmap per block) and
// never trims it. Only for a short-lived process that loads and exits: the heap
// is not given back, and a fork after it would share huge pages. Without THP
// (madvise fails) it changes only the malloc settings. Safe to call once, early,
// from the main thread.
void prepare_heap_for_load(size_t bytes = size_t(32) << 20);

}  // namespace hako::project
