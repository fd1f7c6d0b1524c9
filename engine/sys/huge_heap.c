/* The heap of hako's main arena in 2 MiB pages.
 *
 * glibc's malloc grows its main arena with __sbrk. This file, linked into the hako
 * executable itself (CMakeLists.txt), defines __sbrk and sbrk, so a static link
 * takes these instead of libc.a's sbrk.o: the arena grows inside one reserved
 * region of address space that starts at a 2 MiB boundary and asks for
 * transparent huge pages (MADV_HUGEPAGE). In a VM with shadow page tables every
 * 4 KiB page a process touches first costs a hypervisor exit (~5 µs even after
 * MADV_POPULATE_WRITE); a container start touched ~100 pages of heap,
 * and a 2 MiB page costs one fault and its zeroing (~150 µs for a hundred pages
 * touched, against ~590 µs in 4 KiB pages).
 *
 * Nothing else of the C library is replaced: brk.o (__brk, __curbrk) stays, and
 * the thread-local block that the static start-up allocates before malloc runs
 * still comes from the program break (_dl_early_allocate calls brk itself while
 * __curbrk is unset). Where the region cannot be reserved, __sbrk moves the
 * program break as libc.a's does; once the region is full it fails (ENOMEM) and
 * malloc maps memory of its own. Single-threaded by contract, as glibc's: malloc
 * calls it under the main arena's lock. A hako process's RSS holds at least one
 * 2 MiB page of heap. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

extern void* __curbrk;

enum { kHuge = 2 << 20 };
static const size_t kReserve = (size_t)1 << 30; /* address space only: MAP_NORESERVE */

static char* g_base; /* 0: not tried yet; (char*)-1: no region, the program break */
static char* g_top;
static char* g_end;

static void reserve(void) {
    char* raw = mmap(NULL, kReserve + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        g_base = (char*)-1;
        return;
    }
    uintptr_t aligned = ((uintptr_t)raw + kHuge - 1) & ~(uintptr_t)(kHuge - 1);
    /* The unaligned ends go back: one mapping, from one boundary to another. */
    if (aligned > (uintptr_t)raw) munmap(raw, aligned - (uintptr_t)raw);
    uintptr_t end = aligned + kReserve;
    uintptr_t raw_end = (uintptr_t)raw + kReserve + kHuge;
    if (raw_end > end) munmap((void*)end, raw_end - end);
    (void)madvise((void*)aligned, kReserve, MADV_HUGEPAGE); /* best effort: 4 KiB pages without THP */
    g_base = g_top = (char*)aligned;
    g_end = (char*)end;
}

/* libc.a's __sbrk, on the program break. */
static void* break_sbrk(intptr_t increment) {
    if (__curbrk == NULL && brk(0) < 0) return (void*)-1;
    void* old = __curbrk;
    if (increment == 0) return old;
    if ((increment > 0 && (uintptr_t)old + (uintptr_t)increment < (uintptr_t)old) ||
        (increment < 0 && (uintptr_t)old < (uintptr_t)-increment)) {
        errno = ENOMEM;
        return (void*)-1;
    }
    if (brk((char*)old + increment) < 0) return (void*)-1;
    return old;
}

void* __sbrk(intptr_t increment) {
    if (g_base == NULL) reserve();
    if (g_base == (char*)-1) return break_sbrk(increment);
    char* old = g_top;
    if (increment > 0) {
        if ((uintptr_t)increment > (uintptr_t)(g_end - g_top)) {
            errno = ENOMEM; /* malloc then maps memory of its own */
            return (void*)-1;
        }
        g_top += increment;
    } else if (increment < 0) {
        if ((uintptr_t)-increment > (uintptr_t)(g_top - g_base)) {
            errno = EINVAL;
            return (void*)-1;
        }
        g_top += increment;
        /* Whole 2 MiB pages above the new top go back to the system. */
        uintptr_t keep = ((uintptr_t)g_top + kHuge - 1) & ~(uintptr_t)(kHuge - 1);
        uintptr_t was = ((uintptr_t)old + kHuge - 1) & ~(uintptr_t)(kHuge - 1);
        if (was > keep) (void)madvise((void*)keep, was - keep, MADV_DONTNEED);
    }
    return old;
}

void* sbrk(intptr_t increment) __attribute__((weak, alias("__sbrk")));
