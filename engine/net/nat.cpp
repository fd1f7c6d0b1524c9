// This file implements the nftables rules of a state root (nat.h) as nfnetlink
// transactions (nft_batch.h): libnftables cost ~1,400 page faults and ~30 ms of
// CPU per sync, on the path of every `up` and `down` with a network.
#include "engine/net/nat.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstring>


#include "engine/net/ipam.h"
#include "engine/net/ipv6_forwarding.h"
#include "engine/net/netlink.h"
#include "engine/net/nft_batch.h"
#include "engine/net/nft_elements.h"
#include "engine/sys/digest.h"

namespace hako::net {

namespace fs = std::filesystem;

namespace {

bool is_bridge(const NetworkRecord& n) { return n.driver == "bridge" && !n.bridge.empty(); }

// IPv6 enabled, with an IPv6 subnet: its containers get IPv6 addresses.
bool routes_ipv6(const NetworkRecord& n) {
    if (!n.enable_ipv6) return false;
    for (const auto& s : n.subnets)
        if (auto subnet = parse_subnet(s.subnet); subnet.ok() && subnet->base.family == AF_INET6) return true;
    return false;
}

// The four port maps: by family, with a host address in the key or for every address
// ((host address .) protocol . port : container address . port; their types in kSets).
struct PortMap {
    const char* name;
};
constexpr PortMap kAddress4{"ports4_address"};
constexpr PortMap kAny4{"ports4_any"};
constexpr PortMap kAddress6{"ports6_address"};
constexpr PortMap kAny6{"ports6_any"};

// The table's sets and maps, with the types, lengths and userdata that libnftables
// gives them (so `nft list` prints them as it would have written them).
struct SetSpec {
    const char* name;
    uint32_t key_type, key_length;  // nft datatype ids; a concatenation: id << 6 | id
    uint32_t data_type = 0, data_length = 0;  // maps only
};
constexpr uint32_t kIfname = 41, kIpv4 = 7, kIpv6 = 8, kProtocol = 12, kService = 13;
constexpr uint32_t concat(uint32_t a, uint32_t b) { return a << 6 | b; }
constexpr SetSpec kSets[] = {
    {"bridges", kIfname, 16},
    {"internal", kIfname, 16},
    {"pairs", concat(kIfname, kIfname), 32},
    {kAddress4.name, concat(concat(kIpv4, kProtocol), kService), 12, concat(kIpv4, kService), 8},
    {kAny4.name, concat(kProtocol, kService), 8, concat(kIpv4, kService), 8},
    {kAddress6.name, concat(concat(kIpv6, kProtocol), kService), 24, concat(kIpv6, kService), 20},
    {kAny6.name, concat(kProtocol, kService), 8, concat(kIpv6, kService), 20},
};
const std::vector<uint8_t> kIfnameUserdata{0x00, 0x04, 0x01, 0x00, 0x00, 0x00};
const std::vector<uint8_t> kPairsUserdata{0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x03, 0x08,
                                          0x00, 0x04, 0x0d, 0x00, 0x00, 0x00, 0x01, 0x00};
const std::vector<uint8_t> kMapUserdata{0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x03,
                                        0x08, 0x00, 0x04, 0x0d, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04, 0x08, 0x00, 0x04,
                                        0x0d, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00};

struct ChainSpec {
    const char* name;
    const char* type;  // nullptr: a regular chain
    uint32_t hook;
    int32_t priority;
};
constexpr ChainSpec kChains[] = {
    {"forward", "filter", NF_INET_FORWARD, 0},
    {"ports", nullptr, 0, 0},
    {"prerouting", "nat", NF_INET_PRE_ROUTING, -100},
    {"output", "nat", NF_INET_LOCAL_OUT, -100},
    {"postrouting", "nat", NF_INET_POST_ROUTING, 100},
};

std::vector<uint8_t> u32_bytes(uint32_t host_order) {
    std::vector<uint8_t> out(4);
    std::memcpy(out.data(), &host_order, 4);
    return out;
}
const std::vector<uint8_t> kBridgePrefix{'h', 'k', '-'};  // "hk-*": every hako bridge

// The rules of each chain, as `nft --debug=netlink` shows that nft compiles
//   forward:     iifname @bridges oifname "hk-*" iifname . oifname != @pairs drop
//                iifname @internal iifname . oifname != @pairs drop
//                oifname @internal iifname . oifname != @pairs drop
//   ports:       the four DNAT map lookups (kAddress4 … kAny6)
//   prerouting, output: fib daddr type local jump ports
//   postrouting: iifname @bridges oifname != @bridges masquerade
//                oifname @bridges ct status dnat iifname @bridges masquerade   (hairpin)
//                oifname @bridges ip saddr 127.0.0.0/8 masquerade   (a port reached on 127.0.0.1)
// No network reaches another (pairs holds "b . b" per bridge), an internal one no
// other interface; what leaves a bridge for elsewhere is masqueraded.
void add_rules(nft::Batch& batch, const std::string& table, const std::string& chain) {
    auto rule = [&](auto&& body) {
        auto& m = batch.add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, NFPROTO_INET);
        m.string(NFTA_RULE_TABLE, table);
        m.string(NFTA_RULE_CHAIN, chain);
        nft::Rule r(m);
        body(r);
        r.finish();
    };
    auto not_paired = [](nft::Rule& r) {
        r.meta(NFT_META_IIFNAME, NFT_REG_1);
        r.meta(NFT_META_OIFNAME, NFT_REG_2);
        r.lookup("pairs", NFT_REG_1, true);
    };
    auto family_is = [](nft::Rule& r, uint8_t family) {
        r.meta(NFT_META_NFPROTO, NFT_REG_1);
        r.cmp(NFT_REG_1, NFT_CMP_EQ, {family});
    };
    if (chain == "forward") {
        rule([&](nft::Rule& r) {
            r.meta(NFT_META_IIFNAME, NFT_REG_1);
            r.lookup("bridges", NFT_REG_1);
            r.meta(NFT_META_OIFNAME, NFT_REG_1);
            r.cmp(NFT_REG_1, NFT_CMP_EQ, kBridgePrefix);
            not_paired(r);
            r.verdict(NF_DROP);
        });
        for (uint32_t side : {NFT_META_IIFNAME, NFT_META_OIFNAME})
            rule([&](nft::Rule& r) {
                r.meta(side, NFT_REG_1);
                r.lookup("internal", NFT_REG_1);
                not_paired(r);
                r.verdict(NF_DROP);
            });
    } else if (chain == "ports") {
        rule([&](nft::Rule& r) {  // meta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @ports4_address
            family_is(r, NFPROTO_IPV4);
            r.payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
            r.meta(NFT_META_L4PROTO, NFT_REG32_01);
            r.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_02);
            r.lookup(kAddress4.name, NFT_REG_1, false, NFT_REG_1);
            r.dnat(NFPROTO_IPV4, NFT_REG_1, NFT_REG32_01);
        });
        rule([&](nft::Rule& r) {  // meta nfproto ipv4 dnat ip to meta l4proto . th dport map @ports4_any
            family_is(r, NFPROTO_IPV4);
            r.meta(NFT_META_L4PROTO, NFT_REG_1);
            r.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01);
            r.lookup(kAny4.name, NFT_REG_1, false, NFT_REG_1);
            r.dnat(NFPROTO_IPV4, NFT_REG_1, NFT_REG32_01);
        });
        rule([&](nft::Rule& r) {  // meta nfproto ipv6 dnat ip6 to ip6 daddr . meta l4proto . th dport map @ports6_address
            family_is(r, NFPROTO_IPV6);
            r.payload(NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG_1);
            r.meta(NFT_META_L4PROTO, NFT_REG_2);
            r.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_05);
            r.lookup(kAddress6.name, NFT_REG_1, false, NFT_REG_1);
            r.dnat(NFPROTO_IPV6, NFT_REG_1, NFT_REG_2);
        });
        // ::1 is left out: the kernel drops the replies (a loopback destination arriving on
        // a bridge), so a client gets "refused" from the reserved socket and falls back to IPv4.
        rule([&](nft::Rule& r) {  // meta nfproto ipv6 ip6 daddr != ::1 dnat ip6 to meta l4proto . th dport map @ports6_any
            family_is(r, NFPROTO_IPV6);
            r.payload(NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG_1);
            std::vector<uint8_t> loopback(16, 0);
            loopback[15] = 1;
            r.cmp(NFT_REG_1, NFT_CMP_NEQ, loopback);
            r.meta(NFT_META_L4PROTO, NFT_REG_1);
            r.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01);
            r.lookup(kAny6.name, NFT_REG_1, false, NFT_REG_1);
            r.dnat(NFPROTO_IPV6, NFT_REG_1, NFT_REG_2);
        });
    } else if (chain == "prerouting" || chain == "output") {
        rule([&](nft::Rule& r) {
            r.fib_daddr_type(NFT_REG_1);
            r.cmp(NFT_REG_1, NFT_CMP_EQ, u32_bytes(RTN_LOCAL));
            r.verdict(NFT_JUMP, "ports");
        });
    } else if (chain == "postrouting") {
        rule([&](nft::Rule& r) {
            r.meta(NFT_META_IIFNAME, NFT_REG_1);
            r.lookup("bridges", NFT_REG_1);
            r.meta(NFT_META_OIFNAME, NFT_REG_1);
            r.lookup("bridges", NFT_REG_1, true);
            r.masquerade();
        });
        rule([&](nft::Rule& r) {
            r.meta(NFT_META_OIFNAME, NFT_REG_1);
            r.lookup("bridges", NFT_REG_1);
            r.ct(NFT_CT_STATUS, NFT_REG_1);
            r.bitwise(NFT_REG_1, u32_bytes(IPS_DST_NAT), u32_bytes(0));
            r.cmp(NFT_REG_1, NFT_CMP_NEQ, u32_bytes(0));
            r.meta(NFT_META_IIFNAME, NFT_REG_1);
            r.lookup("bridges", NFT_REG_1);
            r.masquerade();
        });
        rule([&](nft::Rule& r) {
            r.meta(NFT_META_OIFNAME, NFT_REG_1);
            r.lookup("bridges", NFT_REG_1);
            family_is(r, NFPROTO_IPV4);
            r.payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 1, NFT_REG_1);
            r.cmp(NFT_REG_1, NFT_CMP_EQ, {127});
            r.masquerade();
        });
    }
}

// The whole table in one transaction: created when missing (its sets, maps and
// chains too), its chains flushed and filled again, its sets and maps flushed and
// filled from `elements`. `fresh`: delete what is there first (an older layout).
nft::Batch table_batch(const std::string& table, const NatElements& elements,
                       const std::map<std::string, std::vector<Endpoint>>& endpoints, bool fresh) {
    nft::Batch batch;
    auto table_message = [&](uint16_t type) {
        batch.add(type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, NFPROTO_INET).string(NFTA_TABLE_NAME, table);
    };
    table_message(NFT_MSG_NEWTABLE);
    if (fresh) {
        table_message(NFT_MSG_DELTABLE);
        table_message(NFT_MSG_NEWTABLE);
    }
    uint32_t id = 1;
    for (const SetSpec& set : kSets) {
        auto& m = batch.add(NFT_MSG_NEWSET, NLM_F_CREATE, NFPROTO_INET);
        m.string(NFTA_SET_TABLE, table);
        m.string(NFTA_SET_NAME, set.name);
        if (set.data_type) m.u32(NFTA_SET_FLAGS, NFT_SET_MAP);
        m.u32(NFTA_SET_KEY_TYPE, set.key_type);
        m.u32(NFTA_SET_KEY_LEN, set.key_length);
        if (set.data_type) {
            m.u32(NFTA_SET_DATA_TYPE, set.data_type);
            m.u32(NFTA_SET_DATA_LEN, set.data_length);
        }
        m.u32(NFTA_SET_ID, id++);
        const auto& userdata = set.data_type ? kMapUserdata : set.key_type == kIfname ? kIfnameUserdata : kPairsUserdata;
        m.attribute(NFTA_SET_USERDATA, userdata.data(), userdata.size());
    }
    for (const ChainSpec& chain : kChains) {
        auto& m = batch.add(NFT_MSG_NEWCHAIN, NLM_F_CREATE, NFPROTO_INET);
        m.string(NFTA_CHAIN_TABLE, table);
        m.string(NFTA_CHAIN_NAME, chain.name);
        if (chain.type) {
            size_t hook = m.begin_nested(NFTA_CHAIN_HOOK);
            m.u32(NFTA_HOOK_HOOKNUM, chain.hook);
            m.u32(NFTA_HOOK_PRIORITY, static_cast<uint32_t>(chain.priority));
            m.end_nested(hook);
            m.u32(NFTA_CHAIN_POLICY, NF_ACCEPT);
            m.string(NFTA_CHAIN_TYPE, chain.type);
        }
    }
    for (const ChainSpec& chain : kChains) {
        auto& flush = batch.add(NFT_MSG_DELRULE, 0, NFPROTO_INET);
        flush.string(NFTA_RULE_TABLE, table);
        flush.string(NFTA_RULE_CHAIN, chain.name);
    }
    for (const ChainSpec& chain : kChains) add_rules(batch, table, chain.name);
    for (const SetSpec& set : kSets) {
        auto& flush = batch.add(NFT_MSG_DELSETELEM, 0, NFPROTO_INET);
        flush.string(NFTA_SET_ELEM_LIST_TABLE, table);
        flush.string(NFTA_SET_ELEM_LIST_SET, set.name);
    }
    auto add_keys = [&](const char* set, const std::vector<std::vector<uint8_t>>& keys,
                        const std::vector<std::vector<uint8_t>>* data) {
        if (keys.empty()) return;
        auto& m = batch.add(NFT_MSG_NEWSETELEM, NLM_F_CREATE, NFPROTO_INET);
        m.string(NFTA_SET_ELEM_LIST_TABLE, table);
        m.string(NFTA_SET_ELEM_LIST_SET, set);
        size_t list = m.begin_nested(NFTA_SET_ELEM_LIST_ELEMENTS);
        for (size_t i = 0; i < keys.size(); ++i) {
            size_t item = m.begin_nested(NFTA_LIST_ELEM);
            m.value(NFTA_SET_ELEM_KEY, keys[i]);
            if (data) m.value(NFTA_SET_ELEM_DATA, (*data)[i]);
            m.end_nested(item);
        }
        m.end_nested(list);
    };
    auto names = [](const std::vector<std::string>& interfaces) {
        std::vector<std::vector<uint8_t>> keys;
        for (const auto& name : interfaces) keys.push_back(nft::ifname_bytes(name));
        return keys;
    };
    add_keys("bridges", names(elements.bridges), nullptr);
    add_keys("internal", names(elements.internal), nullptr);
    std::vector<std::vector<uint8_t>> pairs;
    for (const auto& name : elements.bridges) {
        auto key = nft::ifname_bytes(name), second = key;
        key.insert(key.end(), second.begin(), second.end());
        pairs.push_back(std::move(key));
    }
    add_keys("pairs", pairs, nullptr);
    std::map<std::string, std::pair<std::vector<std::vector<uint8_t>>, std::vector<std::vector<uint8_t>>>> ports;
    for (const auto& [network, list] : endpoints)
        for (const auto& e : list)
            for (const auto& p : port_elements(e)) {
                ports[p.map].first.push_back(element_key(p));
                ports[p.map].second.push_back(element_data(p));
            }
    for (const auto& [map, keys_and_data] : ports) add_keys(map.c_str(), keys_and_data.first, &keys_and_data.second);
    return batch;
}

// Our accepts in iptables-nft's `filter FORWARD` chains (ip and ip6): two per
// root, `iifname "hk-*" accept` and `oifname "hk-*" accept`, commented with the
// table's name. An accept in our own table would not override a DROP policy (or
// rule) in another base chain of the forward hook, as dockerd sets: so they go
// where the drop is. Adds to `batch` what brings them in line with `wanted`;
// nothing when they already are, or when there is no such chain.
Result<void> forward_accepts(nft::Batch& batch, const std::string& table, bool wanted) {
    auto userdata = nft::comment_userdata(table);
    for (uint8_t family : {uint8_t(NFPROTO_IPV4), uint8_t(NFPROTO_IPV6)}) {
        auto rules = TRY(nft::dump_rules(family, "filter", "FORWARD"));
        if (!rules) continue;  // no iptables-nft FORWARD chain: nothing to let through
        std::vector<const nft::RuleInfo*> ours;
        for (const auto& rule : *rules)
            if (rule.userdata == userdata) ours.push_back(&rule);
        // Current: exactly our two, each comparing an interface name with "hk-".
        bool current = ours.size() == 2 && std::all_of(ours.begin(), ours.end(), [](const nft::RuleInfo* r) {
            return r->compared == std::vector<std::vector<uint8_t>>{kBridgePrefix};
        });
        if (wanted ? current : ours.empty()) continue;
        for (const auto* rule : ours) {
            auto& m = batch.add(NFT_MSG_DELRULE, 0, family);
            m.string(NFTA_RULE_TABLE, "filter");
            m.string(NFTA_RULE_CHAIN, "FORWARD");
            m.u64(NFTA_RULE_HANDLE, rule->handle);
        }
        if (!wanted) continue;
        for (uint32_t side : {NFT_META_OIFNAME, NFT_META_IIFNAME}) {  // inserted at the top: iifname first
            auto& m = batch.add(NFT_MSG_NEWRULE, NLM_F_CREATE, family);
            m.string(NFTA_RULE_TABLE, "filter");
            m.string(NFTA_RULE_CHAIN, "FORWARD");
            nft::Rule r(m);
            r.meta(side, NFT_REG_1);
            r.cmp(NFT_REG_1, NFT_CMP_EQ, kBridgePrefix);
            r.verdict(NF_ACCEPT);
            r.finish();
            m.attribute(NFTA_RULE_USERDATA, userdata.data(), userdata.size());
        }
    }
    return ok();
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

NatElements nat_elements(const std::vector<NetworkRecord>& networks) {
    NatElements out;
    for (const auto& n : networks) {
        if (!is_bridge(n)) continue;
        out.bridges.push_back(n.bridge);
        if (n.internal) out.internal.push_back(n.bridge);
    }
    return out;
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
    std::string what = "nftables table inet " + table;
    if (any_bridge) {
        auto elements = nat_elements(networks);
        nft::Batch batch = table_batch(table, elements, endpoints, false);
        TRY(forward_accepts(batch, table, true));
        if (auto synced = batch.commit(what); !synced.ok()) {
            // A table of an older layout (a set or chain of another type): start afresh.
            nft::Batch fresh = table_batch(table, elements, endpoints, true);
            TRY(forward_accepts(fresh, table, true));
            TRY(fresh.commit(what));
        }
    } else {
        nft::Batch batch;
        // Created when missing, so that deleting it cannot fail on its absence.
        batch.add(NFT_MSG_NEWTABLE, NLM_F_CREATE, NFPROTO_INET).string(NFTA_TABLE_NAME, table);
        batch.add(NFT_MSG_DELTABLE, 0, NFPROTO_INET).string(NFTA_TABLE_NAME, table);
        TRY(forward_accepts(batch, table, false));
        TRY(batch.commit(what));
    }
    if (any_outbound) (void)write_sysctl("net/ipv4/ip_forward", "1");
    if (any_outbound_ipv6)
        TRY(hold_ipv6_forwarding(table));
    else
        TRY(release_ipv6_forwarding(table));
    return ok();
}

Result<void> ensure_forward_accepts(const fs::path& root) {
    auto networks = TRY(read_networks(root));
    bool any_bridge = std::any_of(networks.begin(), networks.end(), is_bridge);
    std::string table = nat_table_name(root);
    nft::Batch batch;
    TRY(forward_accepts(batch, table, any_bridge));
    return batch.commit("FORWARD accepts of " + table);
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
