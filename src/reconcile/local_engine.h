// This file declares LocalEngine, the reconciler's Engine over the embedded
// engine in one state root (container store, monitors, image store, network and
// volume stores), and the per-project lock that keeps two verbs on one project
// from interleaving.
#pragma once

#include <filesystem>
#include <memory>
#include <shared_mutex>

#include "engine/container/container_store.h"
#include "engine/sys/lock.h"
#include "src/reconcile/engine.h"
#include "src/reconcile/starter.h"

namespace hako::reconcile {

class LocalEngine : public Engine {
public:
    static Result<std::unique_ptr<LocalEngine>> open(const std::filesystem::path& root);

    Result<Observed> observe(const std::string& project) override;
    Result<ObservedContainer> inspect(const std::string& id) override;
    Result<std::string> image_id(const std::string& reference) override;
    Result<std::string> ensure_image(const ImageRequest& request) override;
    Result<void> create_network(const NetworkRequest& request) override;
    Result<void> activate_networks() override;
    void activate_networks_after() override;
    Result<void> remove_network(const std::string& name) override;
    Result<bool> network_exists(const std::string& name) override;
    Result<void> create_volume(const VolumeRequest& request) override;
    Result<void> remove_volume(const std::string& name) override;
    Result<bool> volume_exists(const std::string& name) override;
    Result<std::string> create_container(const container::CreateRequest& request) override;
    Result<void> start_container(const std::string& id) override;
    Result<void> begin_parallel_starts() override;
    void end_parallel_starts() override;
    Result<void> stop_container(const std::string& id, std::optional<int> timeout_seconds) override;
    Result<void> kill_container(const std::string& id, int signal) override;
    Result<void> remove_container(const std::string& id, bool remove_anonymous_volumes) override;
    Result<void> remove_image(const std::string& reference) override;
    Result<std::vector<Json>> anonymous_volumes(const std::string& id) override;

    const container::ContainerStore& store() const { return store_; }

private:
    explicit LocalEngine(container::ContainerStore store) : store_(std::move(store)) {}
    ObservedContainer observed(const container::ContainerRecord& record) const;

    container::ContainerStore store_;
    // Between begin_parallel_starts and end_parallel_starts, monitors are forked
    // by this helper process, not by the CLI (starter.h).
    std::unique_ptr<Starter> starter_;
    // A monitor forked here (no starter) or the starter itself inherits every fd
    // open at that moment, the root's lock fds included, until it closes them (an
    // inherited flock fd holds the lock meanwhile). Forks take this exclusively,
    // every other engine call shares it, so no lock fd is open while one forks.
    std::shared_mutex fork_mutex_;
    // activate_networks found NAT rules to make: the DNS responder follows.
    bool dns_pending_ = false;
};

// Holds RUN/projects/NAME.lock for the life of the verb; a second verb on the
// same project waits (saying so on stderr) until the first is done.
Result<sys::FileLock> lock_project(const std::filesystem::path& root, const std::string& project);

}  // namespace hako::reconcile
