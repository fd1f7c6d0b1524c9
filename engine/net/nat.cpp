// This file implements the nftables rules of a state root (nat.h) through libnftables
// (loaded on first use, nft_api.h).
#include "engine/net/nat.h"

#include <sys/socket.h>

#include <memory>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>

#include "engine/net/ipam.h"
#include "engine/net/ipv6_forwarding.h"
#include "engine/net/netlink.h"
#include "engine/net/nft_api.h"
#include "engine/net/nft_elements.h"
#include "engine/sys/digest.h"

namespace hako::net {

namespace fs = std::filesystem;

namespace {

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

bool is_bridge(const NetworkRecord& n) { return n.driver == "bridge" && !n.bridge.empty(); }

// IPv6 enabled, with an IPv6 subnet: its containers get IPv6 addresses.
bool routes_ipv6(const NetworkRecord& n) {
    if (!n.enable_ipv6) return false;
    for (const auto& s : n.subnets)
        if (auto subnet = parse_subnet(s.subnet); subnet.ok() && subnet->base.family == AF_INET6) return true;
    return false;
}

// The four port maps: by family, with a host address in the key or for every address.
struct PortMap {
    const char* name;
    const char* type;
};
constexpr PortMap kAddress4{"ports4_address", "ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service"};
constexpr PortMap kAny4{"ports4_any", "inet_proto . inet_service : ipv4_addr . inet_service"};
constexpr PortMap kAddress6{"ports6_address", "ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service"};
constexpr PortMap kAny6{"ports6_any", "inet_proto . inet_service : ipv6_addr . inet_service"};
constexpr PortMap kPortMaps[] = {kAddress4, kAny4, kAddress6, kAny6};

// Our rules in iptables-nft's FORWARD chain of one family: their handles and what
// each lets through ("iifname hk-…" / "oifname hk-…").
struct ForwardRules {
    std::vector<long> handles;
    std::set<std::string> matches;
};

// Our rules in `family filter FORWARD`; nullopt when there is no such chain.
std::optional<ForwardRules> our_forward_rules(nft::Context& nft, const std::string& family,
                                             const std::string& table) {
    ForwardRules ours;
    nft.set_output_flags(NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
    auto listed = nft.run("list chain " + family + " filter FORWARD");
    nft.set_output_flags(0);
    if (!listed.ok()) return std::nullopt;
    try {
        auto j = nlohmann::json::parse(*listed);
        for (const auto& item : j.at("nftables")) {
            if (!item.contains("rule")) continue;
            const auto& rule = item["rule"];
            if (rule.value("comment", "") != table) continue;
            ours.handles.push_back(rule.value("handle", 0L));
            for (const auto& expr : rule.value("expr", nlohmann::json::array())) {
                if (!expr.contains("match")) continue;
                const auto& match = expr["match"];
                std::string key = match.at("left").at("meta").value("key", "");
                if (match.at("right").is_string()) ours.matches.insert(key + " " + match["right"].get<std::string>());
            }
        }
    } catch (const std::exception&) {
        ours.matches.clear();  // unreadable: replaced as a whole
    }
    return ours;
}

// The commands that make our accepts in iptables-nft's FORWARD chains (ip and ip6)
// let every bridge of `networks` through, both ways; empty when they already do.
// An accept in our own table would not override a DROP policy (or rule) in another
// base chain of the forward hook, as dockerd sets: so they go where the drop is.
std::string forward_accepts_script(nft::Context& nft, const std::string& table, const std::vector<NetworkRecord>& networks) {
    std::set<std::string> wanted;
    for (const auto& n : networks)
        if (is_bridge(n)) wanted.insert({"iifname " + n.bridge, "oifname " + n.bridge});
    std::string script;
    for (const std::string family : {"ip", "ip6"}) {
        auto ours = our_forward_rules(nft, family, table);
        if (!ours) continue;  // no iptables-nft FORWARD chain: nothing to let through
        if (ours->matches == wanted && ours->handles.size() == wanted.size()) continue;
        for (long handle : ours->handles)
            script += "delete rule " + family + " filter FORWARD handle " + std::to_string(handle) + "\n";
        for (const std::string& match : wanted)
            script += "insert rule " + family + " filter FORWARD " + match.substr(0, match.find(' ')) + " " +
                      in_quotes(match.substr(match.find(' ') + 1)) + " accept comment " + in_quotes(table) + "\n";
    }
    return script;
}

// Replaces the rules of `chain` (created when missing, with `hook` when given).
std::string chain_script(const std::string& table, const std::string& chain, const std::string& hook,
                         const std::string& rules) {
    std::string s = "add chain inet " + table + " " + chain;
    if (!hook.empty()) s += " { " + hook + " }";
    s += "\nflush chain inet " + table + " " + chain + "\n";
    if (!rules.empty()) s += "table inet " + table + " {\n  chain " + chain + " {\n" + rules + "  }\n}\n";
    return s;
}

}  // namespace

std::string nat_table_name(const fs::path& root) {
    std::string digest = sys::sha256_digest(fs::absolute(root).lexically_normal().string());
    size_t colon = digest.find(':');
    return "hako_" + digest.substr(colon == std::string::npos ? 0 : colon + 1, 10);
}

std::vector<PortElement> port_elements(const Endpoint& e) {
    std::vector<PortElement> out;
    auto v4 = parse_address(e.ipv4), v6 = parse_address(e.ipv6);
    for (const auto& p : e.ports) {
        auto host = parse_address(p.host_ip);
        bool every = p.host_ip.empty();
        auto element = [&](const PortMap& map, bool keyed, const Address& container) {
            out.push_back({map.name, keyed, keyed ? *host : Address{}, p.protocol, p.host_port, container, p.container_port});
        };
        if (v4.ok() && (every || (host.ok() && host->family == AF_INET))) {
            bool any = every || host->str() == "0.0.0.0";
            element(any ? kAny4 : kAddress4, !any, *v4);
        }
        if (v6.ok() && (every || (host.ok() && host->family == AF_INET6))) {
            bool any = every || host->str() == "::";
            element(any ? kAny6 : kAddress6, !any, *v6);
        }
    }
    return out;
}

std::string render_port_elements(const std::string& table, const Endpoint& endpoint, PortChange change) {
    std::string s;
    for (const auto& e : port_elements(endpoint))
        s += (change == PortChange::Add ? "add element inet " : "delete element inet ") + table + " " + e.map +
             " { " + element_text(e, change == PortChange::Add) + " }\n";
    return s;
}

std::string render_nat_table(const std::string& table, const std::vector<NetworkRecord>& networks,
                             const std::map<std::string, std::vector<Endpoint>>& endpoints) {
    std::string forward, postrouting, elements;
    for (const auto& n : networks) {
        if (!is_bridge(n)) continue;
        std::string b = in_quotes(n.bridge);
        // No network reaches another one (of this root or any other hako root).
        forward += "    iifname " + b + " oifname != " + b + " oifname \"hk-*\" drop\n";
        if (n.internal) {
            forward += "    iifname " + b + " oifname != " + b + " drop\n";
            forward += "    oifname " + b + " iifname != " + b + " drop\n";
        }
        for (const auto& s : n.subnets) {
            auto subnet = parse_subnet(s.subnet);
            if (!subnet.ok()) continue;
            std::string ip = subnet->base.family == AF_INET ? "ip" : "ip6";
            if (!n.internal)
                postrouting += "    " + ip + " saddr " + s.subnet + " oifname != " + b + " masquerade\n";
            // A published port reached from inside the same network (hairpin).
            postrouting += "    oifname " + b + " ct status dnat " + ip + " saddr " + s.subnet + " masquerade\n";
        }
        // A published port reached on 127.0.0.1: the loopback source cannot leave as it is.
        postrouting += "    oifname " + b + " ip saddr 127.0.0.0/8 masquerade\n";
        if (auto found = endpoints.find(n.id); found != endpoints.end())
            for (const auto& e : found->second) elements += render_port_elements(table, e, PortChange::Add);
    }
    std::string s = "add table inet " + table + "\n";
    for (const PortMap& map : kPortMaps) {
        s += "add map inet " + table + " " + map.name + " { type " + map.type + "; }\n";
        s += "flush map inet " + table + " " + map.name + "\n";
    }
    s += chain_script(table, "forward", "type filter hook forward priority filter; policy accept;", forward);
    // ::1 is left out: the kernel drops the replies (a loopback destination arriving on
    // a bridge), so a client gets "refused" from the reserved socket and falls back to IPv4.
    s += chain_script(table, "ports", "",
                      "    meta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @ports4_address\n"
                      "    meta nfproto ipv4 dnat ip to meta l4proto . th dport map @ports4_any\n"
                      "    meta nfproto ipv6 dnat ip6 to ip6 daddr . meta l4proto . th dport map @ports6_address\n"
                      "    meta nfproto ipv6 ip6 daddr != ::1 dnat ip6 to meta l4proto . th dport map @ports6_any\n");
    s += chain_script(table, "prerouting", "type nat hook prerouting priority dstnat; policy accept;",
                      "    fib daddr type local jump ports\n");
    s += chain_script(table, "output", "type nat hook output priority -100; policy accept;",
                      "    fib daddr type local jump ports\n");
    s += chain_script(table, "postrouting", "type nat hook postrouting priority srcnat; policy accept;", postrouting);
    return s + elements;
}

Result<void> sync_nat(const fs::path& root) {
    auto networks = TRY(read_networks(root));
    std::map<std::string, std::vector<Endpoint>> endpoints;
    bool any_bridge = false, any_outbound = false, any_outbound_ipv6 = false;
    for (const auto& n : networks) {
        if (!is_bridge(n)) continue;
        any_bridge = true;
        any_outbound = any_outbound || !n.internal;
        any_outbound_ipv6 = any_outbound_ipv6 || (!n.internal && routes_ipv6(n));
        endpoints[n.id] = list_endpoints(root, n.id);
    }
    std::string table = nat_table_name(root);
    auto nft = TRY(nft::Context::open());
    std::string script = forward_accepts_script(nft, table, networks);
    if (any_bridge) {
        script += render_nat_table(table, networks, endpoints);
    } else {
        script += "table inet " + table + " {}\ndelete table inet " + table + "\n";
    }
    TRY(nft.run(script));
    if (any_outbound) (void)write_sysctl("net/ipv4/ip_forward", "1");
    if (any_outbound_ipv6)
        TRY(hold_ipv6_forwarding(table));
    else
        TRY(release_ipv6_forwarding(table));
    return ok();
}

Result<void> ensure_forward_accepts(const fs::path& root) {
    auto networks = TRY(read_networks(root));
    auto nft = TRY(nft::Context::open());
    std::string script = forward_accepts_script(nft, nat_table_name(root), networks);
    if (script.empty()) return ok();
    TRY(nft.run(script));
    return ok();
}

Result<void> change_ports(const fs::path& root, const Endpoint& endpoint, PortChange change) {
    auto elements = port_elements(endpoint);
    if (elements.empty()) return ok();
    auto changed = change_elements(nat_table_name(root), elements,
                                   change == PortChange::Add ? ElementChange::Add : ElementChange::Delete);
    if (changed.ok()) return ok();
    return sync_nat(root);
}

}  // namespace hako::net
