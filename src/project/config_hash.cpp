// This file implements config_hash: drop what does not shape the container,
// print the rest as compact sorted JSON, and digest it with sha256 (engine/sys/digest.h:
// OpenSSL's EVP_Digest pulled its whole provider framework into every hako process).
#include "src/project/config_hash.h"

#include <array>
#include <string_view>

#include "engine/sys/digest.h"

namespace hako::project {
namespace {

// Maps whose keys are user data (an environment variable or label may be
// called "x-…"), so extension keys are not stripped inside them.
bool holds_user_keys(std::string_view key) {
    for (std::string_view name : {"environment", "labels", "annotations", "sysctls", "extra_hosts", "args",
                                  "driver_opts", "options", "storage_opt", "log_opt", "ulimits"})
        if (key == name) return true;
    return false;
}

void drop_extensions(Json& value) {
    if (value.is_array()) {
        for (auto& item : value) drop_extensions(item);
        return;
    }
    if (!value.is_object()) return;
    for (auto it = value.begin(); it != value.end();) {
        if (it.key().rfind("x-", 0) == 0) {
            it = value.erase(it);
            continue;
        }
        if (!holds_user_keys(it.key())) drop_extensions(it.value());
        ++it;
    }
}

std::string sha256_hex(std::string_view data) {
    sys::Sha256 hasher;
    hasher.update(data);
    return hasher.hex_final();
}

}  // namespace

Json hashed_config(const Json& normalized_service) {
    Json service = normalized_service;
    if (!service.is_object()) return service;
    for (const char* key : {"build", "pull_policy", "scale", "depends_on", "profiles", "develop"}) service.erase(key);
    if (service.contains("deploy") && service["deploy"].is_object()) {
        service["deploy"].erase("replicas");
        if (service["deploy"].empty()) service.erase("deploy");
    }
    drop_extensions(service);
    return service;
}

std::string config_hash(const Json& normalized_service) {
    return sha256_hex(hashed_config(normalized_service).dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace hako::project
