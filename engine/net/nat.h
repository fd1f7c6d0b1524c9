// This file declares hako's packet filter rules of a state root, kept in nftables:
// one table per root with fixed chains (isolation between networks, no way out of
// internal networks, masquerade) that look the networks' bridges up in sets, and
// whose published ports are elements of four DNAT maps that each attach and detach
// add or delete alone; plus accept rules in iptables-nft's `filter FORWARD` chains
// where dockerd's DROP policy would otherwise stop hako's traffic. All of it is
// written as nfnetlink transactions, without libnftables.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/net/network_files.h"
#include "engine/net/nft_elements.h"
#include "engine/sys/error.h"

namespace hako::net {

// "hako_" + 10 hex digits of the root's path digest: parallel roots never share a table.
std::string nat_table_name(const std::filesystem::path& root);

// The members of the table's interface sets for `networks`: every bridge network's
// bridge ("bridges"; "pairs" holds "b . b" for each), the internal ones' apart.
struct NatElements {
    std::vector<std::string> bridges, internal;
};
NatElements nat_elements(const std::vector<NetworkRecord>& networks);

// The DNAT map elements of one endpoint's published ports: IPv4 ports to its ipv4,
// IPv6 ports to its ipv6 (host_ip "" gives both).
std::vector<PortElement> port_elements(const Endpoint& endpoint);

enum class PortChange { Add, Delete };

// Brings the kernel's rules in line with ROOT/networks (the caller holds lock_networks):
// the table and forward accepts when a bridge network exists, none of them otherwise;
// IPv6 forwarding held while one of them routes IPv6 out (ipv6_forwarding.h).
Result<void> sync_nat(const std::filesystem::path& root);

// Puts back our accepts in iptables-nft's FORWARD chains when they are not all there
// (dockerd started after the networks, or someone flushed the chain); reads first and
// writes nothing when they are. The DNS responder calls it on every ruleset change.
// The caller holds lock_networks.
Result<void> ensure_forward_accepts(const std::filesystem::path& root);

// Adds or deletes one endpoint's published ports in one nfnetlink transaction (the caller
// holds lock_networks; for Delete its endpoint file is already gone). When that fails
// (the table is gone after a reboot, a killed hako left an element), the whole table
// is synced from ROOT/networks instead.
Result<void> change_ports(const std::filesystem::path& root, const Endpoint& endpoint, PortChange change);

}  // namespace hako::net
