// This file declares seccomp for containers: hako's default profile as OCI data
// (so an external runtime applies the same one) and its loading with libseccomp.
#pragma once

#include <cstdint>

#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::runtime {

// Docker-like default profile for a container whose bounding set is `capabilities`
// (a mask): allow by default, EPERM for the syscalls that escape or reconfigure
// the kernel (mount, reboot, module loading, kexec, bpf, keyctl, namespace
// creation, …) unless the capability that guards them is granted.
Seccomp default_seccomp_profile(uint64_t capabilities);

// Compiles `profile` with libseccomp and loads it into the calling thread's
// process. Syscall names unknown to this kernel/libseccomp are skipped.
Result<void> load_seccomp(const Seccomp& profile);

}  // namespace hako::runtime
