// This file declares hako's packet filter rules of a state root, kept in nftables:
// one table per root (isolation between networks, no way out of internal networks,
// masquerade, published ports as DNAT) rebuilt from ROOT/networks in one
// transaction, plus accept rules in iptables-nft's `filter FORWARD` chains where
// dockerd's DROP policy would otherwise stop hako's traffic.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/net/network_files.h"
#include "engine/sys/error.h"

namespace hako::net {

// "hako_" + 10 hex digits of the root's path digest: parallel roots never share a table.
std::string nat_table_name(const std::filesystem::path& root);

// The nft script that replaces the table with the rules for `networks` and their
// running `endpoints` (by network id). Pure: the unit tests read it.
std::string render_nat_table(const std::string& table, const std::vector<NetworkRecord>& networks,
                             const std::map<std::string, std::vector<Endpoint>>& endpoints);

// Brings the kernel's rules in line with ROOT/networks (the caller holds lock_networks):
// the table and forward accepts when a bridge network exists, none of them otherwise.
Result<void> sync_nat(const std::filesystem::path& root);

}  // namespace hako::net
