// This file declares the network store: user networks of a state root under
// ROOT/networks/<id>/ (network.json and one endpoint file per attached container),
// the verbs that create, list, find and remove them, and the ports a container publishes.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::net {

struct IpamConfig {
    std::string subnet, gateway, ip_range;
};

struct NetworkSpec {
    std::string name;
    std::string driver = "bridge";  // bridge | host | none
    std::vector<IpamConfig> ipam;   // empty: one IPv4 subnet from the default pool
    bool internal = false;
    bool enable_ipv6 = false;
    bool attachable = false;
    std::map<std::string, std::string> labels, options;
};

struct NetworkRecord {
    std::string id, name, driver, bridge, created;
    bool internal = false, enable_ipv6 = false;
    std::vector<IpamConfig> subnets;  // completed: every subnet has its gateway
    std::map<std::string, std::string> labels, options;
};

// A published port as assigned (a random host port resolved).
struct PublishedPort {
    std::string host_ip;  // "" = every host address
    int host_port = 0;
    int container_port = 0;
    std::string protocol;  // tcp | udp
};

// When create_network makes the NAT rules and the DNS responder follow the new
// network: Now, before it returns; Later, in activate_networks, which `up` runs on
// its own thread while it creates containers (their starts wait for it). A Later
// create leaves ROOT/networks/activate behind until that is done, so a create cut
// short by kill -9 is completed by the next activate_networks.
enum class Activation { Now, Later };

// Creates the network (record, bridge, NAT rules); a name in use, a malformed or
// overlapping subnet, a gateway outside its subnet are errors and leave nothing.
Result<NetworkRecord> create_network(const std::filesystem::path& root, const NetworkSpec& spec,
                                     Activation activation = Activation::Now);
// Brings the NAT rules and the DNS responder in line with ROOT/networks when a Later
// create left them behind; returns at once (one stat) when none did.
Result<void> activate_networks(const std::filesystem::path& root);
// activate_networks in two steps: the NAT rules (true when a Later create had left
// them behind), then the DNS responder. Starts need the rules; the responder need
// not be up before them, as each start's attach syncs it again (waiting for a
// responder still starting), so up lets the starts go between the two.
Result<bool> activate_nat(const std::filesystem::path& root);
void activate_dns(const std::filesystem::path& root);
// Every network of the root, sorted by name.
Result<std::vector<NetworkRecord>> list_networks(const std::filesystem::path& root);
// By full id, name, or unique id prefix. Unknown → "network NAME not found".
Result<NetworkRecord> find_network(const std::filesystem::path& root, const std::string& name_or_id);
// The same among `networks` already read.
Result<NetworkRecord> find_network_in(const std::vector<NetworkRecord>& networks, const std::string& name_or_id);
// Removes record, bridge and NAT rules; refuses while a running container is attached.
Result<void> remove_network(const std::filesystem::path& root, const std::string& name_or_id);
// The ports a running container publishes (from its endpoint files); empty when none.
Result<std::vector<PublishedPort>> published_ports(const std::filesystem::path& root,
                                                   const std::string& container_id);

}  // namespace hako::net
