// This file declares seccomp for containers: hako's default profile as OCI data
// (so an external runtime applies the same one), its compilation to a BPF program
// with libseccomp (cached per state root) and the program's loading with seccomp(2).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <filesystem>
#include <vector>

#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::runtime {

// Docker-like default profile for a container whose bounding set is `capabilities`
// (a mask): allow by default, EPERM for the syscalls that escape or reconfigure
// the kernel (mount, reboot, module loading, kexec, bpf, keyctl, namespace
// creation, …) unless the capability that guards them is granted.
Seccomp default_seccomp_profile(uint64_t capabilities);

// A profile compiled for this machine's architecture and kernel.
struct SeccompProgram {
    std::vector<sock_filter> instructions;
};

// Compiles `profile` with libseccomp. Syscall names unknown to this
// kernel/libseccomp are skipped.
Result<SeccompProgram> compile_seccomp(const Seccomp& profile);
// The same through a cache folder: CACHE_DIR/<sha256 of the profile, the
// architecture, the kernel release and libseccomp's version>.bpf, written
// atomically on a miss (compiling the default profile costs ~1-3 ms, reading it ~0.05).
// A cache that cannot be read or written only costs the compilation.
Result<SeccompProgram> compile_seccomp_cached(const Seccomp& profile, const std::filesystem::path& cache_dir);
// Loads a compiled program into the calling process (seccomp(2), no flags: the
// caller holds CAP_SYS_ADMIN or has set no_new_privs).
Result<void> load_seccomp_program(const SeccompProgram& program);
// compile_seccomp then load_seccomp_program.
Result<void> load_seccomp(const Seccomp& profile);

}  // namespace hako::runtime
