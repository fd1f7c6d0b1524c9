// This file registers hako network (create, ls, inspect, rm, prune, connect,
// disconnect on engine/net) and the network flags of container run/create.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/container/container_store.h"
#include "engine/net/attachments.h"
#include "engine/net/ipam.h"
#include "engine/net/network_files.h"
#include "engine/net/network_store.h"
#include "engine/net/ports.h"
#include "engine/store/state_root.h"
#include "src/cli/context.h"
#include "src/cli/output.h"
#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

fs::path root_of(const Context& ctx) { return ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root; }

void fail(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

Result<std::pair<std::string, std::string>> key_value(const std::string& text, const std::string& flag) {
    size_t eq = text.find('=');
    if (eq == 0) return Error::usage("invalid argument \"" + text + "\" for \"" + flag + "\" flag: want KEY=VALUE");
    if (eq == std::string::npos) return std::pair<std::string, std::string>{text, ""};
    return std::pair<std::string, std::string>{text.substr(0, eq), text.substr(eq + 1)};
}

// ---- container run/create flags ----

struct NetworkRunFlags : ModuleRunFlags {
    std::vector<std::string> networks, aliases, publish, expose, dns, dns_search, dns_option, add_host;
    std::string ip, ip6, mac, domainname;

    Result<void> finish(const Context&, container::CreateRequest& request) override {
        json& n = request.networking;
        if (!n.is_object()) n = json::object();
        std::string first = networks.empty() ? "none" : networks.front();
        request.network = first;
        bool bridge = first != "none" && first != "host" && first.rfind("container:", 0) != 0;
        if (networks.size() > 1 && !bridge)
            return Error("conflicting options: --network " + first + " cannot be combined with other networks",
                         container::kRunFailure);
        if (!bridge && (!aliases.empty() || !ip.empty() || !ip6.empty()))
            return Error("--network-alias and --ip only apply to user-defined networks", container::kRunFailure);
        if (bridge) {
            n["mode"] = "bridge";
            json endpoints = json::object();
            for (size_t i = 0; i < networks.size(); ++i) {
                json e = json::object();
                if (i == 0) {
                    if (!aliases.empty()) e["aliases"] = aliases;
                    if (!ip.empty()) e["ipv4_address"] = ip;
                    if (!ip6.empty()) e["ipv6_address"] = ip6;
                    if (!mac.empty()) e["mac_address"] = mac;
                }
                endpoints[networks[i]] = e;
            }
            n["endpoints"] = endpoints;
        }
        json ports = json::array();
        for (const auto& spec : publish) {
            auto entries = net::parse_publish_spec(spec);
            if (!entries.ok()) return Error(entries.error().message, container::kRunFailure);
            for (auto& e : *entries) ports.push_back(e);
        }
        if (!ports.empty()) n["ports"] = ports;
        if (!expose.empty()) {
            json exposed = json::array();
            for (const auto& e : expose) exposed.push_back(e.find('/') == std::string::npos ? e + "/tcp" : e);
            n["expose"] = exposed;
        }
        if (!dns.empty()) n["dns"] = dns;
        if (!dns_search.empty()) n["dns_search"] = dns_search;
        if (!dns_option.empty()) n["dns_opt"] = dns_option;
        if (!add_host.empty()) n["extra_hosts"] = add_host;
        if (!domainname.empty()) n["domainname"] = domainname;
        return ok();
    }
};

// ---- hako network … ----

ojson inspect_json(const fs::path& root, const net::NetworkRecord& n) {
    ojson config = ojson::array();
    for (const auto& s : n.subnets) {
        ojson c;
        c["Subnet"] = s.subnet;
        if (!s.ip_range.empty()) c["IPRange"] = s.ip_range;
        c["Gateway"] = s.gateway;
        config.push_back(c);
    }
    ojson containers = ojson::object();
    for (const auto& e : net::list_endpoints(root, n.id)) {
        auto prefix_of = [&](const std::string& address) -> std::string {
            if (address.empty()) return "";
            for (const auto& s : n.subnets) {
                auto subnet = net::parse_subnet(s.subnet);
                auto a = net::parse_address(address);
                if (subnet.ok() && a.ok() && subnet->contains(*a)) return address + "/" + std::to_string(subnet->prefix);
            }
            return address;
        };
        ojson c;
        c["Name"] = e.container_name;
        c["EndpointID"] = e.host_interface;
        c["MacAddress"] = e.mac;
        c["IPv4Address"] = prefix_of(e.ipv4);
        c["IPv6Address"] = prefix_of(e.ipv6);
        containers[e.container_id] = c;
    }
    ojson j;
    j["Name"] = n.name;
    j["Id"] = n.id;
    j["Created"] = n.created;
    j["Scope"] = "local";
    j["Driver"] = n.driver;
    j["EnableIPv6"] = n.enable_ipv6;
    j["IPAM"] = ojson{{"Driver", "default"}, {"Options", ojson::object()}, {"Config", config}};
    j["Internal"] = n.internal;
    j["Attachable"] = false;
    j["Ingress"] = false;
    j["ConfigFrom"] = ojson{{"Network", ""}};
    j["ConfigOnly"] = false;
    j["Containers"] = containers;
    ojson options = ojson::object();
    for (const auto& [k, v] : n.options) options[k] = v;
    if (!n.bridge.empty()) options["com.docker.network.bridge.name"] = n.bridge;
    j["Options"] = options;
    ojson labels = ojson::object();
    for (const auto& [k, v] : n.labels) labels[k] = v;
    j["Labels"] = labels;
    return j;
}

void add_create(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string name, driver = "bridge";
        std::vector<std::string> subnets, gateways, ip_ranges, labels, options;
        bool internal = false, ipv6 = false, attachable = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("create", "Create a network");
    cmd->add_option("-d,--driver", f->driver, "Driver to manage the network: bridge, host or none");
    cmd->add_option("--subnet", f->subnets, "Subnet in CIDR format")->allow_extra_args(false);
    cmd->add_option("--gateway", f->gateways, "Gateway for the subnet (in order of --subnet)")->allow_extra_args(false);
    cmd->add_option("--ip-range", f->ip_ranges, "Allocate container addresses from a sub-range (in order of --subnet)")
        ->allow_extra_args(false);
    cmd->add_flag("--internal", f->internal, "Restrict external access to the network");
    cmd->add_flag("--ipv6", f->ipv6, "Enable IPv6 networking");
    cmd->add_flag("--attachable", f->attachable, "Accepted for compatibility (every network is attachable)");
    cmd->add_option("--label", f->labels, "Set metadata on a network (KEY=VALUE)")->allow_extra_args(false);
    cmd->add_option("-o,--opt", f->options, "Set driver specific options (KEY=VALUE)")->allow_extra_args(false);
    cmd->add_option("NAME", f->name, "Network name")->required();
    cmd->callback([f, &ctx] {
        net::NetworkSpec spec;
        spec.name = f->name;
        spec.driver = f->driver;
        spec.internal = f->internal;
        spec.enable_ipv6 = f->ipv6;
        spec.attachable = f->attachable;
        if (f->gateways.size() > f->subnets.size() || f->ip_ranges.size() > f->subnets.size())
            return fail(ctx, Error::usage("every --gateway and --ip-range needs its own --subnet"));
        for (size_t i = 0; i < f->subnets.size(); ++i)
            spec.ipam.push_back({f->subnets[i], i < f->gateways.size() ? f->gateways[i] : "",
                                 i < f->ip_ranges.size() ? f->ip_ranges[i] : ""});
        for (const auto& l : f->labels) {
            auto kv = key_value(l, "--label");
            if (!kv.ok()) return fail(ctx, std::move(kv).error());
            spec.labels[kv->first] = kv->second;
        }
        for (const auto& o : f->options) {
            auto kv = key_value(o, "--opt");
            if (!kv.ok()) return fail(ctx, std::move(kv).error());
            spec.options[kv->first] = kv->second;
        }
        auto created = net::create_network(root_of(ctx), spec);
        if (!created.ok()) return fail(ctx, std::move(created).error());
        std::cout << created->id << "\n" << std::flush;
        ctx.exit_status = 0;
    });
}

void add_ls(CLI::App& noun, Context& ctx) {
    struct Flags {
        bool quiet = false, no_trunc = false;
        std::string format = "table";
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("ls", "List networks");
    cmd->alias("list");
    cmd->add_flag("-q,--quiet", f->quiet, "Only display network IDs");
    cmd->add_flag("--no-trunc", f->no_trunc, "Do not truncate the output");
    cmd->add_option("--format", f->format, "Output format: table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->callback([f, &ctx] {
        auto networks = net::list_networks(root_of(ctx));
        if (!networks.ok()) return fail(ctx, std::move(networks).error());
        auto id_of = [&](const net::NetworkRecord& n) { return f->no_trunc ? n.id : n.id.substr(0, 12); };
        std::string out;
        if (f->quiet) {
            for (const auto& n : *networks) out += id_of(n) + "\n";
        } else if (f->format == "json") {
            for (const auto& n : *networks) {
                std::string labels;
                for (const auto& [k, v] : n.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
                ojson j;
                j["CreatedAt"] = n.created;
                j["Driver"] = n.driver;
                j["ID"] = id_of(n);
                j["IPv6"] = n.enable_ipv6 ? "true" : "false";
                j["Internal"] = n.internal ? "true" : "false";
                j["Labels"] = labels;
                j["Name"] = n.name;
                j["Scope"] = "local";
                out += j.dump() + "\n";
            }
        } else {
            std::vector<std::vector<std::string>> table = {{"NETWORK ID", "NAME", "DRIVER", "SCOPE"}};
            for (const auto& n : *networks) table.push_back({id_of(n), n.name, n.driver, "local"});
            out = format_table(table);
            if (!out.empty() && out.back() != '\n') out += "\n";
        }
        std::cout << out << std::flush;
        ctx.exit_status = 0;
    });
}

void add_inspect(CLI::App& noun, Context& ctx) {
    auto names = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = noun.add_subcommand("inspect", "Display detailed information on one or more networks");
    cmd->add_option("NETWORK", *names, "Networks")->required();
    cmd->callback([names, &ctx] {
        ojson all = ojson::array();
        int status = 0;
        for (const auto& name : *names) {
            auto n = net::find_network(root_of(ctx), name);
            if (!n.ok()) {
                status = report(Result<void>(std::move(n).error()));
                continue;
            }
            all.push_back(inspect_json(root_of(ctx), *n));
        }
        std::cout << all.dump(4) << "\n" << std::flush;
        ctx.exit_status = status;
    });
}

void add_rm(CLI::App& noun, Context& ctx) {
    auto names = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = noun.add_subcommand("rm", "Remove one or more networks");
    cmd->alias("remove");
    cmd->add_option("NETWORK", *names, "Networks")->required();
    cmd->callback([names, &ctx] {
        int status = 0;
        for (const auto& name : *names) {
            auto removed = net::remove_network(root_of(ctx), name);
            if (!removed.ok()) status = report(removed);
            else std::cout << name << "\n" << std::flush;
        }
        ctx.exit_status = status;
    });
}

void add_prune(CLI::App& noun, Context& ctx) {
    auto force = std::make_shared<bool>(false);
    CLI::App* cmd = noun.add_subcommand("prune", "Remove all networks no container uses");
    cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    cmd->callback([force, &ctx] {
        fs::path root = root_of(ctx);
        auto networks = net::list_networks(root);
        if (!networks.ok()) return fail(ctx, std::move(networks).error());
        auto store = container::ContainerStore::open(root);
        if (!store.ok()) return fail(ctx, std::move(store).error());
        auto containers = store->list();
        if (!containers.ok()) return fail(ctx, std::move(containers).error());
        std::set<std::string> used;
        for (const auto& c : *containers) {
            used.insert(c.network);
            if (c.networking.is_object() && c.networking.contains("endpoints") && c.networking["endpoints"].is_object())
                for (auto it = c.networking["endpoints"].begin(); it != c.networking["endpoints"].end(); ++it)
                    used.insert(it.key());
        }
        std::string out;
        int status = 0;
        for (const auto& n : *networks) {
            if (used.count(n.name) || used.count(n.id) || !net::list_endpoints(root, n.id).empty()) continue;
            auto removed = net::remove_network(root, n.id);
            if (!removed.ok()) {
                status = report(removed);
                continue;
            }
            out += n.name + "\n";
        }
        if (!out.empty()) std::cout << "Deleted Networks:\n" << out << std::flush;
        ctx.exit_status = status;
    });
}

void add_connect(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string network, container, ip, ip6;
        std::vector<std::string> aliases;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("connect", "Connect a container to a network");
    cmd->add_option("--alias", f->aliases, "Add network-scoped alias for the container")->allow_extra_args(false);
    cmd->add_option("--ip", f->ip, "IPv4 address (e.g. 172.30.100.104)");
    cmd->add_option("--ip6", f->ip6, "IPv6 address");
    cmd->add_option("NETWORK", f->network, "Network")->required();
    cmd->add_option("CONTAINER", f->container, "Container")->required();
    cmd->callback([f, &ctx] {
        net::ConnectOptions options{f->aliases, f->ip, f->ip6};
        ctx.exit_status = report(net::connect_container(root_of(ctx), f->network, f->container, options));
    });
}

void add_disconnect(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string network, container;
        bool force = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("disconnect", "Disconnect a container from a network");
    cmd->add_flag("-f,--force", f->force, "Force the container to disconnect from a network");
    cmd->add_option("NETWORK", f->network, "Network")->required();
    cmd->add_option("CONTAINER", f->container, "Container")->required();
    cmd->callback([f, &ctx] { ctx.exit_status = report(net::disconnect_container(root_of(ctx), f->network, f->container)); });
}

}  // namespace

std::shared_ptr<ModuleRunFlags> add_network_run_flags(CLI::App* cmd) {
    auto f = std::make_shared<NetworkRunFlags>();
    cmd->add_option("--network,--net", f->networks, "Connect a container to a network (NAME, none, host, container:ID)")
        ->allow_extra_args(false);
    cmd->add_option("--network-alias", f->aliases, "Add network-scoped alias for the container")->allow_extra_args(false);
    cmd->add_option("--ip", f->ip, "IPv4 address (e.g. 172.30.100.104)");
    cmd->add_option("--ip6", f->ip6, "IPv6 address (e.g. 2001:db8::33)");
    cmd->add_option("--mac-address", f->mac, "Container MAC address (e.g. 92:d0:c6:0a:29:33)");
    cmd->add_option("-p,--publish", f->publish, "Publish a container's port(s) to the host")->allow_extra_args(false);
    cmd->add_option("--expose", f->expose, "Expose a port or a range of ports")->allow_extra_args(false);
    cmd->add_option("--dns", f->dns, "Set custom DNS servers")->allow_extra_args(false);
    cmd->add_option("--dns-search", f->dns_search, "Set custom DNS search domains")->allow_extra_args(false);
    cmd->add_option("--dns-option,--dns-opt", f->dns_option, "Set DNS options")->allow_extra_args(false);
    cmd->add_option("--add-host", f->add_host, "Add a custom host-to-IP mapping (host:ip)")->allow_extra_args(false);
    cmd->add_option("--domainname", f->domainname, "Container NIS domain name");
    return f;
}

void add_network_commands(CLI::App& app, Context& ctx) {
    CLI::App* noun = app.add_subcommand("network", "Manage networks");
    noun->require_subcommand(1);
    add_create(*noun, ctx);
    add_ls(*noun, ctx);
    add_inspect(*noun, ctx);
    add_rm(*noun, ctx);
    add_prune(*noun, ctx);
    add_connect(*noun, ctx);
    add_disconnect(*noun, ctx);
}

}  // namespace hako::cli
