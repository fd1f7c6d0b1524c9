// This file implements the checks and host reservation of published ports (ports.h).
#include "engine/net/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

// Binds `protocol` on host_ip:port (port 0: the kernel picks); the bound port.
Result<int> bind_port(const std::string& host_ip, int port, const std::string& protocol, sys::UniqueFd& out) {
    int type = protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
    sys::UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
    if (!fd) return Error::from_syscall("socket", errno);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    std::string ip = host_ip.empty() ? "0.0.0.0" : host_ip;
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int err = errno;
        std::string where = ip + ":" + std::to_string(port);
        if (err == EADDRINUSE) return Error("Bind for " + where + " failed: port is already allocated");
        return Error::from_syscall("bind", err, where + "/" + protocol);
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    out = std::move(fd);
    return static_cast<int>(ntohs(addr.sin_port));
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
            if (ip->family != AF_INET)
                return Error(where + ": host_ip " + r.host_ip + ": IPv6 host addresses are not supported yet");
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

Result<PortReservation> reserve_ports(const std::vector<PortRequest>& requests) {
    PortReservation reservation;
    for (const auto& r : requests) {
        sys::UniqueFd fd;
        int port = 0;
        if (r.published_low == 0) {
            port = TRY(bind_port(r.host_ip, 0, r.protocol, fd));
        } else {
            Error last("no port");
            for (int candidate = r.published_low; candidate <= r.published_high && port == 0; ++candidate) {
                auto bound = bind_port(r.host_ip, candidate, r.protocol, fd);
                if (bound.ok()) port = *bound;
                else last = std::move(bound).error();
            }
            if (port == 0) {
                if (r.published_low == r.published_high) return last;
                std::string ip = r.host_ip.empty() ? "0.0.0.0" : r.host_ip;
                return Error("Bind for " + ip + ":" + std::to_string(r.published_low) + "-" +
                             std::to_string(r.published_high) + " failed: every port of the range is already allocated");
            }
        }
        reservation.ports.push_back({r.host_ip, port, r.target, r.protocol});
        reservation.sockets.push_back(std::move(fd));
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

}  // namespace hako::net
