// This file implements hako's netlink operations (netlink.h) on libnl-route-3.
#include "engine/net/netlink.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "engine/sys/fd.h"
#include "engine/sys/file.h"
#include "engine/sys/helper_process.h"

namespace hako::net {

namespace {

struct LinkPut {
    void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrPut {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrPut {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct RoutePut {
    void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct CacheFree {
    void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrPut>;

Error nl_error(const std::string& what, int err) { return Error(what + ": " + nl_geterror(err)); }

NlAddrPtr to_nl(const Address& address, int prefix) {
    nl_addr* a = nl_addr_build(address.family, address.bytes.data(), address.family == AF_INET ? 4 : 16);
    if (a) nl_addr_set_prefixlen(a, prefix);
    return NlAddrPtr(a);
}

std::optional<Subnet> from_nl(nl_addr* a) {
    if (!a) return std::nullopt;
    int family = nl_addr_get_family(a);
    if (family != AF_INET && family != AF_INET6) return std::nullopt;
    Address address;
    address.family = family;
    unsigned len = nl_addr_get_len(a);
    if (len > 16) return std::nullopt;
    std::memcpy(address.bytes.data(), nl_addr_get_binary_addr(a), len);
    int prefix = static_cast<int>(nl_addr_get_prefixlen(a));
    if (prefix == 0) return std::nullopt;
    // Clear host bits through parse of the text form would lose nothing; do it directly.
    for (int i = prefix; i < address.bits(); ++i)
        address.bytes[i / 8] &= static_cast<uint8_t>(~(1u << (7 - i % 8)));
    return Subnet{address, prefix};
}

// Brings a link up; with mtu > 0 it also takes that MTU.
Result<void> set_up(const NetlinkSocket& sock, const std::string& name, int mtu = 0) {
    rtnl_link* found = nullptr;
    int err = rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &found);
    if (err < 0) return nl_error("link " + name, err);
    LinkPtr link(found);
    LinkPtr change(rtnl_link_alloc());
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (mtu > 0) rtnl_link_set_mtu(change.get(), static_cast<unsigned>(mtu));
    err = rtnl_link_change(sock.get(), link.get(), change.get(), 0);
    if (err < 0) return nl_error("set link " + name + " up", err);
    return ok();
}

Result<void> add_address(const NetlinkSocket& sock, int index, const AddressWithPrefix& a, const std::string& name) {
    std::unique_ptr<rtnl_addr, AddrPut> addr(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(addr.get(), index);
    auto local = to_nl(a.address, a.prefix);
    rtnl_addr_set_local(addr.get(), local.get());
    rtnl_addr_set_prefixlen(addr.get(), a.prefix);
    if (a.address.family == AF_INET6) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    int err = rtnl_addr_add(sock.get(), addr.get(), 0);
    if (err < 0 && err != -NLE_EXIST)
        return nl_error("add address " + a.address.str() + "/" + std::to_string(a.prefix) + " to " + name, err);
    return ok();
}

}  // namespace

void NetlinkSocket::Close::operator()(nl_sock* s) const { nl_socket_free(s); }

Result<NetlinkSocket> NetlinkSocket::open() {
    nl_sock* s = nl_socket_alloc();
    if (!s) return Error("netlink: out of memory");
    NetlinkSocket sock(s);
    int err = nl_connect(s, NETLINK_ROUTE);
    if (err < 0) return nl_error("netlink connect", err);
    return sock;
}

Result<NetlinkSocket> NetlinkSocket::open_in(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    sys::UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!target) return Error::from_syscall("open", errno, path);
    sys::UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!own) return Error::from_syscall("open", errno, "/proc/thread-self/ns/net");
    if (::setns(target.get(), CLONE_NEWNET) != 0) return Error::from_syscall("setns", errno, path);
    auto sock = open();
    if (::setns(own.get(), CLONE_NEWNET) != 0) {
        // Staying in the container's namespace would be far worse than stopping here.
        std::perror("hako: setns back to the host network namespace");
        ::_exit(125);
    }
    return sock;
}

Result<std::vector<Subnet>> host_subnets(const NetlinkSocket& sock) {
    std::vector<Subnet> out;
    nl_cache* raw = nullptr;
    int err = rtnl_addr_alloc_cache(sock.get(), &raw);
    if (err < 0) return nl_error("list addresses", err);
    std::unique_ptr<nl_cache, CacheFree> addrs(raw);
    for (nl_object* o = nl_cache_get_first(addrs.get()); o; o = nl_cache_get_next(o)) {
        auto* a = reinterpret_cast<rtnl_addr*>(o);
        nl_addr* local = rtnl_addr_get_local(a);
        if (!local) continue;
        NlAddrPtr copy(nl_addr_clone(local));
        nl_addr_set_prefixlen(copy.get(), rtnl_addr_get_prefixlen(a));
        if (auto s = from_nl(copy.get())) out.push_back(*s);
    }
    raw = nullptr;
    err = rtnl_route_alloc_cache(sock.get(), AF_UNSPEC, 0, &raw);
    if (err < 0) return nl_error("list routes", err);
    std::unique_ptr<nl_cache, CacheFree> routes(raw);
    for (nl_object* o = nl_cache_get_first(routes.get()); o; o = nl_cache_get_next(o)) {
        auto* r = reinterpret_cast<rtnl_route*>(o);
        if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
        if (auto s = from_nl(rtnl_route_get_dst(r))) out.push_back(*s);
    }
    return out;
}

int link_index(const NetlinkSocket& sock, const std::string& name) {
    rtnl_link* found = nullptr;
    if (rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &found) < 0) return 0;
    LinkPtr link(found);
    return rtnl_link_get_ifindex(link.get());
}

Result<void> ensure_bridge(const NetlinkSocket& sock, const std::string& name, int mtu,
                           const std::vector<AddressWithPrefix>& addresses) {
    if (link_index(sock, name) == 0) {
        LinkPtr bridge(rtnl_link_bridge_alloc());
        rtnl_link_set_name(bridge.get(), name.c_str());
        // A MAC of its own: a bridge without one takes the lowest of its ports', so it
        // changed whenever that container went, and the others' ARP entries for the
        // gateway pointed nowhere for seconds (the lost DNS replies, 5 s retries).
        // 02:42 + the first IPv4 gateway, as containers get 02:42 + their address.
        NlAddrPtr mac;
        for (const auto& a : addresses) {
            if (a.address.family != AF_INET) continue;
            uint8_t bytes[6] = {0x02, 0x42, a.address.bytes[0], a.address.bytes[1], a.address.bytes[2], a.address.bytes[3]};
            mac.reset(nl_addr_build(AF_LLC, bytes, sizeof bytes));
            break;
        }
        if (!mac) {  // IPv6 only: a random one, locally administered
            std::random_device random;
            uint32_t r = random();
            uint8_t bytes[6] = {0x02, 0x42, uint8_t(r >> 24), uint8_t(r >> 16), uint8_t(r >> 8), uint8_t(r)};
            mac.reset(nl_addr_build(AF_LLC, bytes, sizeof bytes));
        }
        if (mac) rtnl_link_set_addr(bridge.get(), mac.get());
        int err = rtnl_link_add(sock.get(), bridge.get(), NLM_F_CREATE | NLM_F_EXCL);
        if (err < 0 && err != -NLE_EXIST) return nl_error("create bridge " + name, err);
    }
    int index = link_index(sock, name);
    if (index == 0) return Error("bridge " + name + " vanished while it was being set up");
    // Sysctls first: IPv6 on the bridge must not run DAD, and 127.0.0.0/8 sources
    // (published ports reached on 127.0.0.1) must be routable out of it.
    (void)write_sysctl("net/ipv4/conf/" + name + "/route_localnet", "1");
    for (const auto& a : addresses) TRY(add_address(sock, index, a, name));
    // The MTU is changed after creation, not given with it: only a change marks it as
    // the user's, and otherwise the kernel moves it to the lowest of the ports' (1500
    // whenever the bridge has none).
    return set_up(sock, name, mtu == 1500 ? 0 : mtu);
}

Result<void> delete_link(const NetlinkSocket& sock, const std::string& name) {
    LinkPtr link(rtnl_link_alloc());
    rtnl_link_set_name(link.get(), name.c_str());
    int err = rtnl_link_delete(sock.get(), link.get());
    if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND) return nl_error("delete link " + name, err);
    return ok();
}

void await_links_gone(const std::vector<std::string>& names, int timeout_ms) {
    if (names.empty()) return;
    std::vector<std::string> left;
    auto still_there = [&] {
        left.clear();
        for (const auto& name : names)
            if (::if_nametoindex(name.c_str()) != 0) left.push_back(name);
        return !left.empty();
    };
    // Joined to the link group before the first look, so no deletion falls between.
    sys::UniqueFd events(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_groups = RTMGRP_LINK;
    bool watching = events && ::bind(events.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) == 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (watching && still_there()) {
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (wait.count() <= 0) break;
        pollfd ready{events.get(), POLLIN, 0};
        int n = ::poll(&ready, 1, static_cast<int>(wait.count()) + 1);
        if (n < 0 && errno != EINTR) break;
        // Whatever came (an RTM_DELLINK, a bridge port's notice, or an overrun):
        // drain it and look again by name.
        char buffer[8192];
        while (::recv(events.get(), buffer, sizeof buffer, 0) > 0 || errno == ENOBUFS) {
        }
    }
    if (!watching) still_there();
    if (left.empty()) return;
    // Still there: another process holds the namespace, or the kernel is slow.
    auto sock = NetlinkSocket::open();
    if (!sock.ok()) return;
    for (const auto& name : left) (void)delete_link(*sock, name);
}

Result<void> delete_link_detached(const std::string& name) {
    unsigned index = ::if_nametoindex(name.c_str());
    if (index == 0) return ok();
    auto helper = sys::spawn_helper("/", {"__delete-link", std::to_string(index)});
    if (!helper.ok()) return std::move(helper).error().context("delete link " + name);
    int status = 0;
    while (::waitpid(*helper, &status, 0) < 0 && errno == EINTR) {
    }
    await_links_gone({name}, 5000);
    if (::if_nametoindex(name.c_str()) != 0) return Error("delete link " + name + ": it is still there after 5 s");
    return ok();
}

void delete_link_verb(int index) {
    // The spawner waits for this process only: the deletion runs in its child.
    if (::fork() != 0) ::_exit(0);
    // By index: a later link of the same name is never the one deleted.
    struct {
        nlmsghdr header;
        ifinfomsg link;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = RTM_DELLINK;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    request.link.ifi_family = AF_UNSPEC;
    request.link.ifi_index = index;
    int sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (sock < 0) ::_exit(1);
    (void)::send(sock, &request, sizeof request, 0);
    char ack[512];
    (void)::recv(sock, ack, sizeof ack, 0);
    ::_exit(0);
}

Result<void> create_veth(const NetlinkSocket& host, const VethRequest& request) {
    int bridge = link_index(host, request.bridge);
    if (bridge == 0) return Error("bridge " + request.bridge + " does not exist");
    rtnl_link* raw = rtnl_link_veth_alloc();
    if (!raw) return Error("veth: out of memory");
    struct Release {
        void operator()(rtnl_link* l) const { rtnl_link_veth_release(l); }
    };
    std::unique_ptr<rtnl_link, Release> link(raw);
    rtnl_link* peer = rtnl_link_veth_get_peer(raw);
    rtnl_link_set_name(raw, request.host_name.c_str());
    rtnl_link_set_mtu(raw, static_cast<unsigned>(request.mtu));
    rtnl_link_set_master(raw, bridge);
    rtnl_link_set_flags(raw, IFF_UP);
    rtnl_link_set_name(peer, request.container_name.c_str());
    rtnl_link_set_mtu(peer, static_cast<unsigned>(request.mtu));
    rtnl_link_set_ns_pid(peer, request.pid);
    NlAddrPtr mac;
    if (!request.mac.empty()) {
        nl_addr* parsed = nullptr;
        if (nl_addr_parse(request.mac.c_str(), AF_LLC, &parsed) < 0)
            return Error("invalid MAC address: " + request.mac);
        mac.reset(parsed);
        rtnl_link_set_addr(peer, mac.get());
    }
    rtnl_link_put(peer);
    int err = rtnl_link_add(host.get(), raw, NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl_error("create veth " + request.host_name, err);
    return ok();
}

Result<void> configure_interface(const NetlinkSocket& sock, const std::string& name,
                                 const std::vector<AddressWithPrefix>& addresses,
                                 const std::vector<Address>& gateways) {
    TRY(set_up(sock, "lo"));
    int index = link_index(sock, name);
    if (index == 0) return Error("interface " + name + " not found in the container");
    for (const auto& a : addresses) TRY(add_address(sock, index, a, name));
    TRY(set_up(sock, name));
    for (const auto& gateway : gateways) {
        std::unique_ptr<rtnl_route, RoutePut> route(rtnl_route_alloc());
        rtnl_route_set_family(route.get(), static_cast<uint8_t>(gateway.family));
        rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
        Address any;
        any.family = gateway.family;
        auto dst = to_nl(any, 0);
        rtnl_route_set_dst(route.get(), dst.get());
        rtnl_nexthop* nh = rtnl_route_nh_alloc();
        auto via = to_nl(gateway, gateway.bits());
        rtnl_route_nh_set_gateway(nh, via.get());
        rtnl_route_nh_set_ifindex(nh, index);
        rtnl_route_add_nexthop(route.get(), nh);  // the route owns nh now
        int err = rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE);
        if (err < 0 && err != -NLE_EXIST) return nl_error("add default route via " + gateway.str(), err);
    }
    return ok();
}

std::string link_mac(const NetlinkSocket& sock, const std::string& name) {
    rtnl_link* found = nullptr;
    if (rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &found) < 0) return "";
    LinkPtr link(found);
    nl_addr* a = rtnl_link_get_addr(link.get());
    if (!a) return "";
    char text[64] = {};
    nl_addr2str(a, text, sizeof text);
    return text;
}

Result<void> write_sysctl(const std::string& key, const std::string& value) {
    std::string path = "/proc/sys/" + key;
    sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return Error::from_syscall("open", errno, path);
    if (::write(fd.get(), value.data(), value.size()) < 0) return Error::from_syscall("write", errno, path);
    return ok();
}

}  // namespace hako::net
