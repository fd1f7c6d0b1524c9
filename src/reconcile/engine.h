// This file declares the seam between the reconciler and the container engine:
// what the reconciler observes of a project (containers, networks, volumes with
// their labels and state) and the few operations it asks for. LocalEngine
// (local_engine.h) drives the embedded engine; FakeEngine (fake_engine.h) is the
// in-memory stand-in the planner and executor tests use.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/container/lifecycle.h"
#include "engine/sys/error.h"

namespace hako::reconcile {

using Json = nlohmann::json;
using Labels = std::map<std::string, std::string>;

// The labels the reconciler puts on what it creates.
inline constexpr const char* kProjectLabel = "hako.project";
inline constexpr const char* kServiceLabel = "hako.service";
inline constexpr const char* kNumberLabel = "hako.container-number";
inline constexpr const char* kOneoffLabel = "hako.oneoff";
inline constexpr const char* kConfigHashLabel = "hako.config-hash";
inline constexpr const char* kConfigFilesLabel = "hako.config-files";
inline constexpr const char* kWorkingDirLabel = "hako.working-dir";
inline constexpr const char* kImageLabel = "hako.image";  // the image id the container was created from
inline constexpr const char* kNetworkLabel = "hako.network";
inline constexpr const char* kVolumeLabel = "hako.volume";

struct ObservedContainer {
    std::string id;
    std::string name;
    std::string service;  // hako.service
    int number = 0;       // hako.container-number
    bool oneoff = false;
    std::string config_hash;
    std::string image_id;
    std::string status;  // created, running, restarting, exited
    int exit_code = 0;
    std::string health;  // "", starting, healthy, unhealthy
    Labels labels;
    bool running() const { return status == "running" || status == "restarting"; }
};

struct ObservedNetwork {
    std::string name;
    Labels labels;
};

struct ObservedVolume {
    std::string name;
    Labels labels;
};

// What exists of one project, found by its hako.project label.
struct Observed {
    std::vector<ObservedContainer> containers;  // sorted by service, then number
    std::vector<ObservedNetwork> networks;
    std::vector<ObservedVolume> volumes;
};

struct NetworkRequest {
    std::string name;  // engine name: project_key or `name:`
    std::string driver = "bridge";
    std::vector<Json> ipam_config;  // [{"subnet", "gateway", "ip_range"}]
    bool internal = false;
    bool enable_ipv6 = false;
    bool attachable = false;
    Labels labels;
    std::map<std::string, std::string> options;
};

struct VolumeRequest {
    std::string name;
    std::string driver = "local";
    std::map<std::string, std::string> driver_opts;
    Labels labels;
};

// How an image for a service is made present.
struct ImageRequest {
    std::string service;
    std::string reference;   // image: or the name a build is tagged with
    std::string pull_policy; // always, missing, never, build, "" (missing)
    Json build;              // the service's build section, or null
    bool force_build = false;  // up --build
    bool no_build = false;     // up --no-build
};

class Engine {
public:
    virtual ~Engine() = default;

    virtual Result<Observed> observe(const std::string& project) = 0;
    // The current state of one container (the executor polls it for conditions).
    virtual Result<ObservedContainer> inspect(const std::string& id) = 0;
    // The image id a reference resolves to locally, or "" when it is absent.
    virtual Result<std::string> image_id(const std::string& reference) = 0;
    // Makes the image present (pull or build as the request says); its id.
    virtual Result<std::string> ensure_image(const ImageRequest& request) = 0;
    // Makes the network's record (and bridge); its packet filter rules and DNS may
    // follow only in activate_networks, which runs before any container starts.
    virtual Result<void> create_network(const NetworkRequest& request) = 0;
    // Finishes what create_network left for later (LocalEngine: NAT rules, the DNS
    // responder). The executor runs it alongside the container creates.
    virtual Result<void> activate_networks() { return ok(); }
    // What of the activation may follow the starts (LocalEngine: the DNS responder,
    // which each start's attach waits for anyway); run after activate_networks
    // returned, on the same thread.
    virtual void activate_networks_after() {}
    virtual Result<void> remove_network(const std::string& name) = 0;
    virtual Result<bool> network_exists(const std::string& name) = 0;
    virtual Result<void> create_volume(const VolumeRequest& request) = 0;
    virtual Result<void> remove_volume(const std::string& name) = 0;
    virtual Result<bool> volume_exists(const std::string& name) = 0;
    // Returns the new container's id.
    virtual Result<std::string> create_container(const container::CreateRequest& request) = 0;
    virtual Result<void> start_container(const std::string& id) = 0;
    // The executor calls these around its threads: an engine may set up what makes
    // starts from many threads cheap (LocalEngine forks its monitor starter while
    // the CLI has one thread) and let it go when they are done.
    virtual Result<void> begin_parallel_starts() { return ok(); }
    virtual void end_parallel_starts() {}
    virtual Result<void> stop_container(const std::string& id, std::optional<int> timeout_seconds) = 0;
    virtual Result<void> kill_container(const std::string& id, int signal) = 0;
    virtual Result<void> remove_container(const std::string& id, bool remove_anonymous_volumes) = 0;
    // The anonymous volumes a container mounts, as [{"target": PATH, "source": NAME}], so
    // a recreate without -V carries them over to the new container (the fake has none).
    virtual Result<std::vector<Json>> anonymous_volumes(const std::string&) { return std::vector<Json>{}; }
    virtual Result<void> remove_image(const std::string& reference) = 0;
};

}  // namespace hako::reconcile
