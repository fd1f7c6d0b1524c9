// This file implements the responder's records (dns_records.h): reading the network
// and endpoint files that engine/net writes, and answering from them.
#include "engine/net/dns_records.h"

#include <arpa/inet.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/sys/file.h"

namespace hako::dns {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kMaxRecordFile = 1 << 20;

std::string lower(std::string text) {
    for (char& c : text)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return text;
}

// "10.0.0.2/24" and "10.0.0.2" both name the address 10.0.0.2.
std::string strip_prefix(const std::string& text) { return text.substr(0, text.find('/')); }

std::string string_field(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<json> read_json(const fs::path& path, std::vector<std::string>* problems) {
    auto text = sys::read_file(path, kMaxRecordFile);
    if (!text.ok()) {
        if (problems) problems->push_back(path.string() + ": " + text.error().message);
        return std::nullopt;
    }
    json value = json::parse(*text, nullptr, false);
    if (value.is_discarded() || !value.is_object()) {
        if (problems) problems->push_back(path.string() + ": not a JSON object");
        return std::nullopt;
    }
    return value;
}

std::string address_text(const IpAddress& address) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(address.family, address.bytes.data(), text, sizeof text);
    return text;
}

void add_endpoint(NetworkRecords& network, const json& endpoint) {
    auto ipv4 = IpAddress::parse(strip_prefix(string_field(endpoint, "ipv4")));
    auto ipv6 = IpAddress::parse(strip_prefix(string_field(endpoint, "ipv6")));
    if (ipv4 && ipv4->family != AF_INET) ipv4.reset();
    if (ipv6 && ipv6->family != AF_INET6) ipv6.reset();
    std::vector<std::string> names;
    std::string container_name = lower(string_field(endpoint, "container_name"));
    if (!container_name.empty()) names.push_back(container_name);
    if (auto it = endpoint.find("names"); it != endpoint.end() && it->is_array()) {
        for (const json& name : *it)
            if (name.is_string() && !name.get<std::string>().empty()) names.push_back(lower(name.get<std::string>()));
    }
    // Docker answers a container's short id as well.
    std::string id = string_field(endpoint, "container_id");
    if (id.size() >= 12) names.push_back(lower(id.substr(0, 12)));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (names.empty()) return;
    for (const std::string& raw : names) {
        std::string name = raw;
        while (!name.empty() && name.back() == '.') name.pop_back();
        if (name.empty()) continue;
        NameEntry& entry = network.names[name];
        if (ipv4) entry.ipv4.push_back(*ipv4);
        if (ipv6) entry.ipv6.push_back(*ipv6);
    }
    // PTR: the container's own name first (as docker does), then nothing else needed.
    std::string target = container_name.empty() ? names.front() : container_name;
    for (const auto& address : {ipv4, ipv6}) {
        if (!address) continue;
        auto& targets = network.reverse[reverse_name(address_text(*address))];
        if (std::find(targets.begin(), targets.end(), target) == targets.end()) targets.push_back(target);
    }
}

// "<id>.json"; not the ".<id>.json.tmp-N" of an atomic write in progress.
bool is_endpoint_file(const std::string& name) {
    return !name.empty() && name[0] != '.' && name.size() > 5 && name.ends_with(".json");
}

void rebuild_names(NetworkRecords& network) {
    network.names.clear();
    network.reverse.clear();
    for (const auto& [file, endpoint] : network.endpoints) add_endpoint(network, endpoint);
}

std::optional<NetworkRecords> load_network(const fs::path& dir, std::vector<std::string>* problems) {
    auto record = read_json(dir / "network.json", problems);
    if (!record) return std::nullopt;
    std::string driver = string_field(*record, "driver");
    if (!driver.empty() && driver != "bridge") return std::nullopt;
    NetworkRecords network;
    network.id = string_field(*record, "id");
    network.name = string_field(*record, "name");
    if (auto it = record->find("internal"); it != record->end() && it->is_boolean()) network.internal = it->get<bool>();
    if (auto it = record->find("subnets"); it != record->end() && it->is_array()) {
        for (const json& subnet : *it) {
            if (!subnet.is_object()) continue;
            if (auto prefix = Prefix::parse(string_field(subnet, "subnet"))) network.subnets.push_back(*prefix);
            auto gateway = IpAddress::parse(strip_prefix(string_field(subnet, "gateway")));
            if (gateway && gateway->family == AF_INET) network.gateways.push_back(*gateway);
        }
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir / "endpoints", ec)) {
        if (!is_endpoint_file(entry.path().filename().string())) continue;
        if (auto endpoint = read_json(entry.path(), problems))
            network.endpoints[entry.path().filename().string()] = std::move(*endpoint);
    }
    rebuild_names(network);
    return network;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(const std::string& text) {
    IpAddress address;
    if (inet_pton(AF_INET, text.c_str(), address.bytes.data()) == 1) {
        address.family = AF_INET;
        return address;
    }
    if (inet_pton(AF_INET6, text.c_str(), address.bytes.data()) == 1) {
        address.family = AF_INET6;
        return address;
    }
    return std::nullopt;
}

std::optional<Prefix> Prefix::parse(const std::string& cidr) {
    auto slash = cidr.find('/');
    if (slash == std::string::npos) return std::nullopt;
    auto base = IpAddress::parse(cidr.substr(0, slash));
    if (!base) return std::nullopt;
    std::string digits = cidr.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return std::nullopt;
    int length = std::stoi(digits);
    if (length > (base->family == AF_INET ? 32 : 128)) return std::nullopt;
    return Prefix{*base, length};
}

bool Prefix::contains(const IpAddress& address) const {
    if (address.family != base.family) return false;
    int full = length / 8, rest = length % 8;
    if (!std::equal(base.bytes.begin(), base.bytes.begin() + full, address.bytes.begin())) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (base.bytes[static_cast<size_t>(full)] & mask) == (address.bytes[static_cast<size_t>(full)] & mask);
}

bool NetworkRecords::contains(const IpAddress& source) const {
    return std::any_of(subnets.begin(), subnets.end(), [&](const Prefix& p) { return p.contains(source); });
}

std::vector<NetworkRecords> load_networks(const fs::path& root, std::vector<std::string>* problems) {
    std::vector<NetworkRecords> networks;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root / "networks", ec)) {
        if (!entry.is_directory(ec)) continue;
        if (auto network = load_network(entry.path(), problems)) networks.push_back(std::move(*network));
    }
    std::sort(networks.begin(), networks.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return networks;
}

void update_endpoint(NetworkRecords& network, const fs::path& root, const std::string& file,
                     std::vector<std::string>* problems) {
    if (!is_endpoint_file(file)) return;
    fs::path path = root / "networks" / network.id / "endpoints" / file;
    std::error_code ec;
    std::optional<json> endpoint;
    if (fs::exists(path, ec)) endpoint = read_json(path, problems);
    if (endpoint)
        network.endpoints[file] = std::move(*endpoint);
    else
        network.endpoints.erase(file);
    rebuild_names(network);
}

bool any_bridge_network(const fs::path& root) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root / "networks", ec)) {
        if (!entry.is_directory(ec)) continue;
        auto record = read_json(entry.path() / "network.json", nullptr);
        if (!record) continue;
        std::string driver = string_field(*record, "driver");
        if (!driver.empty() && driver != "bridge") continue;
        auto it = record->find("subnets");
        if (it == record->end() || !it->is_array()) continue;
        for (const json& subnet : *it) {
            if (!subnet.is_object()) continue;
            auto gateway = IpAddress::parse(strip_prefix(string_field(subnet, "gateway")));
            if (gateway && gateway->family == AF_INET) return true;
        }
    }
    return false;
}

LocalAnswer lookup(const NetworkRecords& network, const Question& question, std::mt19937& random) {
    LocalAnswer result;
    if (question.klass != kClassIn && question.klass != 255) return result;
    std::string name = question.name;
    if (name.ends_with(".in-addr.arpa") || name.ends_with(".ip6.arpa")) {
        auto it = network.reverse.find(name);
        if (it == network.reverse.end()) return result;
        result.known = true;
        if (question.type == static_cast<uint16_t>(RecordType::PTR) || question.type == 255) {
            for (const std::string& target : it->second)
                result.answers.push_back(Answer{RecordType::PTR, kLocalTtl, {}, target});
        }
        return result;
    }
    auto it = network.names.find(name);
    if (it == network.names.end()) return result;
    result.known = true;
    auto add = [&](RecordType type, const std::vector<IpAddress>& addresses, size_t size) {
        size_t first = result.answers.size();
        for (const IpAddress& address : addresses)
            result.answers.push_back(Answer{type, kLocalTtl, {address.bytes.begin(), address.bytes.begin() + static_cast<long>(size)}, {}});
        std::shuffle(result.answers.begin() + static_cast<long>(first), result.answers.end(), random);
    };
    bool any = question.type == 255;
    if (question.type == static_cast<uint16_t>(RecordType::A) || any) add(RecordType::A, it->second.ipv4, 4);
    if (question.type == static_cast<uint16_t>(RecordType::AAAA) || any) add(RecordType::AAAA, it->second.ipv6, 16);
    return result;
}

}  // namespace hako::dns
