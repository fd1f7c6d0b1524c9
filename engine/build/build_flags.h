// This file implements reading docker buildx's --secret and --ssh values into a
// BuildRequest's secrets and ssh sources ("id=npmrc,src=./npmrc", "id=tok,env=TOKEN",
// "default", "deploy=/home/me/.ssh/id_ed25519"); Compose's build.secrets and build.ssh
// use the same shapes once read from the model.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/build/builder.h"
#include "engine/sys/error.h"

namespace hako::build {

using Variables = std::map<std::string, std::string>;

// The non-empty parts of `text` between commas ("a=1,,b" → "a=1", "b").
std::vector<std::string> split_fields(std::string_view text);

// --secret id=ID[,src=PATH|source=PATH][,env=VAR][,type=file|env]: a file (relative
// paths from `cwd`) or the value of an environment variable, read now. Usage errors
// (status 2) name the flag's value.
Result<std::pair<std::string, BuildSecret>> parse_secret_flag(std::string_view value, const Variables& environment,
                                                             const std::filesystem::path& cwd);

// --ssh default | ID[=PATH[,PATH…]]: agent sockets or private key files; `default`
// alone means $SSH_AUTH_SOCK.
Result<std::pair<std::string, std::vector<std::string>>> parse_ssh_flag(std::string_view value,
                                                                       const Variables& environment,
                                                                       const std::filesystem::path& cwd);

// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json: where registry
// credentials for pulls are read.
std::string docker_config_path(const Variables& environment);

}  // namespace hako::build
