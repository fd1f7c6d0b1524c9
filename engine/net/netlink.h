// This file declares hako's netlink operations through libnl-route-3: bridges,
// veth pairs whose container end is created inside a container's network
// namespace, addresses, routes and link state, and what the host already routes.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/net/ipam.h"
#include "engine/sys/error.h"

struct nl_sock;

namespace hako::net {

// An open rtnetlink socket, bound to the network namespace it was made in.
class NetlinkSocket {
public:
    // In the caller's network namespace.
    static Result<NetlinkSocket> open();
    // In the network namespace of process `pid` (the calling thread returns to its own).
    static Result<NetlinkSocket> open_in(pid_t pid);
    nl_sock* get() const { return sock_.get(); }

private:
    struct Close {
        void operator()(nl_sock* s) const;
    };
    explicit NetlinkSocket(nl_sock* s) : sock_(s) {}
    std::unique_ptr<nl_sock, Close> sock_;
};

struct AddressWithPrefix {
    Address address;
    int prefix = 0;
};

// Every subnet the host has an address in or a route to (default routes excepted).
Result<std::vector<Subnet>> host_subnets(const NetlinkSocket& sock);

// 0 when there is no such link.
int link_index(const NetlinkSocket& sock, const std::string& name);
// Creates bridge `name` (when missing) with `mtu` and `addresses`, and sets it up.
Result<void> ensure_bridge(const NetlinkSocket& sock, const std::string& name, int mtu,
                           const std::vector<AddressWithPrefix>& addresses);
// Deletes link `name`; a missing link is not an error.
Result<void> delete_link(const NetlinkSocket& sock, const std::string& name);
// Waits until no link of `names` is left in the caller's network namespace, as when
// their peers' namespaces are dying (the kernel removes a veth pair with its
// namespace, and batches that across namespaces), watching RTM_DELLINK; deletes
// what is still there after `timeout_ms`.
void await_links_gone(const std::vector<std::string>& names, int timeout_ms);
// Deletes link `name` and returns once the kernel lists it no more (closed, its
// routes flushed, its name free); a detached process waits out the rest of the
// deletion (RCU grace periods and the device's last references, ~50 ms for a
// bridge here), which holds the rtnl lock, so a link made after this one returned
// still comes after it. A missing link is not an error. The process is exec'd
// (sys::spawn_helper), not forked from the caller.
Result<void> delete_link_detached(const std::string& name);
// The hidden verb `PROG --root / __delete-link IFINDEX` that delete_link_detached
// execs: deletes the link from a child of its own, so its spawner waits for nothing.
[[noreturn]] void delete_link_verb(int index);

struct VethRequest {
    std::string host_name;       // the host end, enslaved to `bridge` and up
    std::string bridge;
    std::string container_name;  // "eth0" …, created inside the netns of `pid`
    pid_t pid = 0;
    int mtu = 1500;
    std::string mac;             // "02:42:…" for the container end; empty: the kernel's
};
Result<void> create_veth(const NetlinkSocket& host, const VethRequest& request);

// Inside a container's netns (`sock` from open_in): lo up, `name` up with `addresses`,
// default routes via `gateways` (none for an internal network).
Result<void> configure_interface(const NetlinkSocket& sock, const std::string& name,
                                 const std::vector<AddressWithPrefix>& addresses,
                                 const std::vector<Address>& gateways);
// The MAC address of link `name`, "aa:bb:…"; empty when unknown.
std::string link_mac(const NetlinkSocket& sock, const std::string& name);

// Writes a sysctl under /proc/sys (e.g. "net/ipv4/ip_forward").
Result<void> write_sysctl(const std::string& key, const std::string& value);

}  // namespace hako::net
