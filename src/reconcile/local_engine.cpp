// This file implements LocalEngine (local_engine.h) over the engine's stores and
// container lifecycle, and the project lock.
#include "src/reconcile/local_engine.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>

#include "engine/build/build_flags.h"
#include "engine/build/builder.h"
#include "engine/container/image_usage.h"
#include "engine/container/lifecycle.h"
#include "engine/container/pause.h"
#include "engine/image/image_store.h"
#include "engine/image/registry.h"
#include "engine/monitor/monitor.h"
#include "engine/net/network_store.h"
#include "engine/volume/volume_store.h"

namespace hako::reconcile {

namespace {

bool has_label(const Labels& labels, const char* key, const std::string& value) {
    auto it = labels.find(key);
    return it != labels.end() && it->second == value;
}

}  // namespace

Result<std::unique_ptr<LocalEngine>> LocalEngine::open(const std::filesystem::path& root) {
    auto store = TRY(container::ContainerStore::open(root));
    return std::unique_ptr<LocalEngine>(new LocalEngine(std::move(store)));
}

ObservedContainer LocalEngine::observed(const container::ContainerRecord& record) const {
    ObservedContainer out;
    out.id = record.id;
    out.name = record.name;
    out.labels = record.labels;
    auto label = [&](const char* key) {
        auto it = record.labels.find(key);
        return it == record.labels.end() ? std::string() : it->second;
    };
    out.service = label(kServiceLabel);
    out.number = std::atoi(label(kNumberLabel).c_str());
    out.oneoff = label(kOneoffLabel) == "True";
    out.config_hash = label(kConfigHashLabel);
    out.image_id = record.image_id;
    container::ContainerState state = store_.observed_state(record.id);
    out.status = state.status;
    out.exit_code = state.exit_code;
    out.health = state.health_status;
    return out;
}

Result<Observed> LocalEngine::observe(const std::string& project) {
    std::shared_lock lock(fork_mutex_);
    Observed result;
    for (const auto& record : TRY(store_.list()))
        if (has_label(record.labels, kProjectLabel, project)) result.containers.push_back(observed(record));
    std::sort(result.containers.begin(), result.containers.end(), [](const auto& a, const auto& b) {
        return std::tie(a.service, a.oneoff, a.number, a.name) < std::tie(b.service, b.oneoff, b.number, b.name);
    });
    for (const auto& network : TRY(net::list_networks(store_.root().path())))
        if (has_label(network.labels, kProjectLabel, project)) result.networks.push_back({network.name, network.labels});
    for (const auto& volume : TRY(volume::list_volumes(store_.root().path())))
        if (has_label(volume.labels, kProjectLabel, project)) result.volumes.push_back({volume.name, volume.labels});
    return result;
}

Result<ObservedContainer> LocalEngine::inspect(const std::string& id) {
    std::shared_lock lock(fork_mutex_);
    return observed(TRY(store_.read(id)));
}

Result<std::string> LocalEngine::image_id(const std::string& reference) {
    std::shared_lock lock(fork_mutex_);
    auto images = TRY(image::ImageStore::open(store_.root().path()));
    auto found = images.resolve(reference);
    return found.ok() ? found->id : std::string();
}

Result<std::string> LocalEngine::ensure_image(const ImageRequest& request) {
    std::string id = TRY(image_id(request.reference));
    bool can_build = !request.build.is_null() && !request.no_build;
    if (can_build && (id.empty() || request.force_build || request.pull_policy == "build")) {
        const Json& b = request.build;
        auto text = [](const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
        build::BuildRequest build;
        build.root = store_.root().path();
        if (b.contains("context")) build.context = text(b["context"]);
        if (b.contains("dockerfile")) build.dockerfile = text(b["dockerfile"]);
        if (b.contains("dockerfile_inline")) build.dockerfile_inline = text(b["dockerfile_inline"]);
        for (const char* map : {"args", "labels"}) {
            if (!b.contains(map) || !b[map].is_object()) continue;
            for (const auto& [key, value] : b[map].items())
                (std::string(map) == "args" ? build.args : build.labels)[key] = value.is_null() ? "" : text(value);
        }
        if (b.contains("target")) build.target = text(b["target"]);
        if (b.contains("network")) build.network = text(b["network"]);
        if (b.contains("shm_size") && b["shm_size"].is_number_integer()) build.shm_size = b["shm_size"].get<int64_t>();
        if (b.contains("no_cache") && b["no_cache"].is_boolean()) build.no_cache = b["no_cache"].get<bool>();
        build.tags.push_back(request.reference);
        if (b.contains("tags") && b["tags"].is_array())
            for (const auto& tag : b["tags"]) build.tags.push_back(text(tag));
        build.quiet = true;
        build.pull = request.pull_policy == "always";  // up --build --pull always: fresh base images
        std::ostringstream progress;
        auto built = build::build_image(build, progress);
        if (!built.ok())
            return Error("building " + request.reference + ": " + built.error().message);
        return *built;
    }
    // From its registry, as docker compose does: `pull_policy: always` (or `up --pull
    // always`) every time, `missing` (the default) when absent; `never` never.
    bool pull = request.pull_policy == "always" || (id.empty() && request.pull_policy != "never" && !can_build);
    if (!pull) {  // present, or `never` (the planner names that case before this runs)
        if (id.empty()) return Error("image " + request.reference + " is not present locally and its pull_policy is never");
        return id;
    }
    auto images = TRY(image::ImageStore::open(store_.root().path()));
    image::PullOptions options;
    build::Variables environment;
    for (const char* name : {"DOCKER_CONFIG", "HOME"})
        if (const char* value = std::getenv(name)) environment[name] = value;
    options.docker_config = build::docker_config_path(environment);
    options.parallel_downloads = 3;
    auto pulled = image::pull_image(images, request.reference, options);
    if (!pulled.ok()) {
        if (!id.empty() && request.pull_policy != "always") return id;
        return Error("image " + request.reference + ": " + pulled.error().message);
    }
    return pulled->image.id;
}

Result<void> LocalEngine::create_network(const NetworkRequest& request) {
    std::shared_lock lock(fork_mutex_);
    net::NetworkSpec spec;
    spec.name = request.name;
    spec.driver = request.driver;
    for (const auto& config : request.ipam_config)
        spec.ipam.push_back(net::IpamConfig{config.value("subnet", ""), config.value("gateway", ""), config.value("ip_range", "")});
    spec.internal = request.internal;
    spec.enable_ipv6 = request.enable_ipv6;
    spec.attachable = request.attachable;
    spec.labels = request.labels;
    spec.options = request.options;
    TRY(net::create_network(store_.root().path(), spec, net::Activation::Later));
    return ok();
}

Result<void> LocalEngine::activate_networks() {
    std::shared_lock lock(fork_mutex_);
    dns_pending_ = TRY(net::activate_nat(store_.root().path()));
    return ok();
}

void LocalEngine::activate_networks_after() {
    if (!dns_pending_) return;
    std::shared_lock lock(fork_mutex_);
    net::activate_dns(store_.root().path());
    dns_pending_ = false;
}

Result<void> LocalEngine::remove_network(const std::string& name) {
    std::shared_lock lock(fork_mutex_);
    return net::remove_network(store_.root().path(), name);
}

Result<bool> LocalEngine::network_exists(const std::string& name) {
    std::shared_lock lock(fork_mutex_);
    return net::find_network(store_.root().path(), name).ok();
}

Result<void> LocalEngine::create_volume(const VolumeRequest& request) {
    std::shared_lock lock(fork_mutex_);
    volume::VolumeSpec spec;
    spec.name = request.name;
    spec.driver = request.driver;
    spec.driver_opts = request.driver_opts;
    spec.labels = request.labels;
    TRY(volume::create_volume(store_.root().path(), spec));
    return ok();
}

Result<void> LocalEngine::remove_volume(const std::string& name) {
    std::shared_lock lock(fork_mutex_);
    return volume::remove_volume(store_.root().path(), name, false);
}

Result<bool> LocalEngine::volume_exists(const std::string& name) {
    std::shared_lock lock(fork_mutex_);
    return volume::find_volume(store_.root().path(), name).ok();
}

Result<std::string> LocalEngine::create_container(const container::CreateRequest& request) {
    std::shared_lock lock(fork_mutex_);
    auto record = TRY(container::create_container(store_, request));
    return record.id;
}

Result<void> LocalEngine::begin_parallel_starts() {
    if (starter_) return ok();
    std::unique_lock lock(fork_mutex_);
    starter_ = TRY(Starter::launch(store_.root().path()));
    return ok();
}

void LocalEngine::end_parallel_starts() { starter_.reset(); }

Result<void> LocalEngine::start_container(const std::string& id) {
    container::ContainerRecord record;
    sys::UniqueFd status;
    if (starter_) {
        {
            std::shared_lock lock(fork_mutex_);
            record = TRY(store_.read(id));
            auto state = TRY(store_.read_state(id));
            if (container::monitor_alive(state)) return ok();
        }
        status = TRY(starter_->spawn_monitor(id));
    } else {
        std::unique_lock lock(fork_mutex_);
        record = TRY(store_.read(id));
        auto state = TRY(store_.read_state(id));
        if (container::monitor_alive(state)) return ok();
        status = TRY(monitor::spawn(monitor::SpawnOptions{store_.root().path(), id, -1, -1})).status;
    }
    // The monitor says whether the container runs; other work goes on meanwhile.
    std::string line = monitor::read_status_line(status.get());
    if (line.rfind("started ", 0) == 0) return ok();
    if (line.rfind("error ", 0) == 0) {
        size_t space = line.find(' ', 6);
        return Error(space == std::string::npos ? line : line.substr(space + 1));
    }
    return Error("the monitor of container " + record.name + " ended without starting it");
}

Result<void> LocalEngine::stop_container(const std::string& id, std::optional<int> timeout_seconds) {
    std::shared_lock lock(fork_mutex_);
    auto record = TRY(store_.read(id));
    // A frozen process acts on no signal until it is thawed (cgroup v1 freezer).
    if (container::is_paused(record)) TRY(container::unpause_container(store_, record));
    return container::stop_container(store_, record, timeout_seconds);
}

Result<void> LocalEngine::kill_container(const std::string& id, int signal) {
    std::shared_lock lock(fork_mutex_);
    auto record = TRY(store_.read(id));
    // A frozen process acts on no signal until it is thawed (cgroup v1 freezer).
    if (container::is_paused(record)) TRY(container::unpause_container(store_, record));
    return container::kill_container(store_, record, signal);
}

Result<void> LocalEngine::remove_container(const std::string& id, bool remove_anonymous_volumes) {
    std::shared_lock lock(fork_mutex_);
    auto record = TRY(store_.read(id));
    if (container::is_paused(record)) TRY(container::unpause_container(store_, record));
    return container::remove_container(store_, record, true, remove_anonymous_volumes);
}

Result<void> LocalEngine::remove_image(const std::string& reference) {
    std::shared_lock lock(fork_mutex_);
    // Knows which images containers use, so down --rmi spares another project's image.
    auto images = TRY(container::open_image_store_with_usage(store_.root().path()));
    TRY(images.remove(reference, image::RemoveOptions{}));
    return ok();
}

Result<std::vector<Json>> LocalEngine::anonymous_volumes(const std::string& id) {
    std::shared_lock lock(fork_mutex_);
    auto record = TRY(store_.read(id));
    std::vector<Json> out;
    for (const auto& mount : record.mounts) {
        if (!mount.is_object() || mount.value("type", "") != "volume") continue;
        std::string source = mount.value("source", "");
        if (source.empty()) continue;
        auto volume = volume::find_volume(store_.root().path(), source);
        if (volume.ok() && volume->anonymous) out.push_back({{"target", mount.value("target", "")}, {"source", source}});
    }
    return out;
}

Result<sys::FileLock> lock_project(const std::filesystem::path& root, const std::string& project) {
    auto state_root = TRY(store::StateRoot::open(root));
    std::filesystem::path dir = state_root.run_dir() / "projects";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error::from_syscall("mkdir", ec.value(), dir.string());
    std::filesystem::path path = dir / (project + ".lock");
    auto held = sys::FileLock::try_acquire(path, sys::LockMode::Exclusive);
    if (held.ok()) return held;
    std::fprintf(stderr, "hako: waiting for another command on project %s to finish\n", project.c_str());
    return sys::FileLock::acquire(path, sys::LockMode::Exclusive);
}

}  // namespace hako::reconcile
