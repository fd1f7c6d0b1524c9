#include "engine/sys/prefault.h"

#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

extern "C" __attribute__((noinline, used)) void hako_hot_text_end() {
    asm volatile("");  // a function of its own, never folded into another
}

namespace hako::sys {
namespace {

constexpr uintptr_t kPage = 4096;

inline __attribute__((always_inline)) uintptr_t page_down(uintptr_t address) { return address & ~(kPage - 1); }
inline __attribute__((always_inline)) uintptr_t page_up(uintptr_t address) { return (address + kPage - 1) & ~(kPage - 1); }

// Hot text beyond this is not the link order's layout (GNU ld, or a list the
// build did not use): nothing is mapped then.
constexpr uintptr_t kMostHotText = 6 << 20;
constexpr uintptr_t kTextTail = 16 << 10;

// Code that runs before the C library has set up errno, TLS or the stack
// protector's canary (hako_entry, below): raw system calls, no instrumentation.
#define HAKO_BEFORE_LIBC __attribute__((no_stack_protector, no_sanitize("address", "undefined")))
// hako_entry's code: a section of its own, which lld lays out after .text, away
// from the hot text's 2 MiB blocks (see populate_segments).
#define HAKO_ENTRY_SECTION __attribute__((section("hako_entry_text")))

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

// madvise over the pages that hold [from, to).
HAKO_BEFORE_LIBC inline __attribute__((always_inline)) void advise(uintptr_t from, uintptr_t to, long advice) {
    from = page_down(from);
    to = page_up(to);
    if (to <= from) return;
#if defined(__x86_64__)
    long result;
    asm volatile("syscall"
                 : "=a"(result)
                 : "0"(static_cast<long>(SYS_madvise)), "D"(from), "S"(to - from), "d"(advice)
                 : "rcx", "r11", "memory");
    (void)result;  // best effort: an old kernel says EINVAL and maps nothing
#else
    (void)::madvise(reinterpret_cast<void*>(from), to - from, static_cast<int>(advice));
#endif
}

// Maps the hot text and the text segment's tail, the read-only segment, the
// relocated read-only data and the writable data and bss of the executable whose
// program headers these are, loaded `base` bytes from their addresses.
//
// The text goes in 2 MiB pages where it can. The link puts it at a 2 MiB boundary
// of both the file and the memory (CMakeLists.txt: max-page-size); a 2 MiB block of
// it that the page cache holds as one folio is then mapped by one page-table entry
// instead of 512. In this kind of VM (shadow page tables) that took a container
// start ~1.4 ms less: the mapping, the first touch of each page and the exit's
// teardown. MADV_HUGEPAGE makes the kernel read a block that is not cached yet
// into one such folio (page-cache readahead in PMD order); hako_entry itself lies
// outside the hot blocks, so that the first fault of a process, before this runs,
// reads none of them in small pages. Nothing changes where the kernel has no
// transparent huge pages, or the cache holds the file in small pages (a freshly
// written binary: the build drops its cache after the link).
//
// `before_libc`: called by hako_entry, before the C library has applied its
// relocations (the IRELATIVE ones write .got, in the relocated read-only part)
// and made that part read-only: it is populated for writing then, as the rest of
// the data, instead of taking a copy-on-write fault per page the relocations write.
HAKO_BEFORE_LIBC HAKO_ENTRY_SECTION void populate_segments(const ElfW(Phdr)* headers, size_t count, uintptr_t base,
                                                           bool before_libc) {
    uintptr_t relro_from = 0, relro_to = 0;
    for (size_t i = 0; i < count; ++i)
        if (headers[i].p_type == PT_GNU_RELRO) {
            relro_from = base + headers[i].p_vaddr;
            relro_to = relro_from + headers[i].p_memsz;
        }
    const auto hot_end = reinterpret_cast<uintptr_t>(&hako_hot_text_end);
    // The text first: the read-only segment's readahead below would otherwise read
    // the start of the text in with it, in small folios.
    for (size_t i = 0; i < count; ++i) {
        const ElfW(Phdr)& segment = headers[i];
        if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X)) continue;
        uintptr_t from = base + segment.p_vaddr, to = from + segment.p_memsz;
        if (hot_end > from && hot_end < to && hot_end - from <= kMostHotText) {
            advise(from, to, MADV_HUGEPAGE);
            advise(from, hot_end, MADV_POPULATE_READ);
            // lld lays .init, .fini, hako_entry_text and .iplt (the stubs of the C
            // library's ifunc'd functions: strcmp, memcpy ...) after .text: its last pages.
            advise(to > kTextTail ? to - kTextTail : from, to, MADV_POPULATE_READ);
        }
    }
    for (size_t i = 0; i < count; ++i) {
        const ElfW(Phdr)& segment = headers[i];
        if (segment.p_type != PT_LOAD || (segment.p_flags & PF_X)) continue;
        uintptr_t from = base + segment.p_vaddr, to = from + segment.p_memsz;
        if (!(segment.p_flags & PF_W)) {
            // Read-only data: the tables and strings a start reads (.rodata; the
            // unwind tables after it are read only when an exception is thrown)
            // took ~8 faults of 16 pages each, spread over the segment.
            advise(from, to, MADV_POPULATE_READ);
        } else {
            // The relocated read-only part can no longer be written after the C library's start.
            if (!before_libc && relro_to > from && relro_from < to) {
                advise(from, relro_to, MADV_POPULATE_READ);
                from = page_up(relro_to);
            }
            advise(from, to, MADV_POPULATE_WRITE);
        }
    }
}

bool segments_done = false;  // by hako_entry, before the C library started

int each_object(dl_phdr_info* info, size_t, void*) {
    populate_segments(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, false);
    return 1;  // the first object is the executable itself
}

void prefault_heap(size_t bytes) {
    if (bytes == 0) return;
    // The heap grows by `bytes` at its next growth and the free below must not
    // give it back; allocations up to 1 MiB come from the heap, not from mmap.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, static_cast<int>(4 * bytes));
    mallopt(M_TOP_PAD, static_cast<int>(bytes));
    void* grow = std::malloc(64 * 1024);
    if (!grow) return;
    const auto from = reinterpret_cast<uintptr_t>(grow);
    std::free(grow);
    advise(from, reinterpret_cast<uintptr_t>(sbrk(0)), MADV_POPULATE_WRITE);
    mallopt(M_TOP_PAD, 128 * 1024);  // glibc's default again for later growth
}

}  // namespace

void prefault_process(size_t heap, size_t stack) {
    if (!segments_done) dl_iterate_phdr(each_object, nullptr);
    prefault_heap(heap);
    if (stack) {
        char here;
        const auto top = page_up(reinterpret_cast<uintptr_t>(&here));
        advise(top > stack ? top - stack : 0, top, MADV_POPULATE_WRITE);
    }
}

void prefault_stack_top(void* top, size_t bytes) {
    const auto end = reinterpret_cast<uintptr_t>(top);
    advise(end - bytes, end, MADV_POPULATE_WRITE);
}

}  // namespace hako::sys

#if defined(__x86_64__)
// The entry point of hako and hako-exit where the link order is used
// (CMakeLists.txt: -Wl,-e,hako_entry): the C library's start-up (its ifunc
// resolvers, spread over the text, its tunables and data) and the static
// constructors took ~60 page faults before main. hako_entry maps the segments
// first, from the program headers in the auxiliary vector on the initial stack,
// and then jumps to _start with the stack and %rdx as the kernel left them.
extern "C" HAKO_BEFORE_LIBC HAKO_ENTRY_SECTION __attribute__((used)) void hako_prefault_at_entry(long* initial_stack) {
    long argc = initial_stack[0];
    long* cursor = initial_stack + 1 + argc + 1;  // past argv and its null
    while (*cursor) ++cursor;                     // past the environment
    const ElfW(Phdr)* headers = nullptr;
    size_t count = 0;
    uintptr_t vdso = 0;
    for (auto* entry = reinterpret_cast<ElfW(auxv_t)*>(cursor + 1); entry->a_type != AT_NULL; ++entry) {
        if (entry->a_type == AT_PHDR) headers = reinterpret_cast<const ElfW(Phdr)*>(entry->a_un.a_val);
        if (entry->a_type == AT_PHNUM) count = entry->a_un.a_val;
        if (entry->a_type == AT_SYSINFO_EHDR) vdso = entry->a_un.a_val;
    }
    // The vDSO's code, which the C library's start reads (its symbols) and runs
    // (clock_gettime): its first two pages (x86_64's vDSO, whose own header is not
    // read here: that read was a fault of its own), not the data pages below it
    // (vvar, which no madvise can map). A smaller vDSO: the rest fails, harmlessly.
    if (vdso) hako::sys::advise(vdso, vdso + 2 * hako::sys::kPage, MADV_POPULATE_READ);
    if (!headers) return;
    uintptr_t base = 0;  // a position-dependent executable is where its headers say
    for (size_t i = 0; i < count; ++i)
        if (headers[i].p_type == PT_PHDR) base = reinterpret_cast<uintptr_t>(headers) - headers[i].p_vaddr;
    hako::sys::populate_segments(headers, count, base, true);
    hako::sys::segments_done = true;
}

// In hako_entry_text with the code it calls first (HAKO_ENTRY_SECTION).
asm(R"(
    .section hako_entry_text,"ax",@progbits
    .globl hako_entry
    .type hako_entry, @function
hako_entry:
    mov %rsp, %r12
    mov %rdx, %r13
    mov %rsp, %rdi
    and $-16, %rsp
    call hako_prefault_at_entry
    mov %r12, %rsp
    mov %r13, %rdx
    jmp _start
    .size hako_entry, .-hako_entry
    .text
)");
#endif
