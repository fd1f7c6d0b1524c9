// This file declares hako's address arithmetic and IP address management: parsing
// of addresses and subnets (IPv4 and IPv6), overlap tests, the default pool that
// avoids what the host already routes, and the choice of a free address.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::net {

struct Address {
    int family = 0;                   // AF_INET or AF_INET6
    std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4
    int bits() const;                 // 32 or 128
    std::string str() const;
    bool operator<(const Address& other) const;
    bool operator==(const Address& other) const;
};

struct Subnet {
    Address base;  // host bits cleared
    int prefix = 0;
    std::string str() const;  // "10.1.0.0/24"
    bool contains(const Address& address) const;
    bool overlaps(const Subnet& other) const;
    // The address `index` places after the base (1 = first host); nullopt when outside.
    std::optional<Address> at(uint64_t index) const;
    // Number of addresses in the subnet, capped at 2^32.
    uint64_t size() const;
};

Result<Address> parse_address(const std::string& text);
// "A.B.C.D/N" or "X::/N"; host bits set are an error, as docker says.
Result<Subnet> parse_subnet(const std::string& text);
// The offset of `address` from `subnet.base` (both in the subnet).
uint64_t offset_in(const Subnet& subnet, const Address& address);

// The first /`size` block from `pools` (each "BASE/N") that overlaps none of `taken`.
// Defaults: docker's (172.17.0.0/16 … 172.31.0.0/16 in /16s, then 192.168.0.0/16 in /20s).
struct Pool {
    std::string base;
    int size = 0;
};
const std::vector<Pool>& default_pools();
Result<Subnet> choose_subnet(const std::vector<Pool>& pools, const std::vector<Subnet>& taken);

// The lowest address of `range` (or of the subnet) that is neither the network address,
// the IPv4 broadcast address, nor in `taken`.
Result<Address> allocate_address(const Subnet& subnet, const std::optional<Subnet>& range,
                                 const std::set<Address>& taken);

}  // namespace hako::net
