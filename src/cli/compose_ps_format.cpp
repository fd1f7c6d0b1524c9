// This file implements docker's words for a container's state, times, command
// and ports, and docker compose ps's JSON object (compose_ps_format.h).
#include "src/cli/compose_ps_format.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "engine/container/lifecycle.h"
#include "engine/device/inspect.h"
#include "engine/net/network_store.h"

namespace hako::cli {

std::string human_duration(int64_t seconds) {
    if (seconds < 1) return "Less than a second";
    if (seconds == 1) return "1 second";
    if (seconds < 60) return std::to_string(seconds) + " seconds";
    int64_t minutes = seconds / 60;
    if (minutes == 1) return "About a minute";
    if (minutes < 60) return std::to_string(minutes) + " minutes";
    int64_t hours = (seconds + 1800) / 3600;  // docker rounds hours
    if (hours == 1) return "About an hour";
    if (hours < 48) return std::to_string(hours) + " hours";
    if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
    if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
    if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
    return std::to_string(seconds / 3600 / 24 / 365) + " years";
}

int64_t epoch_seconds(const std::string& rfc3339) {
    tm parts{};
    if (rfc3339.size() < 19 || ::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &parts) == nullptr) return 0;
    if (parts.tm_year + 1900 <= 1) return 0;
    return static_cast<int64_t>(::timegm(&parts));
}

std::string state_name(const ServiceContainer& c, bool paused) {
    if (c.state.status == "running" && paused) return "paused";
    return c.state.status;
}

std::string status_text(const ServiceContainer& c, bool paused, int64_t now) {
    const auto& s = c.state;
    auto since = [&](const std::string& at) { return human_duration(now - epoch_seconds(at)); };
    if (s.status == "running") {
        std::string text = "Up " + since(s.started_at);
        if (paused) return text + " (Paused)";
        if (s.health_status == "starting") return text + " (health: starting)";
        if (!s.health_status.empty()) return text + " (" + s.health_status + ")";
        return text;
    }
    if (s.status == "restarting") return "Restarting (" + std::to_string(s.exit_code) + ") " + since(s.finished_at) + " ago";
    if (s.status == "exited") {
        if (epoch_seconds(s.finished_at) == 0) return "Exited (" + std::to_string(s.exit_code) + ")";
        return "Exited (" + std::to_string(s.exit_code) + ") " + since(s.finished_at) + " ago";
    }
    if (s.status == "created") return "Created";
    return s.status;
}

std::string command_text(const container::ContainerRecord& record, bool full) {
    std::string command;
    for (const auto& arg : record.args()) {
        if (!command.empty()) command += ' ';
        command += arg;
    }
    if (!full) {
        // 20 characters (not bytes), the last one "…" when cut, as docker's Ellipsis.
        size_t characters = 0, cut = std::string::npos;
        for (size_t i = 0; i < command.size(); ++i) {
            if ((static_cast<unsigned char>(command[i]) & 0xC0) == 0x80) continue;
            if (characters == 19) cut = i;
            ++characters;
        }
        if (characters > 20) command = command.substr(0, cut) + "…";
    }
    return "\"" + command + "\"";
}

std::string ports_text(const std::vector<Publisher>& publishers) {
    std::string text;
    for (const auto& p : publishers) {
        if (!text.empty()) text += ", ";
        if (p.published_port != 0) {
            std::string host = p.url.find(':') != std::string::npos ? "[" + p.url + "]" : p.url;
            text += host + ":" + std::to_string(p.published_port) + "->";
        }
        text += std::to_string(p.target_port) + "/" + p.protocol;
    }
    return text;
}

namespace {

int to_int(const std::string& text) {
    int value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

// The ports a running container publishes as the network module assigned them
// (random host ports resolved); the record's fixed host ports when the module
// has no endpoint for it (host network mode).
std::vector<net::PublishedPort> assigned_ports(const std::string& root, const container::ContainerRecord& record) {
    auto assigned = net::published_ports(root, record.id);
    if (assigned.ok() && !assigned->empty()) return std::move(assigned).value();
    std::vector<net::PublishedPort> ports;
    if (!record.networking.is_object()) return ports;
    for (const auto& port : record.networking.value("ports", nlohmann::json::array())) {
        if (!port.is_object()) continue;
        std::string published = port.value("published", std::string());
        int first = to_int(published.substr(0, published.find('-')));
        if (first <= 0) continue;
        ports.push_back({port.value("host_ip", std::string()), first, port.value("target", 0),
                         port.value("protocol", std::string("tcp"))});
    }
    return ports;
}

}  // namespace

std::vector<Publisher> publishers_of(const std::string& root, const ServiceContainer& c) {
    std::vector<Publisher> publishers;
    std::set<std::pair<int, std::string>> published_targets;
    const auto& networking = c.record.networking;
    if (container::is_running(c.state)) {
        for (const auto& port : assigned_ports(root, c.record)) {
            publishers.push_back({port.host_ip.empty() ? "0.0.0.0" : port.host_ip, port.container_port,
                                  port.host_port, port.protocol.empty() ? "tcp" : port.protocol});
            published_targets.insert({port.container_port, publishers.back().protocol});
        }
    }
    // Ports of the record that the network module did not report: exposed only.
    auto add_exposed = [&](int target, const std::string& protocol) {
        if (target <= 0 || published_targets.count({target, protocol})) return;
        published_targets.insert({target, protocol});
        publishers.push_back({"", target, 0, protocol});
    };
    if (networking.is_object()) {
        for (const auto& port : networking.value("ports", nlohmann::json::array())) {
            if (!port.is_object()) continue;
            add_exposed(port.value("target", 0), port.value("protocol", std::string("tcp")));
        }
        for (const auto& expose : networking.value("expose", nlohmann::json::array())) {
            if (!expose.is_string()) continue;
            std::string text = expose.get<std::string>();
            auto slash = text.find('/');
            add_exposed(to_int(text.substr(0, slash)), slash == std::string::npos ? "tcp" : text.substr(slash + 1));
        }
    }
    std::sort(publishers.begin(), publishers.end(), [](const Publisher& a, const Publisher& b) {
        if (a.target_port != b.target_port) return a.target_port < b.target_port;
        if (a.protocol != b.protocol) return a.protocol < b.protocol;
        if (a.url != b.url) return a.url < b.url;
        return a.published_port < b.published_port;
    });
    return publishers;
}

nlohmann::ordered_json ps_json(const PsRow& row, int64_t now, bool full_command) {
    const ServiceContainer& c = *row.container;
    std::string labels;
    for (const auto& [key, value] : c.record.labels) labels += (labels.empty() ? "" : ",") + key + "=" + value;
    nlohmann::ordered_json publishers = nlohmann::ordered_json::array();
    for (const auto& p : row.publishers)
        publishers.push_back(
            {{"URL", p.url}, {"TargetPort", p.target_port}, {"PublishedPort", p.published_port}, {"Protocol", p.protocol}});
    int64_t created = epoch_seconds(c.record.created);
    char created_at[64] = "";
    time_t created_time = static_cast<time_t>(created);
    tm parts{};
    ::gmtime_r(&created_time, &parts);
    std::strftime(created_at, sizeof created_at, "%Y-%m-%d %H:%M:%S +0000 UTC", &parts);
    std::string networks;
    if (c.record.networking.is_object() && c.record.networking.contains("endpoints") &&
        c.record.networking["endpoints"].is_object()) {
        for (auto it = c.record.networking["endpoints"].begin(); it != c.record.networking["endpoints"].end(); ++it)
            networks += (networks.empty() ? "" : ",") + it.key();
    } else {
        networks = c.record.network;
    }
    return {{"Command", command_text(c.record, full_command)},
            {"CreatedAt", created_at},
            {"Created", created},
            // hako's addition (issue 7): the devices the container holds, as inspect's
            // HostConfig shows them; docker compose ps has no such field.
            {"Devices", device::inspect_host_config(c.record.devices)},
            {"ExitCode", c.state.exit_code},
            {"Health", c.state.health_status},
            {"ID", c.record.id},
            {"Image", c.record.image},
            {"Labels", labels},
            {"Name", c.record.name},
            {"Names", c.record.name},
            {"Networks", networks},
            {"Ports", ports_text(row.publishers)},
            {"Project", row.project},
            {"Publishers", publishers},
            {"RunningFor", human_duration(now - created) + " ago"},
            {"Service", c.service},
            {"State", state_name(c, row.paused)},
            {"Status", status_text(c, row.paused, now)}};
}

}  // namespace hako::cli
