// This file implements the network verbs of the engine (network_store.h): records
// under ROOT/networks, subnets chosen or checked against the host and the root's
// other networks, the bridge of each bridge network and the root's nft rules.
#include "engine/net/network_store.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <system_error>

#include "engine/container/container_store.h"
#include "engine/container/options.h"
#include "engine/net/dns_control.h"
#include "engine/net/ipam.h"
#include "engine/net/nat.h"
#include "engine/net/netlink.h"
#include "engine/net/network_files.h"
#include "engine/sys/fd.h"
#include "engine/sys/lock.h"
#include "engine/sys/clock.h"

namespace hako::net {

namespace fs = std::filesystem;

namespace {

bool valid_network_name(const std::string& name) {
    if (name.empty() || name.size() > 128) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(name[0])) return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

// HAKO_ADDRESS_POOLS="BASE/N:SIZE,…" replaces docker's default pools (tests use it).
Result<std::vector<Pool>> address_pools() {
    const char* env = std::getenv("HAKO_ADDRESS_POOLS");
    if (!env || !*env) return default_pools();
    std::vector<Pool> pools;
    std::string text = env;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t colon = item.find(':');
        if (colon == std::string::npos) return Error("HAKO_ADDRESS_POOLS: \"" + item + "\": want BASE/N:SIZE");
        pools.push_back({item.substr(0, colon), std::atoi(item.c_str() + colon + 1)});
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return pools;
}

// An IPv6 unique local /64 derived from the network id.
std::string ula_subnet(const std::string& id) {
    return "fd" + id.substr(0, 2) + ":" + id.substr(2, 4) + ":" + id.substr(6, 4) + ":" + id.substr(10, 4) + "::/64";
}

int mtu_of(const NetworkRecord& record) {
    auto found = record.options.find("com.docker.network.driver.mtu");
    if (found == record.options.end()) return 1500;
    int mtu = std::atoi(found->second.c_str());
    return mtu >= 68 && mtu <= 65535 ? mtu : 1500;
}

// Completes and checks the IPAM configs of a new bridge network.
Result<std::vector<IpamConfig>> plan_subnets(const fs::path& root, const NetworkSpec& spec, const std::string& id) {
    std::vector<Subnet> taken;
    for (const auto& n : TRY(read_networks(root)))
        for (const auto& s : n.subnets)
            if (auto parsed = parse_subnet(s.subnet); parsed.ok()) taken.push_back(*parsed);
    auto sock = TRY(NetlinkSocket::open());
    auto host = TRY(host_subnets(sock));
    std::vector<IpamConfig> out;
    bool have_v4 = false, have_v6 = false;
    std::vector<Subnet> mine;
    for (const auto& config : spec.ipam) {
        if (config.subnet.empty()) {
            if (!config.gateway.empty() || !config.ip_range.empty())
                return Error("invalid network config: a gateway or ip range needs a subnet");
            continue;
        }
        auto subnet = TRY(parse_subnet(config.subnet));
        for (const auto& t : taken)
            if (t.overlaps(subnet))
                return Error("invalid pool request: Pool overlaps with other one on this address space (" +
                             subnet.str() + " overlaps " + t.str() + ")");
        for (const auto& t : mine)
            if (t.overlaps(subnet)) return Error("invalid network config: subnets " + subnet.str() + " and " + t.str() + " overlap");
        for (const auto& h : host)
            if (h.overlaps(subnet) && h.prefix > 0)
                return Error("invalid pool request: " + subnet.str() + " overlaps " + h.str() +
                             ", which the host already has an address in or a route to");
        if (subnet.base.family == AF_INET6 && !spec.enable_ipv6)
            return Error("invalid network config: IPv6 subnet " + subnet.str() + " needs --ipv6 (enable_ipv6)");
        IpamConfig completed{subnet.str(), config.gateway, config.ip_range};
        if (completed.gateway.empty()) {
            completed.gateway = subnet.at(1)->str();
        } else {
            auto gateway = TRY(parse_address(config.gateway));
            if (!subnet.contains(gateway))
                return Error("invalid network config: gateway " + config.gateway + " is outside subnet " + subnet.str());
        }
        if (!config.ip_range.empty()) {
            auto range = TRY(parse_subnet(config.ip_range));
            if (!subnet.contains(range.base) || range.prefix < subnet.prefix)
                return Error("invalid network config: ip range " + config.ip_range + " is outside subnet " + subnet.str());
        }
        (subnet.base.family == AF_INET ? have_v4 : have_v6) = true;
        mine.push_back(subnet);
        out.push_back(completed);
    }
    if (!have_v4) {
        std::vector<Subnet> avoid = taken;
        avoid.insert(avoid.end(), host.begin(), host.end());
        avoid.insert(avoid.end(), mine.begin(), mine.end());
        auto chosen = TRY(choose_subnet(TRY(address_pools()), avoid));
        out.insert(out.begin(), IpamConfig{chosen.str(), chosen.at(1)->str(), ""});
    }
    if (spec.enable_ipv6 && !have_v6) {
        auto subnet = TRY(parse_subnet(ula_subnet(id)));
        out.push_back({subnet.str(), subnet.at(1)->str(), ""});
    }
    return out;
}

std::vector<AddressWithPrefix> gateway_addresses(const NetworkRecord& record) {
    std::vector<AddressWithPrefix> out;
    for (const auto& s : record.subnets) {
        auto subnet = parse_subnet(s.subnet);
        auto gateway = parse_address(s.gateway);
        if (subnet.ok() && gateway.ok()) out.push_back({*gateway, subnet->prefix});
    }
    return out;
}

bool container_running(const fs::path& root, const std::string& container_id) {
    auto store = container::ContainerStore::open(root);
    if (!store.ok()) return false;
    auto state = store->observed_state(container_id);
    return state.status == "running" || state.status == "restarting";
}

}  // namespace

Result<void> ensure_network_bridge(const NetlinkSocket& sock, const NetworkRecord& record) {
    if (record.driver != "bridge" || record.bridge.empty()) return ok();
    if (link_index(sock, record.bridge) != 0) return ok();
    return ensure_bridge(sock, record.bridge, mtu_of(record), gateway_addresses(record));
}

namespace {

constexpr const char* kHostSubnetLock = "/run/hako-subnets.lock";

// Exists while a network created with Activation::Later waits for its NAT rules.
fs::path activation_marker(const fs::path& root) { return networks_dir(root) / "activate"; }

Result<NetworkRecord> create_locked(const fs::path& root, const NetworkSpec& spec, Activation activation) {
    if (!valid_network_name(spec.name))
        return Error("invalid network name \"" + spec.name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    if (spec.driver != "bridge" && spec.driver != "host" && spec.driver != "none")
        return Error("plugin \"" + spec.driver + "\" not found: hako has the drivers bridge, host and none");
    if (spec.driver != "bridge" && (!spec.ipam.empty() || spec.internal || spec.enable_ipv6))
        return Error("network driver " + spec.driver + " takes no subnets, --internal or --ipv6");
    auto lock = TRY(lock_networks(root));
    auto existing = TRY(read_networks(root));
    for (const auto& n : existing)
        if (n.name == spec.name) return Error("network with name " + spec.name + " already exists", ExitCode::Failure);
    NetworkRecord record;
    record.id = container::generate_id();
    record.name = spec.name;
    record.driver = spec.driver;
    record.created = sys::now_rfc3339();
    record.internal = spec.internal;
    record.enable_ipv6 = spec.enable_ipv6;
    record.labels = spec.labels;
    record.options = spec.options;
    if (spec.driver == "bridge") {
        record.bridge = "hk-" + record.id.substr(0, 12);
        // Host-wide, across state roots: from choosing a subnet the host does not
        // use to the bridge holding its address, so two roots creating networks at
        // once never pick the same free subnet. Without /run writable, no lock.
        std::optional<sys::FileLock> host_lock;
        if (auto held = sys::FileLock::acquire(kHostSubnetLock, sys::LockMode::Exclusive); held.ok())
            host_lock.emplace(std::move(*held));
        record.subnets = TRY(plan_subnets(root, spec, record.id));
        auto sock = TRY(NetlinkSocket::open());
        if (auto made = ensure_network_bridge(sock, record); !made.ok()) {
            (void)delete_link(sock, record.bridge);
            return std::move(made).error();
        }
    }
    auto undo = [&] {
        std::error_code ec;
        fs::remove_all(network_dir(root, record.id), ec);
        if (!record.bridge.empty())
            if (auto sock = NetlinkSocket::open(); sock.ok()) (void)delete_link(*sock, record.bridge);
    };
    if (auto written = write_network(root, record); !written.ok()) {
        undo();
        return std::move(written).error();
    }
    if (activation == Activation::Later) {
        sys::UniqueFd marker(::open(activation_marker(root).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        if (!marker) {
            int error = errno;
            undo();
            return Error::from_syscall("open", error, activation_marker(root).string());
        }
        return record;
    }
    if (auto synced = sync_nat(root); !synced.ok()) {
        undo();
        (void)sync_nat(root);
        return std::move(synced).error();
    }
    return record;
}

}  // namespace

Result<NetworkRecord> create_network(const fs::path& root, const NetworkSpec& spec, Activation activation) {
    auto record = TRY(create_locked(root, spec, activation));
    if (activation == Activation::Now) (void)dns::sync(root);
    return record;
}

Result<bool> activate_nat(const fs::path& root) {
    if (::access(activation_marker(root).c_str(), F_OK) != 0) return false;
    auto lock = TRY(lock_networks(root));
    // Another activation may have done it while this one waited for the lock.
    if (::access(activation_marker(root).c_str(), F_OK) != 0) return false;
    TRY(sync_nat(root));
    if (::unlink(activation_marker(root).c_str()) != 0 && errno != ENOENT)
        return Error::from_syscall("unlink", errno, activation_marker(root).string());
    return true;
}

void activate_dns(const fs::path& root) { (void)dns::sync(root); }

Result<void> activate_networks(const fs::path& root) {
    if (TRY(activate_nat(root))) activate_dns(root);
    return ok();
}

Result<std::vector<NetworkRecord>> list_networks(const fs::path& root) { return read_networks(root); }

Result<NetworkRecord> find_network(const fs::path& root, const std::string& name_or_id) {
    return find_network_in(TRY(read_networks(root)), name_or_id);
}

Result<NetworkRecord> find_network_in(const std::vector<NetworkRecord>& networks, const std::string& name_or_id) {
    for (const auto& n : networks)
        if (n.id == name_or_id) return n;
    for (const auto& n : networks)
        if (n.name == name_or_id) return n;
    const NetworkRecord* match = nullptr;
    if (!name_or_id.empty()) {
        for (const auto& n : networks) {
            if (n.id.rfind(name_or_id, 0) != 0) continue;
            if (match) return Error("network " + name_or_id + " is ambiguous (" + match->id.substr(0, 12) + ", " +
                                    n.id.substr(0, 12) + ")");
            match = &n;
        }
    }
    if (match) return *match;
    return Error("network " + name_or_id + " not found");
}

Result<void> remove_network(const fs::path& root, const std::string& name_or_id) {
    {
        auto lock = TRY(lock_networks(root));
        auto record = TRY(find_network(root, name_or_id));
        auto sock = TRY(NetlinkSocket::open());
        for (const auto& e : list_endpoints(root, record.id)) {
            if (container_running(root, e.container_id))
                return Error("error while removing network: network " + record.name + " id " + record.id +
                             " has active endpoints");
            // Left by a monitor that was killed: nothing runs behind it.
            if (!e.host_interface.empty()) (void)delete_link(sock, e.host_interface);
            remove_endpoint(root, record.id, e.container_id);
        }
        if (!record.bridge.empty()) TRY(delete_link_detached(record.bridge));
        std::error_code ec;
        fs::path dir = network_dir(root, record.id);
        fs::path doomed = networks_dir(root) / (".removed-" + record.id);
        fs::rename(dir, doomed, ec);
        if (ec) return Error("remove " + dir.string() + ": " + ec.message());
        fs::remove_all(doomed, ec);
        TRY(sync_nat(root));
    }
    (void)dns::sync(root);
    return ok();
}

Result<std::vector<PublishedPort>> published_ports(const fs::path& root, const std::string& container_id) {
    std::vector<PublishedPort> out;
    for (const auto& n : TRY(read_networks(root))) {
        auto e = read_endpoint(root, n.id, container_id);
        if (e) out.insert(out.end(), e->ports.begin(), e->ports.end());
    }
    return out;
}

}  // namespace hako::net
