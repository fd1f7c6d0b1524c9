// This file implements the Dockerfile instructions that only change the image
// config (ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR, CMD, ENTRYPOINT, SHELL,
// STOPSIGNAL, HEALTHCHECK, ONBUILD, MAINTAINER), with Docker's rules.
#pragma once

#include <string>
#include <vector>

#include "engine/build/dockerfile.h"
#include "engine/build/substitution.h"
#include "engine/image/oci.h"
#include "engine/sys/error.h"

namespace hako::build {

struct StageFlags {
    bool cmd_set = false;  // CMD given in this stage (ENTRYPOINT then keeps it)
};

// Applies `in` to `image` (its config and author) with variables from `env` (the
// environment before the instruction). Errors are returned without the line prefix.
Result<void> apply_config_step(const Instruction& in, image::ImageConfig& image, const Environment& env, char escape,
                               StageFlags& flags);

// Whether the instruction only changes the config.
bool is_config_step(const std::string& keyword);

// CMD/ENTRYPOINT/RUN argument vector: the exec form as is, the shell form run by
// the image's SHELL (default /bin/sh -c).
std::vector<std::string> command_vector(const Instruction& in, const std::vector<std::string>& shell);

// "ENV" → the pairs of ENV/LABEL (legacy "KEY value" form included), expanded.
Result<std::vector<std::pair<std::string, std::string>>> expand_pairs(const Instruction& in, const Environment& env,
                                                                      char escape);

// WORKDIR's path joined with the current one and cleaned ("/a/./b/../c" → "/a/c").
std::string join_workdir(const std::string& current, const std::string& path);

}  // namespace hako::build
