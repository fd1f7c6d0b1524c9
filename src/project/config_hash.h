// This file declares config_hash, the stable digest of a service's normalised
// config that the reconciler stores as the hako.config-hash label and compares
// to decide whether a container must be recreated.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace hako::project {

using Json = nlohmann::json;

// The sha256 (64 lowercase hex digits) of the service's normalised config
// without what does not shape the running container, as docker compose's
// ServiceHash leaves out: build, pull_policy, scale, deploy.replicas,
// depends_on, profiles, develop and x- extensions. Key order does not matter
// (the JSON text is printed with sorted keys); short and long syntax give the
// same digest because the input is normalised.
std::string config_hash(const Json& normalized_service);

// The part of the service that config_hash digests (for `hako config --hash`
// debugging and for tests).
Json hashed_config(const Json& normalized_service);

}  // namespace hako::project
