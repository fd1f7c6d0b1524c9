// This file implements pulling and pushing images with an OCI distribution registry (libcurl):
// manifests by tag or digest (Docker and OCI media types), image indexes narrowed to
// linux/<this machine's architecture>, blobs verified against their digests before
// anything is stored, and auth by WWW-Authenticate (Bearer tokens, Basic) with
// credentials from a docker-style config.json. Plain HTTP is used for localhost and
// 127.0.0.0/8 registries and for those named insecure. Layers download a few at a
// time into resumable partial files (ROOT/tmp/pull-<hex>.partial; docs/formats.md).
#pragma once

#include <cstdint>
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

// One layer's state during a pull, for a progress view (pull_progress.h).
struct LayerProgress {
    enum class Phase {
        Waiting,           // listed, not started ("Pulling fs layer")
        Downloading,       // bytes arriving; `done` of `total`
        Resuming,          // a partial file of `done` bytes continues with a Range request
        Restarting,        // the resumed file failed its digest check: downloading again from zero
        DownloadComplete,  // verified; `seconds` the download took
        Extracting,
        PullComplete,
        AlreadyExists,  // the store holds this layer (another image's): nothing downloaded
    };
    std::string id;  // the first 12 hex digits of the layer digest
    Phase phase = Phase::Waiting;
    int64_t done = 0, total = 0;
    double seconds = 0;
};

struct PullOptions {
    std::vector<std::string> insecure_registries;  // plain HTTP besides localhost
    std::string docker_config;                     // path of config.json ("" = none)
    // Progress lines as docker pull prints them ("abc123: Pull complete"); the layer
    // lines go here only when layer_progress is empty.
    std::function<void(const std::string&)> progress;
    // Per-layer events (called from the download threads, so it must be thread safe).
    std::function<void(const LayerProgress&)> layer_progress;
    unsigned parallel_downloads = 3;  // layers downloading at once (at least 1)
};

struct PullResult {
    ImageRecord image;
    std::string manifest_digest;
    bool downloaded = false;  // false when the image was already stored
};

// Pulls `ref` ("busybox", "127.0.0.1:5000/app:1", "name@sha256:…") into the store and
// tags it (unless pulled by digest).
Result<PullResult> pull_image(const ImageStore& store, const std::string& ref, const PullOptions& options);

// Removes the partial layer downloads under the store's tmp/ (pull-*.partial) while
// no pull runs (takes the gc lock); returns the bytes freed. `image prune` calls it.
Result<int64_t> prune_partial_downloads(const ImageStore& store);

struct PushOptions {
    std::vector<std::string> insecure_registries;
    std::string docker_config;
    std::function<void(const std::string&)> progress;
    size_t chunk_size = 4u << 20;  // blobs go up in PATCH chunks of this size
};

// Pushes the image tagged `ref` (its name says the registry): each blob the registry
// lacks is mounted from another repository of the same registry that one of the
// image's tags names, or uploaded in chunks (POST, PATCH…, PUT ?digest=); then the
// manifest as stored. Returns the manifest digest.
Result<std::string> push_image(const ImageStore& store, const std::string& ref, const PushOptions& options);

// `docker login`: checks the credentials against the registry's /v2/ (with the
// token exchange when it asks for one); a refusal is "unauthorized" (status 1).
Result<void> verify_login(const std::string& registry, const RegistryCredentials& credentials,
                          const std::vector<std::string>& insecure_registries);
// The key config.json files use for a registry ("https://index.docker.io/v1/" for docker.io).
std::string credentials_key(const std::string& registry);
// Writes (atomically, mode 0600) or removes auths.<key> in the config.json at `config_path`;
// remove returns whether there was an entry.
Result<void> store_credentials(const std::string& config_path, const std::string& registry,
                               const RegistryCredentials& credentials);
Result<bool> remove_credentials(const std::string& config_path, const std::string& registry);

}  // namespace hako::image
