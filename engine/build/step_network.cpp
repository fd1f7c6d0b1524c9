// This file implements StepNetwork (see step_network.h) over engine/container/hooks.h.
#include "engine/build/step_network.h"

#include "engine/container/hooks.h"
#include "engine/container/options.h"

namespace hako::build {

struct StepNetwork::Joined {
    container::ContainerStore store;
    container::ContainerRecord record;
    std::filesystem::path dir;
    bool attached = false;
    container::RunContext context() const { return {store, record, dir}; }
};

Result<StepNetwork> StepNetwork::join(const std::filesystem::path& root, const std::string& network,
                                      const std::filesystem::path& dir) {
    auto store = container::ContainerStore::open(root);
    if (!store.ok()) return std::move(store).error();
    container::ContainerRecord record;
    record.id = container::generate_id();
    record.hostname = "buildkitsandbox";
    record.network = network;
    if (auto checked = net::check_create(*store, record); !checked.ok())
        return Error("--network " + network + ": " + checked.error().message);
    return StepNetwork(std::unique_ptr<Joined>(new Joined{std::move(store).value(), std::move(record), dir}));
}

StepNetwork::StepNetwork(std::unique_ptr<Joined> joined) : joined_(std::move(joined)) {}
StepNetwork::StepNetwork(StepNetwork&& other) noexcept = default;

StepNetwork::~StepNetwork() {
    if (joined_ && joined_->attached) net::detach(joined_->context());
}

Result<void> StepNetwork::configure(runtime::ContainerConfig& config) const {
    return net::prepare(joined_->context(), config);
}

Result<void> StepNetwork::attach(pid_t init_pid) {
    joined_->attached = true;  // a half-made attachment is undone too
    return net::attach(joined_->context(), init_pid);
}

}  // namespace hako::build
