// This file implements a RUN step's place on a user network (`build --network NAME`):
// the step's container joins the network as a container does (engine/net's
// check_create, prepare and attach hooks, under a fresh id that no record keeps), so
// the network's DNS resolves other containers from the step; the owner detaches it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/container/container_store.h"
#include "engine/runtime/spec_defaults.h"
#include "engine/sys/error.h"

namespace hako::build {

class StepNetwork {
public:
    // Checks that `network` exists (the error names it) and prepares an endpoint on
    // it; hosts, resolv.conf and hostname files go in `dir`.
    static Result<StepNetwork> join(const std::filesystem::path& root, const std::string& network,
                                    const std::filesystem::path& dir);
    StepNetwork(StepNetwork&& other) noexcept;
    StepNetwork& operator=(StepNetwork&&) = delete;
    ~StepNetwork();

    // Before the spec is built: a new network namespace and the /etc files.
    Result<void> configure(runtime::ContainerConfig& config) const;
    // After the runtime created the step's init, before it runs: its interface.
    Result<void> attach(pid_t init_pid);

private:
    struct Joined;
    explicit StepNetwork(std::unique_ptr<Joined> joined);
    std::unique_ptr<Joined> joined_;
};

}  // namespace hako::build
