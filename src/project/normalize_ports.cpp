// This file implements the normalisation of services.*.ports: docker's short
// port specs ("8080:80", "127.0.0.1:53:53/udp", "9090-9091:8080-8081", "[::1]:80:80")
// become one long-form entry per container port, as `docker compose config` prints.
#include <arpa/inet.h>

#include "src/project/normalize_detail.h"

namespace hako::project::detail {
namespace {

struct PortRange {
    uint32_t first = 0;
    uint32_t last = 0;
    uint32_t size() const { return last - first + 1; }
};

std::optional<uint32_t> parse_port_number(std::string_view text) {
    if (text.empty() || text.size() > 5) return std::nullopt;
    uint32_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (value > 65535) return std::nullopt;
    return value;
}

std::optional<PortRange> parse_port_range(std::string_view text) {
    size_t dash = text.find('-');
    if (dash == std::string_view::npos) {
        auto port = parse_port_number(text);
        if (!port) return std::nullopt;
        return PortRange{*port, *port};
    }
    auto first = parse_port_number(text.substr(0, dash));
    auto last = parse_port_number(text.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    return PortRange{*first, *last};
}

bool valid_ip(const std::string& ip) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, ip.c_str(), buffer) == 1 || inet_pton(AF_INET6, ip.c_str(), buffer) == 1;
}

bool valid_protocol(const std::string& protocol) {
    return protocol == "tcp" || protocol == "udp" || protocol == "sctp";
}

std::string lowercase(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Parses one short spec the way docker's nat.ParsePortSpec does; appends the
// long-form entries to `out` or returns the reason it is not a port.
std::optional<std::string> parse_port_spec(const std::string& spec, Json& out) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t colon = spec.find(':', start);
        parts.push_back(spec.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    std::string ip, host, container = parts.back();
    if (parts.size() == 2) {
        host = parts[0];
    } else if (parts.size() >= 3) {
        host = parts[parts.size() - 2];
        for (size_t i = 0; i + 2 < parts.size(); ++i) {
            if (i > 0) ip += ':';
            ip += parts[i];
        }
    }
    std::string protocol = "tcp";
    if (size_t slash = container.find('/'); slash != std::string::npos) {
        protocol = lowercase(container.substr(slash + 1));
        container.resize(slash);
    }
    if (!ip.empty() && ip.front() == '[') {
        if (ip.size() < 2 || ip.back() != ']') return "invalid IP address " + ip;
        ip = ip.substr(1, ip.size() - 2);
    }
    if (!ip.empty() && !valid_ip(ip)) return "invalid IP address " + ip;
    if (container.empty()) return "no container port specified";
    auto container_range = parse_port_range(container);
    if (!container_range) return "invalid container port " + container;
    std::optional<PortRange> host_range;
    if (!host.empty()) {
        host_range = parse_port_range(host);
        if (!host_range) return "invalid host port " + host;
        if (host_range->size() != container_range->size() && container_range->size() != 1)
            return "port ranges of different lengths: " + host + " and " + container;
    }
    if (!valid_protocol(protocol)) return "invalid protocol " + protocol;
    for (uint32_t i = 0; i < container_range->size(); ++i) {
        Json entry = Json::object();
        auto& members = entry.get_ref<Json::object_t&>();
        members.emplace("mode", "ingress");
        members.emplace("target", container_range->first + i);
        members.emplace("protocol", protocol);
        if (host_range) {
            if (container_range->size() == 1 && host_range->size() > 1) {
                // One container port, a host range: the engine picks a free one in it.
                members.emplace("published", host);
            } else {
                members.emplace("published", std::to_string(host_range->first + i));
            }
        }
        if (!ip.empty()) members.emplace("host_ip", ip);
        out.push_back(std::move(entry));
    }
    return std::nullopt;
}

// Completes a long-form entry: defaults, integer target, string published.
// Each key is looked up once.
void normalize_long_port(NormalizeContext& context, Json entry, const std::string& path, Json& out) {
    auto& members = entry.get_ref<Json::object_t&>();
    members.emplace("mode", "ingress");  // only when absent
    Json& protocol = members.emplace("protocol", "tcp").first->second;
    if (protocol.is_string()) protocol = lowercase(protocol.get<std::string>());
    if (!protocol.is_string() || !valid_protocol(protocol.get_ref<const std::string&>()))
        context.error(path_join(path, "protocol"), "invalid protocol " + protocol.dump());
    if (auto it = members.find("target"); it != members.end()) {
        Json& target = it->second;
        std::optional<uint32_t> port;
        if (target.is_number_unsigned() || target.is_number_integer()) {
            auto value = target.get<int64_t>();
            if (value >= 0 && value <= 65535) port = static_cast<uint32_t>(value);
        } else if (target.is_string()) {
            port = parse_port_number(target.get_ref<const std::string&>());
        }
        if (port) {
            target = *port;
        } else {
            context.error(path_join(path, "target"), "invalid container port " + target.dump());
        }
    } else {
        context.error(path, "a port needs a target");
    }
    if (auto it = members.find("published"); it != members.end()) {
        Json& published = it->second;
        if (published.is_number_integer() || published.is_number_unsigned()) published = published.dump();
        if (!published.is_string() || !parse_port_range(published.get_ref<const std::string&>()))
            context.error(path_join(path, "published"), "invalid published port " + published.dump());
    }
    out.push_back(std::move(entry));
}

}  // namespace

Json normalize_ports(NormalizeContext& context, Json ports, const std::string& path) {
    if (!ports.is_array()) {
        context.error(path, "ports must be a list");
        return ports;
    }
    Json out = Json::array();
    out.get_ref<Json::array_t&>().reserve(ports.size());
    std::vector<size_t> origin;  // out index → ports index, to move marks along
    for (size_t i = 0; i < ports.size(); ++i) {
        Json& entry = ports[i];
        const std::string entry_path = path_index(path, i);
        if (entry.is_object()) {
            normalize_long_port(context, std::move(entry), entry_path, out);
        } else if (entry.is_string() || entry.is_number_unsigned() || entry.is_number_integer()) {
            std::string spec = entry.is_string() ? entry.get<std::string>() : entry.dump();
            if (context.uninterpolated(spec)) {
                out.push_back(std::move(entry));
            } else if (auto problem = parse_port_spec(spec, out))
                context.error(entry_path, "invalid port \"" + spec + "\": " + *problem);
        } else {
            context.error(entry_path, "a port must be a string, a number or a mapping");
        }
        origin.resize(out.size(), i);
    }
    if (out.size() != ports.size()) {
        SourceMap before;
        before.copy_subtree(path, path, context.project.marks);
        for (size_t i = 0; i < origin.size(); ++i)
            context.project.marks.copy_subtree(path_index(path, origin[i]), path_index(path, i), before);
    }
    return out;
}

}  // namespace hako::project::detail
