#include "engine/sys/affinity.h"

#include <sched.h>

namespace hako::sys {
namespace {

cpu_set_t g_allowed;    // the set before the pin
bool g_pinned = false;  // read by the CLONE_VM children that share this memory

}  // namespace

void pin_to_current_cpu() {
    if (g_pinned || ::sched_getaffinity(0, sizeof g_allowed, &g_allowed) != 0) return;
    int cpu = ::sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &g_allowed) || CPU_COUNT(&g_allowed) < 2) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    g_pinned = ::sched_setaffinity(0, sizeof one, &one) == 0;
}

void restore_affinity() {
    if (g_pinned) (void)::sched_setaffinity(0, sizeof g_allowed, &g_allowed);
}

}  // namespace hako::sys
