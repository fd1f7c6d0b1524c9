// This file implements the nftables rules of a state root (nat.h) through libnftables.
#include "engine/net/nat.h"

#include <nftables/libnftables.h>
#include <sys/socket.h>

#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "engine/net/ipam.h"
#include "engine/net/netlink.h"
#include "engine/sys/digest.h"

namespace hako::net {

namespace fs = std::filesystem;

namespace {

struct CtxFree {
    void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};
using Ctx = std::unique_ptr<nft_ctx, CtxFree>;

Ctx make_ctx() {
    Ctx ctx(nft_ctx_new(NFT_CTX_DEFAULT));
    if (ctx) {
        nft_ctx_buffer_output(ctx.get());
        nft_ctx_buffer_error(ctx.get());
    }
    return ctx;
}

Result<std::string> run(nft_ctx* ctx, const std::string& script) {
    int rc = nft_run_cmd_from_buffer(ctx, script.c_str());
    std::string out = nft_ctx_get_output_buffer(ctx);
    std::string err = nft_ctx_get_error_buffer(ctx);
    if (rc != 0) return Error("nftables: " + (err.empty() ? std::string("command failed") : err));
    return out;
}

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

bool is_bridge(const NetworkRecord& n) { return n.driver == "bridge" && !n.bridge.empty(); }

// The handles of our rules in iptables-nft's FORWARD chain of `family`; nullopt when
// there is no such chain.
std::optional<std::vector<long>> our_forward_rules(nft_ctx* ctx, const std::string& family, const std::string& table) {
    std::vector<long> handles;
    nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
    auto listed = run(ctx, "list chain " + family + " filter FORWARD");
    nft_ctx_output_set_flags(ctx, 0);
    if (!listed.ok()) return std::nullopt;
    try {
        auto j = nlohmann::json::parse(*listed);
        for (const auto& item : j.at("nftables")) {
            if (!item.contains("rule")) continue;
            const auto& rule = item["rule"];
            if (rule.value("comment", "") == table) handles.push_back(rule.value("handle", 0L));
        }
    } catch (const std::exception&) {
    }
    return handles;
}

}  // namespace

std::string nat_table_name(const fs::path& root) {
    std::string digest = sys::sha256_digest(fs::absolute(root).lexically_normal().string());
    size_t colon = digest.find(':');
    return "hako_" + digest.substr(colon == std::string::npos ? 0 : colon + 1, 10);
}

std::string render_nat_table(const std::string& table, const std::vector<NetworkRecord>& networks,
                             const std::map<std::string, std::vector<Endpoint>>& endpoints) {
    std::string forward, ports, postrouting;
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
        auto found = endpoints.find(n.id);
        if (found == endpoints.end()) continue;
        for (const auto& e : found->second) {
            if (e.ipv4.empty()) continue;
            for (const auto& p : e.ports) {
                std::string match = "    meta nfproto ipv4 ";
                if (!p.host_ip.empty() && p.host_ip != "0.0.0.0") match += "ip daddr " + p.host_ip + " ";
                match += p.protocol + " dport " + std::to_string(p.host_port);
                ports += match + " dnat ip to " + e.ipv4 + ":" + std::to_string(p.container_port) + "\n";
            }
        }
    }
    std::string s;
    s += "table inet " + table + " {}\n";
    s += "delete table inet " + table + "\n";
    s += "table inet " + table + " {\n";
    s += "  chain forward {\n    type filter hook forward priority filter; policy accept;\n" + forward + "  }\n";
    s += "  chain ports {\n" + ports + "  }\n";
    s += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
         "    fib daddr type local jump ports\n  }\n";
    s += "  chain output {\n    type nat hook output priority -100; policy accept;\n"
         "    fib daddr type local jump ports\n  }\n";
    s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n" + postrouting +
         "  }\n";
    s += "}\n";
    return s;
}

Result<void> sync_nat(const fs::path& root) {
    auto networks = TRY(read_networks(root));
    std::map<std::string, std::vector<Endpoint>> endpoints;
    bool any_bridge = false, any_outbound = false;
    for (const auto& n : networks) {
        if (!is_bridge(n)) continue;
        any_bridge = true;
        any_outbound = any_outbound || !n.internal;
        endpoints[n.id] = list_endpoints(root, n.id);
    }
    std::string table = nat_table_name(root);
    Ctx ctx = make_ctx();
    if (!ctx) return Error("nftables: cannot create a context");
    std::string script;
    // Our accepts in iptables-nft's FORWARD chains: an accept in our own table does
    // not override a DROP policy (or rule) there, so they go where the drop is.
    for (const std::string family : {"ip", "ip6"}) {
        auto ours = our_forward_rules(ctx.get(), family, table);
        if (!ours) continue;  // no iptables-nft FORWARD chain: nothing to let through
        for (long handle : *ours)
            script += "delete rule " + family + " filter FORWARD handle " + std::to_string(handle) + "\n";
        if (!any_bridge) continue;
        for (const auto& n : networks) {
            if (!is_bridge(n)) continue;
            script += "insert rule " + family + " filter FORWARD oifname " + in_quotes(n.bridge) + " accept comment " +
                      in_quotes(table) + "\n";
            script += "insert rule " + family + " filter FORWARD iifname " + in_quotes(n.bridge) + " accept comment " +
                      in_quotes(table) + "\n";
        }
    }
    if (any_bridge) {
        script += render_nat_table(table, networks, endpoints);
    } else {
        script += "table inet " + table + " {}\ndelete table inet " + table + "\n";
    }
    TRY(run(ctx.get(), script));
    if (any_outbound) (void)write_sysctl("net/ipv4/ip_forward", "1");
    return ok();
}

}  // namespace hako::net
