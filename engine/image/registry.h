// This file implements pulling images from an OCI distribution registry (libcurl):
// manifests by tag or digest (Docker and OCI media types), image indexes narrowed to
// linux/<this machine's architecture>, blobs verified against their digests before
// anything is stored, and auth by WWW-Authenticate (Bearer tokens, Basic) with
// credentials from a docker-style config.json. Plain HTTP is used for localhost and
// 127.0.0.0/8 registries and for those named insecure.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/image/image_store.h"
#include "engine/sys/error.h"

namespace hako::image {

struct RegistryCredentials {
    std::string username;
    std::string password;
};

// Reads the credentials for `registry` ("docker.io", "127.0.0.1:5000") from the
// docker config.json at `config_path` (auths.<host>.auth = base64 user:password);
// none when absent.
RegistryCredentials credentials_for(const std::string& config_path, const std::string& registry);

struct PullOptions {
    std::vector<std::string> insecure_registries;  // plain HTTP besides localhost
    std::string docker_config;                     // path of config.json ("" = none)
    // Progress lines as docker pull prints them ("abc123: Pull complete").
    std::function<void(const std::string&)> progress;
};

struct PullResult {
    ImageRecord image;
    std::string manifest_digest;
    bool downloaded = false;  // false when the image was already stored
};

// Pulls `ref` ("busybox", "127.0.0.1:5000/app:1", "name@sha256:…") into the store and
// tags it (unless pulled by digest).
Result<PullResult> pull_image(const ImageStore& store, const std::string& ref, const PullOptions& options);

}  // namespace hako::image
