// This file declares FakeEngine: an in-memory Engine for the planner and executor
// tests. It keeps containers, networks, volumes and images in maps, records every
// call in order, and lets a test script container exits and health.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "src/reconcile/engine.h"

namespace hako::reconcile {

class FakeEngine : public Engine {
public:
    // Test scripting: what a service's containers do once started.
    struct Behaviour {
        std::string health;       // "" | healthy | unhealthy (reported right after start)
        std::optional<int> exit;  // exits at once with this code after start
        bool fail_start = false;
    };
    std::map<std::string, Behaviour> behaviour;  // by service
    std::map<std::string, std::string> images;   // reference → id
    std::optional<std::string> activation_error;  // activate_networks fails with it

    // Adds an existing container as if an earlier `up` created it.
    void add_container(ObservedContainer container);

    std::vector<std::string> calls() const;  // "create demo-web-1", "start demo-web-1", …

    Result<Observed> observe(const std::string& project) override;
    Result<ObservedContainer> inspect(const std::string& id) override;
    Result<std::string> image_id(const std::string& reference) override;
    Result<std::string> ensure_image(const ImageRequest& request) override;
    Result<void> create_network(const NetworkRequest& request) override;
    Result<void> activate_networks() override;
    Result<void> remove_network(const std::string& name) override;
    Result<bool> network_exists(const std::string& name) override;
    Result<void> create_volume(const VolumeRequest& request) override;
    Result<void> remove_volume(const std::string& name) override;
    Result<bool> volume_exists(const std::string& name) override;
    Result<std::string> create_container(const container::CreateRequest& request) override;
    Result<void> start_container(const std::string& id) override;
    Result<void> stop_container(const std::string& id, std::optional<int> timeout_seconds) override;
    Result<void> kill_container(const std::string& id, int signal) override;
    Result<void> remove_container(const std::string& id, bool remove_anonymous_volumes) override;
    Result<void> remove_image(const std::string& reference) override;

private:
    void record(std::string call);
    mutable std::mutex mutex_;
    std::vector<std::string> calls_;
    std::map<std::string, ObservedContainer> containers_;  // by id
    std::map<std::string, ObservedNetwork> networks_;
    std::map<std::string, ObservedVolume> volumes_;
    int next_id_ = 1;
};

}  // namespace hako::reconcile
