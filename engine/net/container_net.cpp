// This file implements the network hooks of a container (container/hooks.h):
// for now the host and none modes only; user bridges come with engine/net.
#include "engine/container/hooks.h"
#include "engine/container/options.h"

namespace hako::net {

Result<void> check_create(const container::ContainerStore&, container::ContainerRecord& record) {
    if (record.network != "none" && record.network != "host")
        return Error("network " + record.network + " not found", container::kRunFailure);
    return ok();
}

Result<void> prepare(const container::RunContext& context, runtime::ContainerConfig& config) {
    config.network = context.record.network == "host" ? runtime::NetworkMode::Host : runtime::NetworkMode::None;
    return ok();
}

Result<void> attach(const container::RunContext&, pid_t) { return ok(); }

void detach(const container::RunContext&) {}

Result<void> on_remove(const container::RunContext&) { return ok(); }

}  // namespace hako::net
