// This file implements the network hooks of a container (container/hooks.h) and
// connect/disconnect (attachments.h): the modes none, host, container:ID and bridge;
// for bridge networks one veth pair per network (eth0, eth1 … in the container),
// addresses from the network's IPAM, routes, published ports, the endpoint files the
// DNS responder reads, and the container's /etc/hosts, /etc/resolv.conf, /etc/hostname.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <sstream>

#include "engine/container/hooks.h"
#include "engine/container/options.h"
#include "engine/net/attachments.h"
#include "engine/net/dns_control.h"
#include "engine/net/hosts_files.h"
#include "engine/net/ipam.h"
#include "engine/net/nat.h"
#include "engine/net/netlink.h"
#include "engine/net/network_files.h"
#include "engine/net/ports.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"

namespace hako::net {

namespace fs = std::filesystem;
using container::ContainerRecord;
using nlohmann::json;

namespace {

Error run_error(Error e) {
    if (e.exit_code == ExitCode::Failure || e.exit_code == ExitCode::Ok) e.exit_code = container::kRunFailure;
    return e;
}

std::vector<std::string> strings(const json& j, const char* key) {
    std::vector<std::string> out;
    if (j.is_object() && j.contains(key) && j[key].is_array())
        for (const auto& v : j[key])
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

std::string mode_of(const ContainerRecord& r) { return r.networking.value("mode", std::string("none")); }

const fs::path& root_of(const container::RunContext& c) { return c.store.root().path(); }

// The first IPv4 subnet (and its gateway) of a network.
std::optional<IpamConfig> first_ipv4(const NetworkRecord& n) {
    for (const auto& s : n.subnets)
        if (auto p = parse_subnet(s.subnet); p.ok() && p->base.family == AF_INET) return s;
    return std::nullopt;
}

std::string mac_for(const Address& a) {
    char text[32];
    std::snprintf(text, sizeof text, "02:42:%02x:%02x:%02x:%02x", a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]);
    return text;
}

// Checks one endpoint of a create request against its network.
Result<void> check_endpoint(const fs::path& root, const NetworkRecord& n, const json& config) {
    if (!config.is_object()) return Error("network " + n.name + ": endpoint settings must be an object");
    for (const char* key : {"ipv4_address", "ipv6_address"}) {
        std::string text = config.value(key, std::string());
        if (text.empty()) continue;
        auto address = parse_address(text);
        if (!address.ok()) return Error("network " + n.name + ": " + key + ": " + address.error().message);
        bool inside = false;
        for (const auto& s : n.subnets) {
            auto subnet = parse_subnet(s.subnet);
            if (!subnet.ok() || !subnet->contains(*address)) continue;
            inside = true;
            if (s.gateway == address->str())
                return Error("network " + n.name + ": address " + text + " is the network's gateway");
        }
        if (!inside)
            return Error("no configured subnet or ip-range contain the IP address " + text + " (network " + n.name + ")");
        for (const auto& e : list_endpoints(root, n.id))
            if (e.ipv4 == address->str() || e.ipv6 == address->str())
                return Error("Address already in use: " + text + " on network " + n.name + " (container " +
                             e.container_name + ")");
    }
    return ok();
}

struct FileNames {
    fs::path hosts, resolv, hostname;
};
FileNames files_of(const fs::path& dir) { return {dir / "hosts", dir / "resolv.conf", dir / "hostname"}; }

// Rewrites a file in place (sys::write_over: written over, cut only when it was
// longer): it is bind-mounted into a running container by inode. A start rewrites
// /etc/hosts twice (before and after its addresses are known).
Result<void> rewrite_in_place(const fs::path& path, const std::string& text) {
    sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) return Error::from_syscall("open", errno, path.string());
    return sys::write_over(fd.get(), text, path.string());
}

std::string gateway_of_first_network(const std::vector<NetworkRecord>& networks, const ContainerRecord& r) {
    const json& endpoints = r.networking.value("endpoints", json::object());
    for (auto it = endpoints.begin(); it != endpoints.end(); ++it) {
        auto n = find_network_in(networks, it.key());
        if (!n.ok()) continue;
        if (auto s = first_ipv4(*n)) return s->gateway;
    }
    return "";
}

std::string gateway_of_first_network(const fs::path& root, const ContainerRecord& r) {
    auto networks = read_networks(root);
    return networks.ok() ? gateway_of_first_network(*networks, r) : "";
}

void add_addresses(std::vector<std::string>& own, const Endpoint& e) {
    if (!e.ipv4.empty()) own.push_back(e.ipv4);
    if (!e.ipv6.empty()) own.push_back(e.ipv6);
}

// /etc/hosts of a bridge container with the addresses `own` it holds on its networks.
Result<void> write_hosts(const std::vector<NetworkRecord>& networks, const fs::path& dir, const ContainerRecord& r,
                         const std::vector<std::string>& own) {
    auto extra = TRY(parse_extra_hosts(strings(r.networking, "extra_hosts"), gateway_of_first_network(networks, r)));
    return rewrite_in_place(files_of(dir).hosts,
                            render_hosts(extra, own, r.hostname, r.networking.value("domainname", std::string())));
}

// The same, with the addresses read from its endpoint files.
Result<void> write_hosts(const fs::path& root, const fs::path& dir, const ContainerRecord& r) {
    auto networks = TRY(read_networks(root));
    std::vector<std::string> own;
    for (const auto& n : networks)
        if (auto e = read_endpoint(root, n.id, r.id)) add_addresses(own, *e);
    return write_hosts(networks, dir, r, own);
}

std::vector<std::string> host_search_domains(const std::string& resolv) {
    std::vector<std::string> out;
    std::istringstream in(resolv);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string word;
        words >> word;
        if (word != "search" && word != "domain") continue;
        out.clear();
        while (words >> word) out.push_back(word);
    }
    return out;
}

std::string interface_for(const NetworkRecord& n, const std::string& container_id) {
    return "hv" + container_id.substr(0, 7) + n.id.substr(0, 6);
}

// One attachment: address, endpoint file (first, with the `ports` it publishes, so a
// kill leaves a record to undo), veth, routes.
Result<Endpoint> attach_one(const fs::path& root, const NetlinkSocket& host, const NetlinkSocket& inside,
                            const ContainerRecord& r, const NetworkRecord& n, const json& config,
                            const std::string& ifname, pid_t pid, const std::vector<PublishedPort>& ports = {}) {
    TRY(ensure_network_bridge(host, n));
    std::set<Address> taken;
    for (const auto& e : list_endpoints(root, n.id)) {
        if (e.container_id == r.id) continue;
        if (auto a = parse_address(e.ipv4); a.ok()) taken.insert(*a);
        if (auto a = parse_address(e.ipv6); a.ok()) taken.insert(*a);
    }
    Endpoint e;
    e.container_id = r.id;
    e.container_name = r.name;
    e.interface_name = ifname;
    e.host_interface = interface_for(n, r.id);
    std::vector<std::string> names = {r.name};
    if (!r.hostname.empty()) names.push_back(r.hostname);
    for (const auto& alias : strings(config, "aliases")) names.push_back(alias);
    for (const auto& name : names)
        if (std::find(e.names.begin(), e.names.end(), name) == e.names.end()) e.names.push_back(name);
    std::vector<AddressWithPrefix> addresses;
    std::vector<Address> gateways;
    for (const auto& s : n.subnets) {
        auto subnet = TRY(parse_subnet(s.subnet));
        if (subnet.base.family == AF_INET6 && !n.enable_ipv6) continue;
        if (auto gw = parse_address(s.gateway); gw.ok()) taken.insert(*gw);
        std::string wanted = config.value(subnet.base.family == AF_INET ? "ipv4_address" : "ipv6_address", std::string());
        Address chosen;
        if (!wanted.empty()) {
            chosen = TRY(parse_address(wanted));
            if (!subnet.contains(chosen)) continue;  // it belongs to another subnet of this network
            if (taken.count(chosen)) return Error("Address already in use: " + wanted + " on network " + n.name);
        } else {
            std::optional<Subnet> range;
            if (!s.ip_range.empty()) range = TRY(parse_subnet(s.ip_range));
            // Only the first subnet of each family gives an address.
            if (subnet.base.family == AF_INET ? !e.ipv4.empty() : !e.ipv6.empty()) continue;
            auto allocated = allocate_address(subnet, range, taken);
            if (!allocated.ok()) return std::move(allocated).error().context("network " + n.name);
            chosen = *allocated;
        }
        if (subnet.base.family == AF_INET ? !e.ipv4.empty() : !e.ipv6.empty()) continue;
        (subnet.base.family == AF_INET ? e.ipv4 : e.ipv6) = chosen.str();
        taken.insert(chosen);
        addresses.push_back({chosen, subnet.prefix});
        if (!n.internal)
            if (auto gw = parse_address(s.gateway); gw.ok()) gateways.push_back(*gw);
    }
    std::string mac = config.value("mac_address", std::string());
    if (mac.empty() && !e.ipv4.empty()) mac = mac_for(*parse_address(e.ipv4));
    e.mac = mac;
    e.ports = ports;
    TRY(write_endpoint(root, n.id, e));
    (void)delete_link(host, e.host_interface);  // left by a monitor killed mid-start
    int mtu = 1500;
    if (auto m = n.options.find("com.docker.network.driver.mtu"); m != n.options.end()) mtu = std::atoi(m->second.c_str());
    if (mtu < 68 || mtu > 65535) mtu = 1500;
    TRY(create_veth(host, {e.host_interface, n.bridge, ifname, pid, mtu, mac}));
    TRY(configure_interface(inside, ifname, addresses, gateways));
    if (e.mac.empty()) e.mac = link_mac(inside, ifname);
    return e;
}

// Undoes the attachments of a container to every network (or only `only`), from the
// endpoint files: veth, endpoint file, then its published ports. False when it had none.
// With `gone_with_namespace`, the veths are not deleted but listed there: their
// namespace is dying and takes them along (await_links_gone).
bool detach_endpoints(const fs::path& root, const std::string& container_id, const std::string& only = "",
                      std::vector<std::string>* gone_with_namespace = nullptr) {
    auto networks = read_networks(root);
    if (!networks.ok()) return false;
    std::optional<Result<NetlinkSocket>> sock;
    bool any = false;
    for (const auto& n : *networks) {
        if (!only.empty() && n.id != only) continue;
        auto e = read_endpoint(root, n.id, container_id);
        if (!e) continue;
        any = true;
        if (gone_with_namespace) {
            if (!e->host_interface.empty()) gone_with_namespace->push_back(e->host_interface);
        } else {
            if (!sock) sock = NetlinkSocket::open();
            if (sock->ok() && !e->host_interface.empty()) (void)delete_link(**sock, e->host_interface);
        }
        remove_endpoint(root, n.id, container_id);
        (void)change_ports(root, *e, PortChange::Delete);
    }
    return any;
}

// HAKO_NET_TIMES=FILE: each attach appends "total netlink ports dns" in microseconds
// (tests/bench/net_attach.sh reads them).
class AttachTimer {
public:
    AttachTimer() : file_(std::getenv("HAKO_NET_TIMES")) { lap(); }
    void lap() {
        if (!file_) return;
        marks_.push_back(std::chrono::steady_clock::now());
    }
    ~AttachTimer() {
        if (!file_ || marks_.size() < 2) return;
        auto us = [](auto d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); };
        std::string line = std::to_string(us(std::chrono::steady_clock::now() - marks_.front()));
        for (size_t i = 1; i < marks_.size(); ++i) line += " " + std::to_string(us(marks_[i] - marks_[i - 1]));
        line += "\n";
        sys::UniqueFd fd(::open(file_, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
        if (fd) (void)!::write(fd.get(), line.data(), line.size());
    }

private:
    const char* file_;
    std::vector<std::chrono::steady_clock::time_point> marks_;
};

bool has_ipv6(const NetworkRecord& n) {
    if (!n.enable_ipv6) return false;
    for (const auto& s : n.subnets)
        if (auto p = parse_subnet(s.subnet); p.ok() && p->base.family == AF_INET6) return true;
    return false;
}

Result<ContainerRecord> fresh_record(const container::RunContext& c) {
    auto r = c.store.read(c.record.id);
    if (r.ok()) return r;
    return c.record;
}

// eth<N> with the lowest N not present in the container.
std::string next_interface(const NetlinkSocket& inside) {
    for (int i = 0;; ++i) {
        std::string name = "eth" + std::to_string(i);
        if (link_index(inside, name) == 0) return name;
    }
}

Result<void> write_record(const container::ContainerStore& store, const ContainerRecord& r) {
    return sys::write_file_atomic(store.dir(r.id) / "container.json", container::record_to_json(r));
}

}  // namespace

Result<void> check_create(const container::ContainerStore& store, ContainerRecord& record) {
    const fs::path& root = store.root().path();
    json& n = record.networking;
    if (!n.is_object()) n = json::object();
    if (!n.contains("mode")) {
        const std::string& wanted = record.network;
        if (wanted.empty() || wanted == "none" || wanted == "host") {
            n["mode"] = wanted.empty() ? "none" : wanted;
        } else if (wanted.rfind("container:", 0) == 0) {
            n["mode"] = wanted;
        } else {
            n["mode"] = "bridge";
            if (!n.contains("endpoints") || n["endpoints"].empty()) n["endpoints"] = {{wanted, json::object()}};
        }
    }
    std::string mode = n["mode"].is_string() ? n["mode"].get<std::string>() : "";
    if (mode.rfind("container:", 0) == 0) {
        auto target = store.find(mode.substr(10));
        if (!target.ok()) return run_error(Error("joining network of container " + mode.substr(10) + ": " + target.error().message));
        if (target->id == record.id) return run_error(Error("cannot join own network namespace"));
        n["mode"] = "container:" + target->id;
    } else if (mode == "bridge") {
        if (!n.contains("endpoints") || !n["endpoints"].is_object() || n["endpoints"].empty())
            return run_error(Error("network mode bridge needs at least one network"));
        json checked = json::object();
        std::string single_mode;
        for (auto it = n["endpoints"].begin(); it != n["endpoints"].end(); ++it) {
            auto network = find_network(root, it.key());
            if (!network.ok()) return run_error(std::move(network).error());
            if (network->driver != "bridge") {
                if (n["endpoints"].size() > 1)
                    return run_error(Error("container cannot be connected to network " + network->name +
                                           " (driver " + network->driver + ") and to other networks"));
                single_mode = network->driver;
                continue;
            }
            if (auto good = check_endpoint(root, *network, it.value()); !good.ok()) return run_error(std::move(good).error());
            checked[network->name] = it.value().is_object() ? it.value() : json::object();
        }
        if (!single_mode.empty()) {
            n["mode"] = single_mode;
            n["endpoints"] = json::object();
        } else {
            n["endpoints"] = checked;
        }
    } else if (mode != "none" && mode != "host") {
        return run_error(Error("invalid network mode \"" + mode + "\": want none, host, bridge or container:ID"));
    }
    if (auto ports = parse_ports(n.value("ports", json::array())); !ports.ok())
        return run_error(std::move(ports).error().context("published ports"));
    for (const auto& server : strings(n, "dns"))
        if (!parse_address(server).ok()) return run_error(Error("invalid dns server \"" + server + "\": not an IP address"));
    if (auto extra = parse_extra_hosts(strings(n, "extra_hosts"), "0.0.0.0"); !extra.ok())
        return run_error(std::move(extra).error());
    return ok();
}

Result<void> prepare(const container::RunContext& context, runtime::ContainerConfig& config) {
    const ContainerRecord& r = context.record;
    const fs::path& root = root_of(context);
    std::string mode = mode_of(r);
    FileNames files = files_of(context.dir);
    const json& n = r.networking;
    auto host_resolv_file = sys::read_file("/etc/resolv.conf", 1 << 20);
    std::string host_resolv = host_resolv_file.ok() ? *host_resolv_file : std::string();
    auto extra = TRY(parse_extra_hosts(strings(n, "extra_hosts"), gateway_of_first_network(root, r)));
    std::string domainname = n.value("domainname", std::string());
    if (mode.rfind("container:", 0) == 0) {
        std::string target_id = mode.substr(10);
        auto state = context.store.read_state(target_id);
        if (!state.ok() || !container::monitor_alive(*state) || state->pid <= 0)
            return Error("cannot join network namespace of a non running container " + target_id.substr(0, 12));
        config.network = runtime::NetworkMode::Path;
        config.network_path = "/proc/" + std::to_string(state->pid) + "/ns/net";
        files = files_of(context.store.dir(target_id));
    } else if (mode == "host") {
        config.network = runtime::NetworkMode::Host;
        auto host_hosts = sys::read_file("/etc/hosts", 1 << 20);
        std::string hosts = host_hosts.ok() ? *host_hosts : "";
        for (const auto& e : extra) {
            hosts += e.address;
            for (const auto& name : e.names) hosts += "\t" + name;
            hosts += "\n";
        }
        TRY(rewrite_in_place(files.hosts, hosts));
        TRY(rewrite_in_place(files.resolv, host_resolv_conf(host_resolv, strings(n, "dns"), strings(n, "dns_search"),
                                                            strings(n, "dns_opt"))));
    } else if (mode == "bridge") {
        config.network = runtime::NetworkMode::New;
        std::vector<std::string> servers;
        if (std::string gateway = gateway_of_first_network(root, r); !gateway.empty()) servers.push_back(gateway);
        for (const auto& s : strings(n, "dns")) servers.push_back(s);
        std::vector<std::string> search = strings(n, "dns_search"), options = strings(n, "dns_opt");
        // The host's search domains carry over, as docker does.
        if (search.empty()) search = host_search_domains(host_resolv);
        TRY(rewrite_in_place(files.resolv, render_resolv_conf(servers, search, options)));
        TRY(rewrite_in_place(files.hosts, render_hosts(extra, {}, r.hostname, domainname)));
    } else {
        config.network = runtime::NetworkMode::None;
        TRY(rewrite_in_place(files.hosts, render_hosts(extra, {}, r.hostname, domainname)));
        TRY(rewrite_in_place(files.resolv, host_resolv_conf(host_resolv, strings(n, "dns"), strings(n, "dns_search"),
                                                            strings(n, "dns_opt"))));
    }
    // docker sets the NIS domain in the container's own UTS namespace, in every network mode.
    config.domainname = domainname;
    if (mode.rfind("container:", 0) != 0)
        TRY(rewrite_in_place(files.hostname, (r.hostname.empty() ? r.id.substr(0, 12) : r.hostname) + "\n"));
    std::vector<std::string> options = {"rbind", "rprivate"};
    config.mounts.push_back({"/etc/hostname", "bind", files.hostname.string(), options});
    config.mounts.push_back({"/etc/hosts", "bind", files.hosts.string(), options});
    config.mounts.push_back({"/etc/resolv.conf", "bind", files.resolv.string(), options});
    return ok();
}

Result<void> attach(const container::RunContext& context, pid_t init_pid) {
    // The mode is fixed at create (connect refuses none and host): only a bridged
    // container reads its record again, for the endpoints a connect added since.
    if (mode_of(context.record) != "bridge") return ok();
    AttachTimer timer;
    ContainerRecord r = TRY(fresh_record(context));
    const fs::path& root = root_of(context);
    auto requests = TRY(parse_ports(r.networking.value("ports", json::array())));
    std::vector<NetworkRecord> networks;
    std::vector<std::string> own;  // the container's addresses, for its /etc/hosts
    {
        auto lock = TRY(lock_networks(root));
        networks = TRY(read_networks(root));
        std::vector<std::pair<NetworkRecord, json>> wanted;
        const json& endpoints = r.networking.value("endpoints", json::object());
        for (auto it = endpoints.begin(); it != endpoints.end(); ++it) {
            auto n = TRY(find_network_in(networks, it.key()));
            if (n.driver == "bridge") wanted.emplace_back(std::move(n), it.value());
        }
        if (wanted.empty()) return ok();
        auto host = TRY(NetlinkSocket::open());
        auto inside = TRY(NetlinkSocket::open_in(init_pid));
        // The first network publishes the ports, over IPv6 too where it gives an IPv6 address.
        PortReservation reservation = TRY(reserve_ports(requests, {true, has_ipv6(wanted.front().first)}));
        for (size_t i = 0; i < wanted.size(); ++i) {
            const auto& [n, config] = wanted[i];
            std::vector<PublishedPort> ports = i == 0 ? reservation.ports : std::vector<PublishedPort>{};
            auto e = TRY(attach_one(root, host, inside, r, n, config, "eth" + std::to_string(i), init_pid, ports));
            add_addresses(own, e);
            if (i == 0) {
                timer.lap();
                TRY(change_ports(root, e, PortChange::Add));
            }
        }
        hold_ports(r.id, std::move(reservation));
    }
    TRY(write_hosts(networks, context.dir, r, own));
    timer.lap();
    (void)dns::sync(root);
    timer.lap();
    return ok();
}

namespace {

// Whether any network holds an endpoint file of the container: one stat per network,
// no lock and no JSON, so the detach after a monitor that already detached is cheap.
bool has_endpoints(const fs::path& root, const std::string& container_id) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(networks_dir(root), ec))
        if (fs::exists(entry.path() / "endpoints" / (container_id + ".json"), ec)) return true;
    return false;
}

// detach and detach_after_exit. A veth's deletion holds the kernel's rtnl lock for
// 25-40 ms here (RCU grace periods); made one by one under the networks' lock, the
// exits of a `down` queued behind each other. After the exit the namespace is dying
// and takes its veths along, batched by the kernel: only the wait is left, unlocked.
void detach_container(const container::RunContext& context, bool namespace_gone) {
    const fs::path& root = root_of(context);
    release_ports(context.record.id);
    if (!has_endpoints(root, context.record.id)) return;
    std::vector<std::string> veths;
    {
        auto lock = lock_networks(root);
        if (!lock.ok()) return;
        if (!detach_endpoints(root, context.record.id, "", namespace_gone ? &veths : nullptr)) return;
    }
    await_links_gone(veths, 2000);
    (void)dns::sync(root);
}

}  // namespace

void detach(const container::RunContext& context) { detach_container(context, false); }

void detach_after_exit(const container::RunContext& context) { detach_container(context, true); }

// Both callers (container::remove_container, the monitor's --rm path) detach just
// before: the endpoints are gone already.
Result<void> on_remove(const container::RunContext&) { return ok(); }

Result<void> connect_container(const fs::path& root, const std::string& network, const std::string& container,
                               const ConnectOptions& options) {
    auto store = TRY(container::ContainerStore::open(root));
    auto n = TRY(find_network(root, network));
    if (n.driver != "bridge") return Error("container cannot be connected to network " + n.name + " (driver " + n.driver + ")");
    ContainerRecord r;
    {
        auto root_lock = TRY(store.root().lock());
        r = TRY(store.find(container));
        if (mode_of(r) != "bridge")
            return Error("container " + r.name + " is in network mode " + mode_of(r) +
                         ": it cannot be connected to a network");
        json& endpoints = r.networking["endpoints"];
        if (endpoints.contains(n.name))
            return Error("endpoint with name " + r.name + " already exists in network " + n.name);
        json config = json::object();
        if (!options.aliases.empty()) config["aliases"] = options.aliases;
        if (!options.ipv4_address.empty()) config["ipv4_address"] = options.ipv4_address;
        if (!options.ipv6_address.empty()) config["ipv6_address"] = options.ipv6_address;
        TRY(check_endpoint(root, n, config));
        endpoints[n.name] = config;
        TRY(write_record(store, r));
    }
    auto state = store.observed_state(r.id);
    if (!(state.status == "running" && state.pid > 0)) return ok();
    {
        auto lock = TRY(lock_networks(root));
        auto host = TRY(NetlinkSocket::open());
        auto inside = TRY(NetlinkSocket::open_in(state.pid));
        auto attached = attach_one(root, host, inside, r, n, r.networking["endpoints"][n.name], next_interface(inside),
                                   state.pid);
        if (!attached.ok()) {
            detach_endpoints(root, r.id, n.id);
            return std::move(attached).error();
        }
    }
    TRY(write_hosts(root, store.dir(r.id), r));
    (void)dns::sync(root);
    return ok();
}

Result<void> disconnect_container(const fs::path& root, const std::string& network, const std::string& container) {
    auto store = TRY(container::ContainerStore::open(root));
    auto n = TRY(find_network(root, network));
    ContainerRecord r;
    {
        auto root_lock = TRY(store.root().lock());
        r = TRY(store.find(container));
        json& endpoints = r.networking["endpoints"];
        if (!endpoints.is_object() || !endpoints.contains(n.name))
            return Error("container " + r.name + " is not connected to network " + n.name);
        endpoints.erase(n.name);
        TRY(write_record(store, r));
    }
    {
        auto lock = TRY(lock_networks(root));
        detach_endpoints(root, r.id, n.id);
    }
    if (auto state = store.observed_state(r.id); state.status == "running") (void)write_hosts(root, store.dir(r.id), r);
    (void)dns::sync(root);
    return ok();
}

}  // namespace hako::net
