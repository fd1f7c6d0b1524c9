// This file implements FakeEngine (fake_engine.h).
#include "src/reconcile/fake_engine.h"

#include <algorithm>

namespace hako::reconcile {

void FakeEngine::record(std::string call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
}

std::vector<std::string> FakeEngine::calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

void FakeEngine::add_container(ObservedContainer container) {
    std::lock_guard lock(mutex_);
    if (container.id.empty()) container.id = "id" + std::to_string(next_id_++);
    containers_[container.id] = std::move(container);
}

Result<Observed> FakeEngine::observe(const std::string& project) {
    std::lock_guard lock(mutex_);
    Observed observed;
    for (const auto& [id, container] : containers_)
        if (container.labels.count(kProjectLabel) && container.labels.at(kProjectLabel) == project)
            observed.containers.push_back(container);
    std::sort(observed.containers.begin(), observed.containers.end(), [](const auto& a, const auto& b) {
        return std::tie(a.service, a.number, a.name) < std::tie(b.service, b.number, b.name);
    });
    for (const auto& [name, network] : networks_)
        if (network.labels.count(kProjectLabel) && network.labels.at(kProjectLabel) == project)
            observed.networks.push_back(network);
    for (const auto& [name, volume] : volumes_)
        if (volume.labels.count(kProjectLabel) && volume.labels.at(kProjectLabel) == project)
            observed.volumes.push_back(volume);
    return observed;
}

Result<ObservedContainer> FakeEngine::inspect(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return Error("No such container: " + id);
    return it->second;
}

Result<std::string> FakeEngine::image_id(const std::string& reference) {
    std::lock_guard lock(mutex_);
    auto it = images.find(reference);
    return it == images.end() ? std::string() : it->second;
}

Result<std::string> FakeEngine::ensure_image(const ImageRequest& request) {
    record((request.build.is_null() ? "pull " : "build ") + request.reference);
    std::lock_guard lock(mutex_);
    std::string& id = images[request.reference];
    if (id.empty()) id = "sha256:" + request.reference;
    return id;
}

Result<void> FakeEngine::create_network(const NetworkRequest& request) {
    record("create network " + request.name);
    std::lock_guard lock(mutex_);
    networks_[request.name] = ObservedNetwork{request.name, request.labels};
    return ok();
}

Result<void> FakeEngine::activate_networks() {
    record("activate networks");
    if (activation_error) return Error(*activation_error);
    return ok();
}

Result<void> FakeEngine::remove_network(const std::string& name) {
    record("remove network " + name);
    std::lock_guard lock(mutex_);
    networks_.erase(name);
    return ok();
}

Result<bool> FakeEngine::network_exists(const std::string& name) {
    std::lock_guard lock(mutex_);
    return networks_.count(name) > 0;
}

Result<void> FakeEngine::create_volume(const VolumeRequest& request) {
    record("create volume " + request.name);
    std::lock_guard lock(mutex_);
    volumes_[request.name] = ObservedVolume{request.name, request.labels};
    return ok();
}

Result<void> FakeEngine::remove_volume(const std::string& name) {
    record("remove volume " + name);
    std::lock_guard lock(mutex_);
    volumes_.erase(name);
    return ok();
}

Result<bool> FakeEngine::volume_exists(const std::string& name) {
    std::lock_guard lock(mutex_);
    return volumes_.count(name) > 0;
}

Result<std::string> FakeEngine::create_container(const container::CreateRequest& request) {
    std::string name = request.name.empty() ? "oneoff" : request.name;
    record("create " + name);
    std::lock_guard lock(mutex_);
    ObservedContainer container;
    container.id = "id" + std::to_string(next_id_++);
    container.name = name;
    container.labels = request.labels;
    auto label = [&](const char* key) { return request.labels.count(key) ? request.labels.at(key) : std::string(); };
    container.service = label(kServiceLabel);
    container.number = std::atoi(label(kNumberLabel).c_str());
    container.oneoff = label(kOneoffLabel) == "True";
    container.config_hash = label(kConfigHashLabel);
    container.image_id = images.count(request.image) ? images[request.image] : "";
    container.status = "created";
    containers_[container.id] = container;
    return container.id;
}

Result<void> FakeEngine::start_container(const std::string& id) {
    std::unique_lock lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return Error("No such container: " + id);
    ObservedContainer& container = it->second;
    std::string name = container.name;
    const Behaviour how = behaviour.count(container.service) ? behaviour[container.service] : Behaviour{};
    if (how.fail_start) {
        lock.unlock();
        record("start " + name + " (fails)");
        return Error("cannot start container " + name);
    }
    container.status = how.exit ? "exited" : "running";
    container.exit_code = how.exit.value_or(0);
    container.health = how.health;
    lock.unlock();
    record("start " + name);
    return ok();
}

Result<void> FakeEngine::stop_container(const std::string& id, std::optional<int>) {
    std::unique_lock lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return Error("No such container: " + id);
    it->second.status = "exited";
    std::string name = it->second.name;
    lock.unlock();
    record("stop " + name);
    return ok();
}

Result<void> FakeEngine::kill_container(const std::string& id, int signal) {
    std::unique_lock lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return Error("No such container: " + id);
    it->second.status = "exited";
    it->second.exit_code = 128 + signal;
    std::string name = it->second.name;
    lock.unlock();
    record("kill " + name);
    return ok();
}

Result<void> FakeEngine::remove_container(const std::string& id, bool) {
    std::unique_lock lock(mutex_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return Error("No such container: " + id);
    std::string name = it->second.name;
    containers_.erase(it);
    lock.unlock();
    record("remove " + name);
    return ok();
}

Result<void> FakeEngine::remove_image(const std::string& reference) {
    record("remove image " + reference);
    std::lock_guard lock(mutex_);
    images.erase(reference);
    return ok();
}

}  // namespace hako::reconcile
