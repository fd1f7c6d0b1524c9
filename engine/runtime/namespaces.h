// This file declares how a spec's namespaces become clone flags and setns calls,
// for a container's init (new or joined) and for exec into a running container.
#pragma once

#include <sys/types.h>

#include <vector>

#include "engine/runtime/spec.h"
#include "engine/sys/fd.h"
#include "engine/sys/error.h"

namespace hako::runtime {

struct NamespacePlan {
    int clone_flags = 0;            // CLONE_NEW* for the namespaces created with the init (not cgroup)
    bool new_cgroup = false;        // unshare(CLONE_NEWCGROUP) once the init sits in its cgroup
    std::vector<Namespace> joins;   // namespaces given by path, entered with setns
};

// Maps a spec's namespace list; user namespaces and joining a pid namespace by
// path are refused (hako does not support them).
Result<NamespacePlan> plan_namespaces(const Spec& spec);
// setns into each namespace of `joins` (opened first, entered in order).
Result<void> join_namespaces(const std::vector<Namespace>& joins);

// The namespaces of a running process that differ from the caller's, opened in
// the order exec enters them (mount last).
struct NamespaceFd {
    int type;  // CLONE_NEW*
    sys::UniqueFd fd;
};
Result<std::vector<NamespaceFd>> open_namespaces_of(pid_t pid);
Result<void> enter_namespaces(const std::vector<NamespaceFd>& namespaces);

}  // namespace hako::runtime
