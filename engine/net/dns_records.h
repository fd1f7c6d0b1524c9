// This file declares the responder's records: each user network of a state root as
// read from ROOT/networks/<id>/{network.json,endpoints/*.json}, and the local
// answers (A, AAAA, PTR) a query on that network gets.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/net/dns_packet.h"
#include "engine/sys/error.h"

namespace hako::dns {

// An address with its family; for IPv4 only the first 4 bytes count.
struct IpAddress {
    int family = 0;  // AF_INET or AF_INET6
    std::array<uint8_t, 16> bytes{};
    static std::optional<IpAddress> parse(const std::string& text);
    bool operator==(const IpAddress&) const = default;
};

struct Prefix {
    IpAddress base;
    int length = 0;
    static std::optional<Prefix> parse(const std::string& cidr);
    bool contains(const IpAddress& address) const;
};

struct NameEntry {
    std::vector<IpAddress> ipv4, ipv6;  // every endpoint that carries the name
};

struct NetworkRecords {
    std::string id, name;
    bool internal = false;
    std::vector<Prefix> subnets;
    std::vector<IpAddress> gateways;           // where the responder listens (IPv4 only today)
    std::map<std::string, NameEntry> names;    // lower-case name → its addresses
    std::map<std::string, std::vector<std::string>> reverse;  // reverse name → PTR targets
    // The endpoint files read, by file name ("<container id>.json"): names and reverse
    // are rebuilt from them when one changes, without reading the others again.
    std::map<std::string, nlohmann::json> endpoints;

    bool contains(const IpAddress& source) const;
};

// Reads every bridge network of the root. A file that cannot be read or parsed is
// skipped (with a line in `problems`), so one damaged record never silences a network.
std::vector<NetworkRecords> load_networks(const std::filesystem::path& root,
                                          std::vector<std::string>* problems = nullptr);
// Reads one endpoint file of `network` again (ROOT/networks/<id>/endpoints/FILE), or
// forgets it when it is gone, and rebuilds the network's names and PTRs: an attach or
// detach costs the responder one file, not every endpoint of the root.
void update_endpoint(NetworkRecords& network, const std::filesystem::path& root, const std::string& file,
                     std::vector<std::string>* problems = nullptr);
// True when ROOT/networks holds at least one bridge network with an IPv4 gateway.
bool any_bridge_network(const std::filesystem::path& root);

inline constexpr uint32_t kLocalTtl = 0;  // records change the moment a container goes

struct LocalAnswer {
    bool known = false;  // the name (or address) belongs to this network
    std::vector<Answer> answers;
};

// The local answer to `question` on `network`: all replicas' addresses in a random
// order, PTR for endpoint addresses, an empty answer for a known name without the type.
LocalAnswer lookup(const NetworkRecords& network, const Question& question, std::mt19937& random);

}  // namespace hako::dns
