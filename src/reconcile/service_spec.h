// This file declares how one normalised Compose service becomes the engine's
// container create request: names, labels, command, resources and the record's
// module sections (networking, mounts, health, devices, process).
#pragma once

#include <string>

#include "engine/container/lifecycle.h"
#include "src/project/project.h"

namespace hako::reconcile {

// "project-service-N" (or the service's container_name).
std::string container_name(const project::Project& project, const std::string& service, int number);
// The engine name of a project network or volume key (its `name:`, else project_key).
std::string network_name(const project::Project& project, const std::string& key);
std::string volume_name(const project::Project& project, const std::string& key);
// The image a service runs: `image:`, else "project-service" for a build.
std::string service_image(const project::Project& project, const std::string& service);
// How many containers the service wants: scale, deploy.replicas, else 1.
int service_scale(const project::Json& service);

// The namespace or volumes_from references a service makes to other services
// ("service:X" network_mode, pid, ipc; volumes_from entries), sorted, unique.
std::vector<std::string> shared_services(const project::Json& service);

// The create request for container `number` of `service`. References to other
// services' containers (network_mode/pid/ipc "service:X") are left as
// "service:X" for the executor to resolve to "container:ID" once X exists.
Result<container::CreateRequest> container_request(const project::Project& project, const std::string& service,
                                                   int number, bool oneoff);

}  // namespace hako::reconcile
