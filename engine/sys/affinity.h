// Keeps a container's start on one CPU. In this kind of VM a wake-up on the other
// vCPU (an idle one leaves a halt through the hypervisor) and a handoff between
// two busy ones cost more than the little the start's steps overlap: the CLI, the
// monitor's set-up and the init hand over to each other a dozen times, and a
// `run --rm` pinned to one CPU took ~1.5 ms less than on two. Only the start is
// pinned: the init puts the caller's set back before it execs the
// container's program, and the monitor before it execs hako-monitor (or runs an
// external runtime), so no process of the container and no steady monitor keeps it.
#pragma once

namespace hako::sys {

// Pins the calling thread to the CPU it runs on, remembering its allowed set
// (shared with the CLONE_VM children that restore it). Nothing when it may run on
// one CPU only already or its CPU is unknown.
void pin_to_current_cpu();

// Gives the calling thread back the set from before pin_to_current_cpu (nothing
// when nothing was pinned). Async-signal-safe: a system call on memory set before.
void restore_affinity();

}  // namespace hako::sys
