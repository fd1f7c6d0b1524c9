// This file implements address parsing, subnet arithmetic and address allocation (ipam.h).
#include "engine/net/ipam.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace hako::net {

int Address::bits() const { return family == AF_INET ? 32 : 128; }

std::string Address::str() const {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(family, bytes.data(), text, sizeof text);
    return text;
}

bool Address::operator<(const Address& other) const {
    return family != other.family ? family < other.family : bytes < other.bytes;
}
bool Address::operator==(const Address& other) const { return family == other.family && bytes == other.bytes; }

namespace {

bool bit(const Address& a, int i) { return (a.bytes[i / 8] >> (7 - i % 8)) & 1; }

Address masked(Address a, int prefix) {
    for (int i = prefix; i < a.bits(); ++i) a.bytes[i / 8] &= static_cast<uint8_t>(~(1u << (7 - i % 8)));
    return a;
}

}  // namespace

std::string Subnet::str() const { return base.str() + "/" + std::to_string(prefix); }

bool Subnet::contains(const Address& address) const {
    if (address.family != base.family) return false;
    for (int i = 0; i < prefix; ++i)
        if (bit(address, i) != bit(base, i)) return false;
    return true;
}

bool Subnet::overlaps(const Subnet& other) const {
    if (base.family != other.base.family) return false;
    return prefix <= other.prefix ? contains(other.base) : other.contains(base);
}

uint64_t Subnet::size() const {
    int host_bits = base.bits() - prefix;
    return host_bits >= 32 ? (uint64_t{1} << 32) : (uint64_t{1} << host_bits);
}

std::optional<Address> Subnet::at(uint64_t index) const {
    if (index >= size()) return std::nullopt;
    Address a = base;
    int carry = 0;
    for (int byte = a.bits() / 8 - 1; byte >= 0; --byte) {
        uint64_t sum = uint64_t{a.bytes[byte]} + (index & 0xff) + carry;
        a.bytes[byte] = static_cast<uint8_t>(sum & 0xff);
        carry = static_cast<int>(sum >> 8);
        index >>= 8;
    }
    return a;
}

uint64_t offset_in(const Subnet& subnet, const Address& address) {
    uint64_t value = 0;
    int bytes = address.bits() / 8;
    for (int i = std::max(0, bytes - 8); i < bytes; ++i)
        value = (value << 8) | (uint64_t{address.bytes[i]} ^ uint64_t{subnet.base.bytes[i]});
    return value;
}

Result<Address> parse_address(const std::string& text) {
    Address a;
    if (::inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
        a.family = AF_INET;
        return a;
    }
    if (::inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
        a.family = AF_INET6;
        return a;
    }
    return Error("invalid IP address: \"" + text + "\"");
}

Result<Subnet> parse_subnet(const std::string& text) {
    size_t slash = text.find('/');
    if (slash == std::string::npos) return Error("invalid subnet " + text + ": want ADDRESS/PREFIX");
    auto address = parse_address(text.substr(0, slash));
    if (!address.ok()) return Error("invalid subnet " + text + ": not an IP address before the '/'");
    std::string prefix_text = text.substr(slash + 1);
    if (prefix_text.empty() || prefix_text.size() > 3 ||
        !std::all_of(prefix_text.begin(), prefix_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return Error("invalid subnet " + text + ": bad prefix length");
    int prefix = std::stoi(prefix_text);
    if (prefix > address->bits()) return Error("invalid subnet " + text + ": prefix longer than the address");
    Subnet s{masked(*address, prefix), prefix};
    if (!(s.base == *address))
        return Error("invalid subnet " + text + ": host bits are set (did you mean " + s.str() + "?)");
    return s;
}

const std::vector<Pool>& default_pools() {
    static const std::vector<Pool> pools = {{"172.17.0.0/16", 16}, {"172.18.0.0/15", 16}, {"172.20.0.0/14", 16},
                                            {"172.24.0.0/13", 16}, {"192.168.0.0/16", 20}};
    return pools;
}

Result<Subnet> choose_subnet(const std::vector<Pool>& pools, const std::vector<Subnet>& taken) {
    for (const auto& pool : pools) {
        auto base = TRY(parse_subnet(pool.base));
        if (pool.size < base.prefix || pool.size > base.base.bits())
            return Error("address pool " + pool.base + ": size /" + std::to_string(pool.size) + " does not fit");
        int steps_bits = pool.size - base.prefix;
        uint64_t steps = steps_bits >= 32 ? (uint64_t{1} << 32) : (uint64_t{1} << steps_bits);
        uint64_t stride_bits = static_cast<uint64_t>(base.base.bits() - pool.size);
        for (uint64_t i = 0; i < steps; ++i) {
            // Candidate i: base + i << (host bits of a block).
            Subnet candidate{base.base, pool.size};
            uint64_t shift = stride_bits;
            Address a = base.base;
            // Add i at bit position `shift` from the right.
            uint64_t value = i;
            int byte = a.bits() / 8 - 1 - static_cast<int>(shift / 8);
            int bit_offset = static_cast<int>(shift % 8);
            uint64_t carry = 0;
            value <<= bit_offset;
            for (; byte >= 0 && (value || carry); --byte) {
                uint64_t sum = uint64_t{a.bytes[byte]} + (value & 0xff) + carry;
                a.bytes[byte] = static_cast<uint8_t>(sum & 0xff);
                carry = sum >> 8;
                value >>= 8;
            }
            candidate.base = a;
            bool clash = std::any_of(taken.begin(), taken.end(), [&](const Subnet& t) { return t.overlaps(candidate); });
            if (!clash) return candidate;
        }
    }
    return Error("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to "
                 "the network");
}

Result<Address> allocate_address(const Subnet& subnet, const std::optional<Subnet>& range,
                                 const std::set<Address>& taken) {
    const Subnet& from = range ? *range : subnet;
    uint64_t count = from.size();
    for (uint64_t i = 0; i < count && i < (uint64_t{1} << 24); ++i) {
        auto candidate = from.at(i);
        if (!candidate) break;
        uint64_t offset = offset_in(subnet, *candidate);
        if (offset == 0) continue;  // the network address
        if (subnet.base.family == AF_INET && offset == subnet.size() - 1 && subnet.prefix < 31) continue;
        if (taken.count(*candidate)) continue;
        return *candidate;
    }
    return Error("no available IP addresses left in " + from.str());
}

}  // namespace hako::net
