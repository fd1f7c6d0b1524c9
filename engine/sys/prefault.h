// Maps ahead, in a few madvise calls, the pages a short hako process touches
// anyway. In this kind of VM each page fault traps to the hypervisor: a first
// write to an anonymous page costs ~11 µs and a read fault on the binary (which
// maps 16 pages around it) ~20 µs, while MADV_POPULATE_* maps a page for
// ~0.5 µs. A `container run --rm` took ~160 faults in hako's memory (its text,
// data, heap and stacks, the monitor's set-up and the init's included, as they
// share it) before this.
#pragma once

#include <cstddef>

extern "C" {
// Laid out by lld right after the functions of scripts/hako-link-order.txt (it is
// that list's last name): the end of the hot text that prefault_process maps.
void hako_hot_text_end();
}

namespace hako::sys {

// Maps the hot text (from the start of the executable segment to
// hako_hot_text_end when the link laid it out there), the writable data and bss,
// `heap` bytes of heap (grown now and kept: the trim threshold is raised above
// it) and `stack` bytes below the caller's stack pointer. Best effort: a kernel
// without MADV_POPULATE_* (before 5.14) maps nothing and nothing fails.
void prefault_process(size_t heap, size_t stack);

// Maps the `bytes` at the top of a stack the caller mapped (a clone's stack).
void prefault_stack_top(void* top, size_t bytes);

}  // namespace hako::sys
