// This file declares the Dockerfile build executor: it turns a build context and a
// Dockerfile into an image in the store, one layer per filesystem-changing step,
// reusing cached steps (engine/build/build_cache.h) and running RUN in a container.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::build {

// A secret a build may mount (RUN --mount=type=secret,id=ID): a file's content, or
// a value (from an environment variable).
struct BuildSecret {
    std::filesystem::path file;   // read when the step runs, unless `value` is set
    std::optional<std::string> value;
};

struct BuildRequest {
    std::filesystem::path root;     // the state root (--root)
    std::filesystem::path context;  // the build context folder
    std::string dockerfile = "Dockerfile";  // relative to the context, or absolute
    std::optional<std::string> dockerfile_inline;  // the Dockerfile's text (compose dockerfile_inline)
    std::map<std::string, std::string> args, labels;  // --build-arg, --label
    std::string target;                               // the stage to build; default the last
    std::vector<std::string> tags;                    // -t NAME[:TAG]
    bool no_cache = false, pull = false, quiet = false;
    std::string network;  // RUN's network: "" or "default" (host), "none", "host"
    std::map<std::string, BuildSecret> secrets;  // --secret, by id
    // --ssh: id → agent sockets or private keys (keys are served by an ssh-agent
    // started for the build).
    std::map<std::string, std::vector<std::string>> ssh;
    // --pull and pulls of missing base images.
    std::vector<std::string> insecure_registries;
    std::string docker_config;  // config.json with registry credentials ("" = none)
    int64_t shm_size = 0;
    std::string progress = "plain";  // plain | tty
};

// Builds the image and tags it; returns its id ("sha256:…"). Progress lines (each
// step, CACHED, its time, RUN's output) go to `progress` unless request.quiet.
// Errors name the Dockerfile line (exit status 1).
Result<std::string> build_image(const BuildRequest& request, std::ostream& progress);

}  // namespace hako::build
