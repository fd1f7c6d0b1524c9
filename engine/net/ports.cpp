// This file implements the checks and host reservation of published ports (ports.h).
#include "engine/net/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <map>

#include "engine/net/ipam.h"

namespace hako::net {

namespace {

std::map<std::string, std::vector<sys::UniqueFd>>& held() {
    static std::map<std::string, std::vector<sys::UniqueFd>> sockets;
    return sockets;
}

Result<int> port_number(const nlohmann::json& value, const std::string& where) {
    long n = -1;
    if (value.is_number_integer()) n = value.get<long>();
    else if (value.is_string()) {
        const std::string& s = value.get_ref<const std::string&>();
        if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
            return Error(where + ": invalid port \"" + s + "\"");
        n = std::stol(s);
    }
    if (n < 1 || n > 65535) return Error(where + ": port " + value.dump() + " is out of range (1-65535)");
    return static_cast<int>(n);
}

std::string address_text(const std::string& ip, int port) {
    return ip.find(':') == std::string::npos ? ip + ":" + std::to_string(port) : "[" + ip + "]:" + std::to_string(port);
}

// Binds `protocol` on ip:port (port 0: the kernel picks); the bound port.
Result<int> bind_port(const std::string& ip, int port, const std::string& protocol, sys::UniqueFd& out) {
    auto address = parse_address(ip);
    if (!address.ok()) return Error("invalid host address \"" + ip + "\"");
    int type = protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
    sys::UniqueFd fd(::socket(address->family, type | SOCK_CLOEXEC, 0));
    if (!fd) return Error::from_syscall("socket", errno);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (address->family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(&storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(static_cast<uint16_t>(port));
        std::memcpy(&in->sin_addr, address->bytes.data(), 4);
        length = sizeof *in;
    } else {
        // [::] holds the IPv6 port only; 0.0.0.0 is bound on its own.
        int one = 1;
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(port));
        std::memcpy(&in6->sin6_addr, address->bytes.data(), 16);
        length = sizeof *in6;
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        int err = errno;
        std::string where = address_text(ip, port);
        if (err == EADDRINUSE) return Error("Bind for " + where + " failed: port is already allocated");
        return Error::from_syscall("bind", err, where + "/" + protocol);
    }
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&storage), &length);
    out = std::move(fd);
    return static_cast<int>(ntohs(address->family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                                             : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port));
}

// The addresses a request is bound on: one per family it publishes.
Result<std::vector<std::string>> bind_addresses(const PortRequest& r, PortFamilies families, size_t index) {
    if (r.host_ip.empty()) {
        std::vector<std::string> out;
        if (families.ipv4) out.push_back("0.0.0.0");
        if (families.ipv6) out.push_back("::");
        return out;
    }
    auto address = TRY(parse_address(r.host_ip));
    if (address.family == AF_INET6 && !families.ipv6)
        return Error("ports[" + std::to_string(index) + "]: host_ip " + r.host_ip +
                     " is an IPv6 address, and the container has no IPv6 address on its first network (enable_ipv6)");
    return std::vector<std::string>{address.str()};
}

// Binds `port` (0: a free one) on every address, the same number on each.
Result<int> bind_all(const std::vector<std::string>& addresses, int port, const std::string& protocol,
                     std::vector<sys::UniqueFd>& out) {
    constexpr int kRandomTries = 16;
    for (int attempt = 0;; ++attempt) {
        std::vector<sys::UniqueFd> fds;
        int bound = port;
        Result<void> failed = ok();
        for (const auto& address : addresses) {
            sys::UniqueFd fd;
            auto got = bind_port(address, bound, protocol, fd);
            if (!got.ok()) {
                failed = std::move(got).error();
                break;
            }
            bound = *got;
            fds.push_back(std::move(fd));
        }
        if (failed.ok()) {
            for (auto& fd : fds) out.push_back(std::move(fd));
            return bound;
        }
        // A random port free on one family and taken on the other: ask again.
        if (port != 0 || fds.empty() || attempt + 1 >= kRandomTries) return std::move(failed).error();
    }
}

}  // namespace

Result<std::vector<PortRequest>> parse_ports(const nlohmann::json& ports) {
    std::vector<PortRequest> out;
    if (ports.is_null()) return out;
    if (!ports.is_array()) return Error("ports: want a list");
    for (size_t i = 0; i < ports.size(); ++i) {
        const auto& p = ports[i];
        std::string where = "ports[" + std::to_string(i) + "]";
        if (!p.is_object()) return Error(where + ": want an object {target, published, host_ip, protocol}");
        PortRequest r;
        if (!p.contains("target")) return Error(where + ": target is missing");
        r.target = TRY(port_number(p["target"], where + ".target"));
        r.protocol = p.value("protocol", "tcp");
        if (r.protocol.empty()) r.protocol = "tcp";
        if (r.protocol != "tcp" && r.protocol != "udp")
            return Error(where + ": protocol \"" + r.protocol + "\" is not supported (tcp or udp)");
        r.host_ip = p.value("host_ip", "");
        if (!r.host_ip.empty()) {
            auto ip = parse_address(r.host_ip);
            if (!ip.ok()) return Error(where + ": host_ip: " + ip.error().message);
        }
        if (p.contains("published") && !p["published"].is_null()) {
            nlohmann::json published = p["published"];
            std::string text = published.is_string() ? published.get<std::string>() : published.dump();
            if (!text.empty()) {
                size_t dash = text.find('-');
                r.published_low = TRY(port_number(nlohmann::json(text.substr(0, dash)), where + ".published"));
                r.published_high = dash == std::string::npos
                                       ? r.published_low
                                       : TRY(port_number(nlohmann::json(text.substr(dash + 1)), where + ".published"));
                if (r.published_high < r.published_low)
                    return Error(where + ": published range " + text + " ends before it starts");
            }
        }
        out.push_back(r);
    }
    return out;
}

Result<PortReservation> reserve_ports(const std::vector<PortRequest>& requests, PortFamilies families) {
    PortReservation reservation;
    for (size_t i = 0; i < requests.size(); ++i) {
        const PortRequest& r = requests[i];
        auto addresses = TRY(bind_addresses(r, families, i));
        if (addresses.empty()) continue;
        int port = 0;
        if (r.published_low == 0) {
            port = TRY(bind_all(addresses, 0, r.protocol, reservation.sockets));
        } else {
            Error last("no port");
            for (int candidate = r.published_low; candidate <= r.published_high && port == 0; ++candidate) {
                auto bound = bind_all(addresses, candidate, r.protocol, reservation.sockets);
                if (bound.ok()) port = *bound;
                else last = std::move(bound).error();
            }
            if (port == 0) {
                if (r.published_low == r.published_high) return last;
                return Error("Bind for " + address_text(addresses.front(), r.published_low) + "-" +
                             std::to_string(r.published_high) + " failed: every port of the range is already allocated");
            }
        }
        reservation.ports.push_back({r.host_ip, port, r.target, r.protocol});
    }
    return reservation;
}

Result<std::vector<nlohmann::json>> parse_publish_spec(const std::string& spec) {
    auto bad = [&](const std::string& why) { return Error("invalid publish spec \"" + spec + "\": " + why); };
    std::string rest = spec, protocol = "tcp", host_ip, host_part, container_part;
    if (size_t slash = rest.rfind('/'); slash != std::string::npos) {
        protocol = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
        if (protocol != "tcp" && protocol != "udp") return bad("protocol " + protocol + " (tcp or udp)");
    }
    if (!rest.empty() && rest[0] == '[') {  // [IPv6]:host:container
        size_t close = rest.find(']');
        if (close == std::string::npos) return bad("unclosed [");
        host_ip = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (rest.empty() || rest[0] != ':') return bad("want [IP]:HOST:CONTAINER");
        rest = rest.substr(1);
    }
    size_t last = rest.rfind(':');
    if (last == std::string::npos) {
        container_part = rest;
    } else {
        container_part = rest.substr(last + 1);
        std::string before = rest.substr(0, last);
        size_t first = before.rfind(':');
        if (first == std::string::npos) {
            host_part = before;
        } else {
            if (!host_ip.empty()) return bad("too many ':'");
            host_ip = before.substr(0, first);
            host_part = before.substr(first + 1);
        }
    }
    auto range = [&](const std::string& text, const char* what) -> Result<std::pair<int, int>> {
        size_t dash = text.find('-');
        auto low = port_number(nlohmann::json(text.substr(0, dash)), std::string(what));
        if (!low.ok()) return bad(low.error().message);
        int high = *low;
        if (dash != std::string::npos) {
            auto h = port_number(nlohmann::json(text.substr(dash + 1)), std::string(what));
            if (!h.ok()) return bad(h.error().message);
            high = *h;
        }
        if (high < *low) return bad(std::string(what) + " range ends before it starts");
        return std::pair<int, int>{*low, high};
    };
    auto targets = TRY(range(container_part, "container port"));
    std::pair<int, int> hosts{0, 0};
    if (!host_part.empty()) hosts = TRY(range(host_part, "host port"));
    if (!host_ip.empty() && !parse_address(host_ip).ok()) return bad("\"" + host_ip + "\" is not an IP address");
    int count = targets.second - targets.first + 1;
    bool host_range = hosts.first != hosts.second;
    if (count > 1 && hosts.first != 0 && hosts.second - hosts.first + 1 != count)
        return bad("the host and container port ranges differ in length");
    std::vector<nlohmann::json> out;
    for (int i = 0; i < count; ++i) {
        std::string published;
        if (hosts.first != 0) {
            if (count > 1) published = std::to_string(hosts.first + i);
            else published = host_range ? std::to_string(hosts.first) + "-" + std::to_string(hosts.second)
                                        : std::to_string(hosts.first);
        }
        out.push_back({{"target", targets.first + i}, {"published", published}, {"host_ip", host_ip},
                       {"protocol", protocol}});
    }
    return out;
}

void hold_ports(const std::string& container_id, PortReservation reservation) {
    auto& mine = held()[container_id];
    for (auto& fd : reservation.sockets) mine.push_back(std::move(fd));
}

void release_ports(const std::string& container_id) { held().erase(container_id); }

void forget_held_ports(const std::string& container_id) {
    auto found = held().find(container_id);
    if (found == held().end()) return;
    for (auto& fd : found->second) (void)fd.release();
    held().erase(found);
}

std::vector<int> held_port_sockets(const std::string& container_id) {
    std::vector<int> fds;
    if (auto found = held().find(container_id); found != held().end())
        for (const auto& fd : found->second) fds.push_back(fd.get());
    return fds;
}

}  // namespace hako::net
