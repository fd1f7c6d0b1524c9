// hako-exit's entry point: the lean binary hako-monitor execs for a container's
// exit path and its healthcheck probes (src/exitpath/monitor_verbs.h), linking
// the engine only, so each exit and probe skips the full hako's start-up.
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "src/exitpath/monitor_verbs.h"

namespace {

// The exit path's heap (JSON of the record, state and spec, paths) mapped in one
// call: the first write to each fresh heap page is otherwise a page fault, 10–30 us
// each in this VM and about a quarter of the exit path's faults. Heap that stays
// unused costs only its zeroing.
void prefault_heap() {
    constexpr size_t kHeap = 256 * 1024;
    mallopt(M_TRIM_THRESHOLD, 4 * kHeap);  // the free below must not give it back
    mallopt(M_TOP_PAD, kHeap);
    void* grow = std::malloc(64 * 1024);  // under the mmap threshold: from the heap's top
    if (!grow) return;
    uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t from = (reinterpret_cast<uintptr_t>(grow) + page - 1) & ~(page - 1);
    std::free(grow);
    uintptr_t to = reinterpret_cast<uintptr_t>(sbrk(0));
    if (to > from) (void)madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);
}

}  // namespace

int main(int argc, char** argv) {
    prefault_heap();
    std::optional<int> status = hako::exitpath::run_monitor_verb(argc, argv);
    if (!status) {
        std::fputs("hako-exit: run by hako-monitor only (--root ROOT __monitor-exit|__monitor-probe ...)\n", stderr);
        status = 125;
    }
    // As hako's main(): no static destructors at exit, only stdio's flush.
    std::fflush(nullptr);
    ::_exit(*status);
}
