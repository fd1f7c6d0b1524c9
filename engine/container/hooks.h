// This file declares the points where the engine's modules (net, volume, device)
// take part in a container's life: checks at create, spec edits before each run,
// network setup between the runtime's create and start, and release at the end.
// The container lifecycle and the monitor call them; each module implements its own.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "engine/container/container_store.h"
#include "engine/runtime/spec.h"
#include "engine/runtime/spec_defaults.h"
#include "engine/sys/error.h"

namespace hako::container {

// What a hook sees of the container it acts for.
struct RunContext {
    const ContainerStore& store;
    const ContainerRecord& record;
    std::filesystem::path dir;  // ROOT/containers/ID
};

// At create, before the record is written: every module checks (and may complete)
// its own section of the record; the first error stops the create.
Result<void> check_create(const ContainerStore& store, ContainerRecord& record);
// At remove, after the container stopped: what modules keep for it goes
// (with remove_volumes also its anonymous volumes).
Result<void> on_remove(const RunContext& context, bool remove_volumes);

}  // namespace hako::container

namespace hako::net {
// Checks and completes record.networking at create (networks exist, addresses valid).
Result<void> check_create(const container::ContainerStore& store, container::ContainerRecord& record);
// Before each run: the network mode of the spec, and /etc/hosts, /etc/resolv.conf, /etc/hostname.
Result<void> prepare(const container::RunContext& context, runtime::ContainerConfig& config);
// After the runtime created the container's init (its netns exists), before it runs:
// interfaces, addresses, routes, published ports, DNS records.
Result<void> attach(const container::RunContext& context, pid_t init_pid);
// After the run ended, or when attach failed half way; safe to call twice; never fails.
void detach(const container::RunContext& context);
// As detach, once the runtime destroyed the container (its processes, and so its
// network namespace, are gone): the kernel removes the host ends of its veths with
// the namespace; this waits for that (deleting what is left after 2 s) without
// holding the networks' lock.
void detach_after_exit(const container::RunContext& context);
// At remove: what the networks hold for the container (reserved addresses).
Result<void> on_remove(const container::RunContext& context);
}  // namespace hako::net

namespace hako::volume {
Result<void> check_create(const container::ContainerStore& store, container::ContainerRecord& record);
// Before each run: named volumes, binds, tmpfs, secrets and configs → config.mounts.
Result<void> prepare(const container::RunContext& context, runtime::ContainerConfig& config);
// After the run ended; safe to call twice; never fails.
void release(const container::RunContext& context);
Result<void> on_remove(const container::RunContext& context, bool remove_volumes);
}  // namespace hako::volume

namespace hako::device {
Result<void> check_create(const container::ContainerStore& store, container::ContainerRecord& record);
// After the spec is built: device nodes, mounts, env, hooks and the device cgroup.
Result<void> apply(const container::RunContext& context, runtime::Spec& spec);
}  // namespace hako::device
