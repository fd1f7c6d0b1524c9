// This file implements the files of ROOT/networks (network_files.h).
#include "engine/net/network_files.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <system_error>

#include "engine/sys/file.h"

namespace hako::net {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path networks_dir(const fs::path& root) { return root / "networks"; }
fs::path network_dir(const fs::path& root, const std::string& network_id) { return networks_dir(root) / network_id; }

Result<sys::FileLock> lock_networks(const fs::path& root) {
    std::error_code ec;
    fs::create_directories(networks_dir(root), ec);
    if (ec) return Error("create " + networks_dir(root).string() + ": " + ec.message());
    return sys::FileLock::acquire(networks_dir(root) / "lock", sys::LockMode::Exclusive);
}

std::string network_to_json(const NetworkRecord& r) {
    json subnets = json::array();
    for (const auto& s : r.subnets) subnets.push_back({{"subnet", s.subnet}, {"gateway", s.gateway}, {"ip_range", s.ip_range}});
    json j = {{"id", r.id},           {"name", r.name},       {"driver", r.driver},
              {"bridge", r.bridge},   {"internal", r.internal}, {"enable_ipv6", r.enable_ipv6},
              {"subnets", subnets},   {"labels", r.labels},   {"options", r.options},
              {"created", r.created}};
    return j.dump(2) + "\n";
}

Result<NetworkRecord> network_from_json(const std::string& text) {
    try {
        json j = json::parse(text);
        NetworkRecord r;
        r.id = j.at("id").get<std::string>();
        r.name = j.at("name").get<std::string>();
        r.driver = j.value("driver", "bridge");
        r.bridge = j.value("bridge", "");
        r.created = j.value("created", "");
        r.internal = j.value("internal", false);
        r.enable_ipv6 = j.value("enable_ipv6", false);
        for (const auto& s : j.value("subnets", json::array()))
            r.subnets.push_back({s.value("subnet", ""), s.value("gateway", ""), s.value("ip_range", "")});
        r.labels = j.value("labels", std::map<std::string, std::string>{});
        r.options = j.value("options", std::map<std::string, std::string>{});
        return r;
    } catch (const std::exception& e) {
        return Error(std::string("bad network record: ") + e.what());
    }
}

Result<std::vector<NetworkRecord>> read_networks(const fs::path& root) {
    std::vector<NetworkRecord> out;
    std::error_code ec;
    if (!fs::exists(networks_dir(root), ec)) return out;
    for (const auto& entry : fs::directory_iterator(networks_dir(root), ec)) {
        if (!entry.is_directory()) continue;
        auto text = sys::read_file(entry.path() / "network.json", 1 << 20);
        if (!text.ok()) continue;  // a folder whose create was cut short
        auto record = network_from_json(*text);
        if (!record.ok()) return std::move(record).error().context((entry.path() / "network.json").string());
        out.push_back(std::move(*record));
    }
    if (ec) return Error("list " + networks_dir(root).string() + ": " + ec.message());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

Result<void> write_network(const fs::path& root, const NetworkRecord& record) {
    std::error_code ec;
    fs::create_directories(network_dir(root, record.id) / "endpoints", ec);
    if (ec) return Error("create " + network_dir(root, record.id).string() + ": " + ec.message());
    return sys::write_file_atomic(network_dir(root, record.id) / "network.json", network_to_json(record));
}

std::string endpoint_to_json(const Endpoint& e) {
    json ports = json::array();
    for (const auto& p : e.ports)
        ports.push_back({{"host_ip", p.host_ip}, {"host_port", p.host_port}, {"container_port", p.container_port},
                         {"protocol", p.protocol}});
    json j = {{"container_id", e.container_id}, {"container_name", e.container_name}, {"names", e.names},
              {"ipv4", e.ipv4},                 {"ipv6", e.ipv6},                     {"mac", e.mac},
              {"ports", ports},                 {"interface", e.interface_name},      {"host_interface", e.host_interface}};
    return j.dump(2) + "\n";
}

Result<Endpoint> endpoint_from_json(const std::string& text) {
    try {
        json j = json::parse(text);
        Endpoint e;
        e.container_id = j.at("container_id").get<std::string>();
        e.container_name = j.value("container_name", "");
        e.names = j.value("names", std::vector<std::string>{});
        e.ipv4 = j.value("ipv4", "");
        e.ipv6 = j.value("ipv6", "");
        e.mac = j.value("mac", "");
        for (const auto& p : j.value("ports", json::array()))
            e.ports.push_back({p.value("host_ip", ""), p.value("host_port", 0), p.value("container_port", 0),
                               p.value("protocol", "tcp")});
        e.interface_name = j.value("interface", "");
        e.host_interface = j.value("host_interface", "");
        return e;
    } catch (const std::exception& ex) {
        return Error(std::string("bad endpoint record: ") + ex.what());
    }
}

Result<void> write_endpoint(const fs::path& root, const std::string& network_id, const Endpoint& endpoint) {
    fs::path dir = network_dir(root, network_id) / "endpoints";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Error("create " + dir.string() + ": " + ec.message());
    // It lives exactly as long as the container runs: a crash makes it stale anyway, so no fsync.
    return sys::write_file_atomic(dir / (endpoint.container_id + ".json"), endpoint_to_json(endpoint), 0644,
                                  sys::Durability::Volatile);
}

std::optional<Endpoint> read_endpoint(const fs::path& root, const std::string& network_id,
                                      const std::string& container_id) {
    auto text = sys::read_file(network_dir(root, network_id) / "endpoints" / (container_id + ".json"), 1 << 20);
    if (!text.ok()) return std::nullopt;
    auto e = endpoint_from_json(*text);
    if (!e.ok()) return std::nullopt;
    return *e;
}

std::vector<Endpoint> list_endpoints(const fs::path& root, const std::string& network_id) {
    std::vector<Endpoint> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(network_dir(root, network_id) / "endpoints", ec)) {
        if (entry.path().extension() != ".json") continue;
        auto text = sys::read_file(entry.path(), 1 << 20);
        if (!text.ok()) continue;
        auto e = endpoint_from_json(*text);
        if (e.ok()) out.push_back(std::move(*e));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.container_id < b.container_id; });
    return out;
}

void remove_endpoint(const fs::path& root, const std::string& network_id, const std::string& container_id) {
    std::error_code ec;
    fs::remove(network_dir(root, network_id) / "endpoints" / (container_id + ".json"), ec);
}

}  // namespace hako::net
