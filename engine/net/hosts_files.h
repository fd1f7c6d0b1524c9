// This file declares the per-container name files hako writes into the container's
// folder and binds in: /etc/hosts, /etc/resolv.conf and /etc/hostname.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/sys/error.h"

namespace hako::net {

struct HostsEntry {
    std::string address;
    std::vector<std::string> names;
};

// localhost and the IPv6 names, `extra` (from extra_hosts, as given), then one line per
// address of the container itself: "IP hostname.domainname hostname".
std::string render_hosts(const std::vector<HostsEntry>& extra, const std::vector<std::string>& own_addresses,
                         const std::string& hostname, const std::string& domainname);
// extra_hosts entries "name:ip" (or "name=ip"; "host-gateway" stands for `gateway`) → entries.
Result<std::vector<HostsEntry>> parse_extra_hosts(const std::vector<std::string>& extra_hosts,
                                                  const std::string& gateway);

// "nameserver …" lines, then search and options (each omitted when empty).
std::string render_resolv_conf(const std::vector<std::string>& nameservers, const std::vector<std::string>& search,
                               const std::vector<std::string>& options);
// The host's /etc/resolv.conf with `search`/`options` replaced when given, and extra nameservers first.
std::string host_resolv_conf(const std::string& host_text, const std::vector<std::string>& nameservers,
                             const std::vector<std::string>& search, const std::vector<std::string>& options);

}  // namespace hako::net
