// This file implements service_spec.h: the mapping from a normalised Compose
// service to the engine's CreateRequest and the record sections whose shapes
// docs/formats.md fixes.
#include "src/reconcile/service_spec.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/device/requests.h"
#include "src/project/config_hash.h"
#include "src/project/normalize_detail.h"
#include "src/reconcile/engine.h"

namespace hako::reconcile {

namespace {

using project::Json;

std::string str(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return "";
    if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
    return value.dump();
}

int64_t bytes(const Json& value) {
    if (value.is_number()) return value.get<int64_t>();
    if (value.is_string()) return project::detail::parse_size(value.get<std::string>()).value_or(0);
    return 0;
}

int64_t nanoseconds(const Json& service, const char* key) {
    if (!service.contains(key)) return 0;
    const Json& value = service[key];
    if (value.is_number()) return value.get<int64_t>();
    return project::detail::parse_duration(str(value)).value_or(0);
}

std::vector<std::string> strings(const Json& value) {
    std::vector<std::string> out;
    if (value.is_array())
        for (const auto& item : value) out.push_back(str(item));
    else if (value.is_string())
        out.push_back(value.get<std::string>());
    return out;
}

const Json& field(const Json& object, const char* key) {
    static const Json null;
    return object.is_object() && object.contains(key) ? object[key] : null;
}

// network_mode / pid / ipc "service:X" stay for the executor; "container:X" passes.
std::string namespace_reference(const Json& value) { return value.is_string() ? value.get<std::string>() : ""; }

Json networking(const project::Project& project, const std::string& name, const Json& service, std::string& mode) {
    Json out = Json::object();
    std::string network_mode = str(field(service, "network_mode"));
    if (network_mode == "host" || network_mode == "none") {
        mode = network_mode;
        out["mode"] = network_mode;
    } else if (!network_mode.empty() && network_mode != "bridge" && network_mode != "default") {
        mode = "none";
        out["mode"] = network_mode;  // service:X / container:X
    } else {
        mode = "none";
        out["mode"] = "bridge";
        Json endpoints = Json::object();
        const Json& networks = field(service, "networks");
        if (networks.is_object()) {
            for (auto it = networks.begin(); it != networks.end(); ++it) {
                Json endpoint = {{"aliases", Json::array({name})},
                                 {"ipv4_address", ""},
                                 {"ipv6_address", ""},
                                 {"mac_address", ""}};
                const Json& config = it.value();
                for (const auto& alias : strings(field(config, "aliases")))
                    if (alias != name) endpoint["aliases"].push_back(alias);
                endpoint["ipv4_address"] = str(field(config, "ipv4_address"));
                endpoint["ipv6_address"] = str(field(config, "ipv6_address"));
                endpoint["mac_address"] = str(field(config, "mac_address"));
                if (endpoint["mac_address"] == "" && networks.size() == 1)
                    endpoint["mac_address"] = str(field(service, "mac_address"));
                endpoints[network_name(project, it.key())] = std::move(endpoint);
            }
        }
        out["endpoints"] = std::move(endpoints);
    }
    Json ports = Json::array();
    for (const auto& port : field(service, "ports")) {
        ports.push_back({{"target", field(port, "target").is_number() ? field(port, "target").get<int>() : 0},
                         {"published", str(field(port, "published"))},
                         {"host_ip", str(field(port, "host_ip"))},
                         {"protocol", port.contains("protocol") ? str(port["protocol"]) : "tcp"}});
    }
    out["ports"] = std::move(ports);
    Json expose = Json::array();
    for (auto item : strings(field(service, "expose"))) {
        if (item.find('/') == std::string::npos) item += "/tcp";
        expose.push_back(item);
    }
    out["expose"] = std::move(expose);
    out["dns"] = strings(field(service, "dns"));
    out["dns_search"] = strings(field(service, "dns_search"));
    out["dns_opt"] = strings(field(service, "dns_opt"));
    Json hosts = Json::array();
    const Json& extra = field(service, "extra_hosts");
    if (extra.is_object()) {
        for (auto it = extra.begin(); it != extra.end(); ++it)
            for (const auto& address : strings(it.value())) hosts.push_back(it.key() + ":" + address);
    } else {
        for (const auto& entry : strings(extra)) hosts.push_back(entry);
    }
    out["extra_hosts"] = std::move(hosts);
    out["domainname"] = str(field(service, "domainname"));
    return out;
}

// A secret or config entry: its definition gives a file, content or environment variable.
Json file_mount(const project::Project& project, const Json& entry, const char* kind, const char* section) {
    std::string source = str(field(entry, "source"));
    Json mount = {{"type", kind}, {"source", source}, {"read_only", true}};
    std::string target = str(field(entry, "target"));
    if (std::string(kind) == "secret") {
        if (target.empty()) target = source;
        if (target[0] != '/') target = "/run/secrets/" + target;
    } else if (target.empty()) {
        target = "/" + source;
    }
    mount["target"] = target;
    mount["uid"] = entry.contains("uid") ? str(entry["uid"]) : "0";
    mount["gid"] = entry.contains("gid") ? str(entry["gid"]) : "0";
    mount["mode"] = entry.contains("mode") && entry["mode"].is_number() ? entry["mode"].get<int>() : 0444;
    const Json& definition = field(field(project.model, section), source.c_str());
    if (definition.contains("file")) {
        mount["file"] = str(definition["file"]);
    } else if (definition.contains("content")) {
        mount["content"] = str(definition["content"]);
    } else if (definition.contains("environment")) {
        mount["content"] = project.environment.get(str(definition["environment"])).value_or("");
    }
    return mount;
}

Json mounts(const project::Project& project, const Json& service) {
    Json out = Json::array();
    for (const auto& volume : field(service, "volumes")) {
        Json mount = volume;
        std::string type = str(field(volume, "type"));
        if (type == "volume") {
            std::string source = str(field(volume, "source"));
            mount["source"] = source.empty() ? "" : volume_name(project, source);
        }
        if (!mount.contains("read_only")) mount["read_only"] = false;
        out.push_back(std::move(mount));
    }
    for (const auto& entry : strings(field(service, "tmpfs"))) {
        Json mount = {{"type", "tmpfs"}, {"target", entry}, {"read_only", false}};
        size_t colon = entry.find(':');
        if (colon != std::string::npos) {
            mount["target"] = entry.substr(0, colon);
            Json tmpfs = Json::object();
            std::string options = entry.substr(colon + 1);
            size_t start = 0;
            while (start <= options.size()) {
                size_t comma = options.find(',', start);
                std::string option = options.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                if (option.rfind("size=", 0) == 0) tmpfs["size"] = bytes(option.substr(5));
                if (option.rfind("mode=", 0) == 0) tmpfs["mode"] = std::stoi(option.substr(5), nullptr, 8);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            mount["tmpfs"] = tmpfs;
        }
        out.push_back(std::move(mount));
    }
    for (const auto& entry : field(service, "secrets")) out.push_back(file_mount(project, entry, "secret", "secrets"));
    for (const auto& entry : field(service, "configs")) out.push_back(file_mount(project, entry, "config", "configs"));
    for (const auto& entry : strings(field(service, "volumes_from"))) {
        std::string source = entry;
        bool read_only = false;
        if (size_t colon = source.rfind(':'); colon != std::string::npos &&
                                              (source.substr(colon) == ":ro" || source.substr(colon) == ":rw")) {
            read_only = source.substr(colon) == ":ro";
            source.resize(colon);
        }
        if (source.rfind("container:", 0) == 0)
            source = source.substr(10);
        else
            source = "service:" + source;  // the executor puts in the container's id
        out.push_back({{"type", "volumes_from"}, {"source", source}, {"read_only", read_only}});
    }
    return out;
}

Json health(const Json& service) {
    const Json& check = field(service, "healthcheck");
    if (!check.is_object()) return Json::object();
    Json out = Json::object();
    if (check.value("disable", false)) {
        out["disable"] = true;
        out["test"] = Json::array({"NONE"});
        return out;
    }
    if (check.contains("test")) out["test"] = check["test"];
    for (const char* key : {"interval", "timeout", "start_period", "start_interval"}) out[key] = nanoseconds(check, key);
    out["retries"] = check.contains("retries") && check["retries"].is_number() ? check["retries"].get<int>() : 3;
    out["disable"] = false;
    return out;
}


Json process(const Json& service) {
    Json out = Json::object();
    out["tty"] = field(service, "tty").is_boolean() && service["tty"].get<bool>();
    out["stdin_open"] = field(service, "stdin_open").is_boolean() && service["stdin_open"].get<bool>();
    out["init"] = field(service, "init").is_boolean() && service["init"].get<bool>();
    out["runtime"] = str(field(service, "runtime"));
    const Json& options = field(field(service, "logging"), "options");
    // Only what the file sets: the engine's defaults apply to the rest.
    Json log = Json::object();
    if (!field(options, "max-size").is_null()) log["max_size"] = bytes(options["max-size"]);
    if (!field(options, "max-file").is_null()) log["max_file"] = std::atoi(str(options["max-file"]).c_str());
    if (!log.empty()) out["log"] = log;
    Json sysctls = Json::object();
    const Json& service_sysctls = field(service, "sysctls");
    if (service_sysctls.is_object())
        for (auto it = service_sysctls.begin(); it != service_sysctls.end(); ++it) sysctls[it.key()] = str(it.value());
    out["sysctls"] = sysctls;
    out["shm_size"] = bytes(field(service, "shm_size"));
    out["ulimits"] = field(service, "ulimits").is_object() ? service["ulimits"] : Json::object();
    out["group_add"] = strings(field(service, "group_add"));
    out["security_opt"] = strings(field(service, "security_opt"));
    out["pid"] = namespace_reference(field(service, "pid"));
    out["ipc"] = namespace_reference(field(service, "ipc"));
    return out;
}

std::string env_entry(const std::string& key, const Json& value) {
    if (value.is_null()) return key;
    return key + "=" + str(value);
}

}  // namespace

std::string container_name(const project::Project& project, const std::string& service, int number) {
    const Json& config = project.service(service);
    if (config.contains("container_name") && config["container_name"].is_string())
        return config["container_name"].get<std::string>();
    return project.name + "-" + service + "-" + std::to_string(number);
}

std::string network_name(const project::Project& project, const std::string& key) {
    const Json& network = field(field(project.model, "networks"), key.c_str());
    if (network.contains("name")) return str(network["name"]);
    return project.name + "_" + key;
}

std::string volume_name(const project::Project& project, const std::string& key) {
    const Json& volume = field(field(project.model, "volumes"), key.c_str());
    if (volume.contains("name")) return str(volume["name"]);
    return project.name + "_" + key;
}

std::string service_image(const project::Project& project, const std::string& service) {
    const Json& config = project.service(service);
    if (config.contains("image")) return str(config["image"]);
    return project.name + "-" + service;
}

int service_scale(const Json& service) {
    if (service.contains("scale") && service["scale"].is_number()) return service["scale"].get<int>();
    const Json& replicas = field(field(service, "deploy"), "replicas");
    if (replicas.is_number()) return replicas.get<int>();
    return 1;
}

std::vector<std::string> shared_services(const Json& service) {
    std::set<std::string> out;
    for (const char* key : {"network_mode", "pid", "ipc"}) {
        std::string value = str(field(service, key));
        if (value.rfind("service:", 0) == 0) out.insert(value.substr(8));
    }
    for (auto entry : strings(field(service, "volumes_from"))) {
        if (entry.rfind("container:", 0) == 0) continue;
        if (size_t colon = entry.find(':'); colon != std::string::npos) entry.resize(colon);
        out.insert(entry);
    }
    return {out.begin(), out.end()};
}

Result<container::CreateRequest> container_request(const project::Project& project, const std::string& service,
                                                   int number, bool oneoff) {
    const Json& config = project.service(service);
    container::CreateRequest request;
    request.name = oneoff ? "" : container_name(project, service, number);
    request.image = service_image(project, service);
    const Json& entrypoint = field(config, "entrypoint");
    const Json& command = field(config, "command");
    if (entrypoint.is_array()) {
        // The engine takes one --entrypoint word; the rest goes before the command,
        // which gives the same process arguments.
        if (entrypoint.empty()) {
            request.entrypoint = "";
        } else {
            request.entrypoint = str(entrypoint[0]);
            for (size_t i = 1; i < entrypoint.size(); ++i) request.args.push_back(str(entrypoint[i]));
        }
    }
    for (const auto& word : strings(command)) request.args.push_back(word);
    const Json& environment = field(config, "environment");
    if (environment.is_object())
        for (auto it = environment.begin(); it != environment.end(); ++it)
            request.env.push_back(env_entry(it.key(), it.value()));
    request.working_dir = str(field(config, "working_dir"));
    request.user = str(field(config, "user"));
    request.hostname = str(field(config, "hostname"));
    const Json& labels = field(config, "labels");
    if (labels.is_object())
        for (auto it = labels.begin(); it != labels.end(); ++it) request.labels[it.key()] = str(it.value());
    request.labels[kProjectLabel] = project.name;
    request.labels[kServiceLabel] = service;
    request.labels[kNumberLabel] = std::to_string(number);
    request.labels[kOneoffLabel] = oneoff ? "True" : "False";
    request.labels[kConfigHashLabel] = project::config_hash(config);
    std::string files;
    for (const auto& file : project.config_files) files += (files.empty() ? "" : ",") + file;
    request.labels[kConfigFilesLabel] = files;
    request.labels[kWorkingDirLabel] = project.working_dir.string();

    const Json& limits = field(field(field(config, "deploy"), "resources"), "limits");
    request.memory = bytes(config.contains("mem_limit") ? config["mem_limit"] : field(limits, "memory"));
    double cpus = 0;
    const Json& cpu_value = config.contains("cpus") ? config["cpus"] : field(limits, "cpus");
    if (cpu_value.is_number()) cpus = cpu_value.get<double>();
    else if (cpu_value.is_string()) cpus = std::atof(cpu_value.get<std::string>().c_str());
    request.nano_cpus = static_cast<int64_t>(std::llround(cpus * 1e9));
    if (config.contains("pids_limit") && config["pids_limit"].is_number()) request.pids_limit = config["pids_limit"].get<int64_t>();
    else if (field(limits, "pids").is_number()) request.pids_limit = limits["pids"].get<int64_t>();

    if (config.contains("restart")) {
        auto policy = container::parse_restart_policy(str(config["restart"]));
        if (!policy.ok()) return Error("service " + service + ": restart: " + policy.error().message);
        request.restart = *policy;
    } else if (const Json& policy = field(field(config, "deploy"), "restart_policy"); policy.is_object()) {
        std::string condition = str(field(policy, "condition"));
        if (condition == "any") request.restart.mode = container::RestartMode::Always;
        if (condition == "on-failure") request.restart.mode = container::RestartMode::OnFailure;
        if (field(policy, "max_attempts").is_number()) request.restart.max_retries = policy["max_attempts"].get<int>();
    }
    request.privileged = field(config, "privileged").is_boolean() && config["privileged"].get<bool>();
    request.read_only = field(config, "read_only").is_boolean() && config["read_only"].get<bool>();
    request.cap_add = strings(field(config, "cap_add"));
    request.cap_drop = strings(field(config, "cap_drop"));
    request.stop_signal = str(field(config, "stop_signal"));
    if (config.contains("stop_grace_period")) {
        int64_t grace = nanoseconds(config, "stop_grace_period");
        request.stop_timeout = static_cast<int>(grace / 1000000000);
    }
    request.networking = networking(project, service, config, request.network);
    request.mounts = mounts(project, config);
    request.health = health(config);
    // engine/device's own mapping: it checks compose's rules (capabilities required,
    // count with device_ids refused) and names the service in its errors.
    auto device_section = device::from_compose_service(config);
    if (!device_section.ok())
        return Error("service " + service + ": " + device_section.error().message, device_section.error().exit_code);
    request.devices = std::move(*device_section);
    request.process = process(config);
    return request;
}

}  // namespace hako::reconcile
