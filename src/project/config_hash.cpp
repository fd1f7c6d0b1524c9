// This file implements config_hash: drop what does not shape the container,
// print the rest as compact sorted JSON, and digest it with sha256 (OpenSSL).
#include "src/project/config_hash.h"

#include <openssl/evp.h>

#include <array>
#include <string_view>

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
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // EVP_Digest only fails on allocation failure; an empty hash then still
    // compares unequal to every stored one, which recreates: the safe side.
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) return {};
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
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
