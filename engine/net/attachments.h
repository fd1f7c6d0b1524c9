// This file declares how a container joins or leaves a network while it exists
// (`hako network connect/disconnect`): its record is updated, and a running
// container gets (or loses) the interface at once.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::net {

struct ConnectOptions {
    std::vector<std::string> aliases;
    std::string ipv4_address, ipv6_address;
};

Result<void> connect_container(const std::filesystem::path& root, const std::string& network,
                               const std::string& container, const ConnectOptions& options);
Result<void> disconnect_container(const std::filesystem::path& root, const std::string& network,
                                  const std::string& container);

}  // namespace hako::net
