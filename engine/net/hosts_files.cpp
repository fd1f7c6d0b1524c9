// This file implements the per-container /etc/hosts and /etc/resolv.conf texts (hosts_files.h).
#include "engine/net/hosts_files.h"

#include <sstream>

#include "engine/net/ipam.h"

namespace hako::net {

std::string render_hosts(const std::vector<HostsEntry>& extra, const std::vector<std::string>& own_addresses,
                         const std::string& hostname, const std::string& domainname) {
    std::string s =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
    for (const auto& e : extra) {
        s += e.address;
        for (const auto& n : e.names) s += "\t" + n;
        s += "\n";
    }
    for (const auto& address : own_addresses) {
        s += address + "\t";
        if (!domainname.empty()) s += hostname + "." + domainname + " ";
        s += hostname + "\n";
    }
    return s;
}

Result<std::vector<HostsEntry>> parse_extra_hosts(const std::vector<std::string>& extra_hosts,
                                                  const std::string& gateway) {
    std::vector<HostsEntry> out;
    for (const auto& entry : extra_hosts) {
        size_t sep = entry.find_first_of(":=");
        if (sep == std::string::npos || sep == 0 || sep + 1 == entry.size())
            return Error("invalid extra host \"" + entry + "\": want NAME:IP");
        std::string name = entry.substr(0, sep), address = entry.substr(sep + 1);
        if (address.size() > 2 && address.front() == '[' && address.back() == ']')
            address = address.substr(1, address.size() - 2);
        if (address == "host-gateway") {
            if (gateway.empty()) return Error("invalid extra host \"" + entry + "\": no gateway to stand for host-gateway");
            address = gateway;
        } else if (!parse_address(address).ok()) {
            return Error("invalid extra host \"" + entry + "\": \"" + address + "\" is not an IP address");
        }
        out.push_back({address, {name}});
    }
    return out;
}

std::string render_resolv_conf(const std::vector<std::string>& nameservers, const std::vector<std::string>& search,
                               const std::vector<std::string>& options) {
    std::string s;
    for (const auto& n : nameservers) s += "nameserver " + n + "\n";
    if (!search.empty()) {
        s += "search";
        for (const auto& d : search) s += " " + d;
        s += "\n";
    }
    if (!options.empty()) {
        s += "options";
        for (const auto& o : options) s += " " + o;
        s += "\n";
    }
    return s;
}

std::string host_resolv_conf(const std::string& host_text, const std::vector<std::string>& nameservers,
                             const std::vector<std::string>& search, const std::vector<std::string>& options) {
    std::string out;
    for (const auto& n : nameservers) out += "nameserver " + n + "\n";
    std::istringstream in(host_text);
    for (std::string line; std::getline(in, line);) {
        std::string word = line.substr(0, line.find_first_of(" \t"));
        if (!nameservers.empty() && word == "nameserver") continue;
        if (!search.empty() && (word == "search" || word == "domain")) continue;
        if (!options.empty() && word == "options") continue;
        out += line + "\n";
    }
    out += render_resolv_conf({}, search, options);
    return out;
}

}  // namespace hako::net
