// This file declares the files of ROOT/networks that the engine and the DNS responder
// share: network.json per network, endpoints/<container-id>.json per attached running
// container, and the lock that orders every change to them. docs/networking.md describes them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/net/network_store.h"
#include "engine/sys/error.h"
#include "engine/sys/lock.h"

namespace hako::net {

struct Endpoint {
    std::string container_id, container_name;
    std::vector<std::string> names;  // what DNS answers on this network
    std::string ipv4, ipv6, mac;     // addresses without prefix length
    std::vector<PublishedPort> ports;
    std::string interface_name;  // inside the container: eth0, eth1 …
    std::string host_interface;  // the host end of the veth pair
};

std::filesystem::path networks_dir(const std::filesystem::path& root);
std::filesystem::path network_dir(const std::filesystem::path& root, const std::string& network_id);
// ROOT/networks/lock, exclusive: held by every change of a network or an endpoint.
Result<sys::FileLock> lock_networks(const std::filesystem::path& root);

std::string network_to_json(const NetworkRecord& record);
Result<NetworkRecord> network_from_json(const std::string& text);
// Every network record, without the lock (records are written atomically).
Result<std::vector<NetworkRecord>> read_networks(const std::filesystem::path& root);
Result<void> write_network(const std::filesystem::path& root, const NetworkRecord& record);

std::string endpoint_to_json(const Endpoint& endpoint);
Result<Endpoint> endpoint_from_json(const std::string& text);
Result<void> write_endpoint(const std::filesystem::path& root, const std::string& network_id, const Endpoint& endpoint);
std::optional<Endpoint> read_endpoint(const std::filesystem::path& root, const std::string& network_id,
                                      const std::string& container_id);
std::vector<Endpoint> list_endpoints(const std::filesystem::path& root, const std::string& network_id);
void remove_endpoint(const std::filesystem::path& root, const std::string& network_id, const std::string& container_id);

class NetlinkSocket;
// Creates the bridge of a bridge network when it is missing (at create, after a reboot),
// with its gateway addresses and MTU; an existing one is left as it is (network_store.cpp).
Result<void> ensure_network_bridge(const NetlinkSocket& sock, const NetworkRecord& record);

}  // namespace hako::net
