// This file declares the planner: a pure function from the project, what the
// engine holds of it and the verb's flags to the list of operations that makes
// the project so (networks, volumes, images, then each service's containers in
// dependency order), and the Plan's canonical text, which tests compare.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/container/lifecycle.h"
#include "src/project/project.h"
#include "src/reconcile/engine.h"

namespace hako::reconcile {

struct PlanOptions {
    std::vector<std::string> services;  // named on the command line; empty = every service
    bool no_deps = false;
    bool force_recreate = false;
    bool no_recreate = false;
    bool always_recreate_deps = false;
    bool renew_anon_volumes = false;  // -V
    bool remove_orphans = false;
    bool no_start = false;  // create only
    bool build = false;     // --build
    bool no_build = false;  // --no-build
    std::string pull;       // --pull always|missing|never|build ("" = the service's pull_policy)
    std::map<std::string, int> scale;  // --scale S=N
};

// What the planner reads besides the project: the snapshot and the local id of
// every image a service names ("" when it is not present).
struct PlanInput {
    Observed observed;
    std::map<std::string, std::string> image_ids;  // image reference → id
};

enum class Action {
    Create,    // a new container (then started unless no_start)
    Recreate,  // stop and remove the old one, create and start the new one
    Start,     // exists, not running
    Restart,   // running, restarted because a dependency it declares restart: true for changed
    Keep,      // running and up to date
    Remove,    // scale down or orphan: stop and remove
};
const char* to_string(Action action);

struct ContainerStep {
    Action action = Action::Keep;
    std::string name;
    int number = 0;
    std::string existing_id;  // Recreate, Start, Restart, Keep, Remove
    std::string reason;       // why (printed)
    container::CreateRequest request;  // Create, Recreate
};

// A depends_on entry the executor waits for before it touches the service.
struct Wait {
    std::string service;
    std::string condition = "service_started";  // service_started | service_healthy | service_completed_successfully
    bool required = true;
};

struct ServicePlan {
    std::string service;
    std::vector<ContainerStep> steps;  // Remove steps first, then by number
    std::vector<Wait> waits;
    bool start = true;  // false with no_start
};

struct ResourceStep {
    std::string name;  // engine name
    std::string key;   // the compose key
    bool external = false;
    bool create = false;  // false: exists (or external)
    std::string note;     // "changed: …" when the existing one differs
};

struct ImageStep {
    std::string reference;
    std::string service;
    std::string how;  // "pull" | "build"
    ImageRequest request;
};

struct Plan {
    std::string project;
    std::vector<std::pair<ResourceStep, NetworkRequest>> networks;
    std::vector<std::pair<ResourceStep, VolumeRequest>> volumes;
    std::vector<ImageStep> images;
    std::vector<ServicePlan> services;    // in start order
    std::vector<ContainerStep> orphans;   // Remove steps when remove_orphans, else only reported
    std::vector<std::string> warnings;
    // The lowest-numbered existing container of every service ("service:X" references
    // to services outside the plan resolve to it).
    std::map<std::string, std::string> first_container;

    // True when applying the plan changes nothing (a second `up`).
    bool nothing_to_do() const;
    // One line per operation, in a fixed order, e.g.
    //   network demo_default: create
    //   container demo-web-1: recreate (config changed) after db:service_healthy
    std::string print() const;
};

// The labels of a project's network or volume, with the hash of its definition.
Labels resource_labels(const project::Project& project, const char* kind_label, const std::string& key);

// The compose keys and engine names a plan touches are those of the selected
// services (and their dependencies unless no_deps). Unknown service → error.
Result<Plan> plan(const project::Project& project, const PlanInput& input, const PlanOptions& options);

// The services that `up SERVICE…` acts on: the named ones and, unless no_deps,
// everything they depend on (all when none is named), in start order.
Result<std::vector<std::string>> selected_services(const project::Project& project,
                                                   const std::vector<std::string>& named, bool no_deps);

}  // namespace hako::reconcile
