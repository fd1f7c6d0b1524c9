// This file implements the normalisation of one service: every attribute with a
// short syntax (build, depends_on, networks, healthcheck, command, sizes,
// durations, ulimits, extra_hosts, gpus, secrets, …) is rewritten to the long
// form `docker compose config` prints; ports, volumes and environment have
// their own files.
#include "src/project/normalize_detail.h"

namespace hako::project::detail {
namespace {

using Context = NormalizeContext;

bool is_integer(const Json& value) { return value.is_number_integer() || value.is_number_unsigned(); }

// string → [string]; lists are kept.
void string_to_list(Json& object, const char* key) {
    if (object.contains(key) && object[key].is_string()) object[key] = Json::array({object[key]});
}

// Rewrites object[key] (a Compose duration) to Go's canonical text ("90s" → "1m30s").
void normalize_duration(Context& context, Json& object, const char* key, const std::string& path) {
    if (!object.is_object() || !object.contains(key) || object[key].is_null()) return;
    Json& value = object[key];
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (context.uninterpolated(text)) return;
    auto nanoseconds = parse_duration(text);
    if (!nanoseconds) {
        context.error(path_join(path, key), "invalid duration \"" + text + "\" (write e.g. 1m30s, 10s, 500ms)");
        return;
    }
    value = format_duration(*nanoseconds);
}

// Rewrites object[key] (a byte size: 512m, 1g, 1.5GB, 2048) to its byte count as a string.
void normalize_size(Context& context, Json& object, const char* key, const std::string& path) {
    if (!object.is_object() || !object.contains(key) || object[key].is_null()) return;
    Json& value = object[key];
    if (value.is_string() && context.uninterpolated(value.get<std::string>())) return;
    std::optional<int64_t> bytes;
    if (is_integer(value)) bytes = value.get<int64_t>();
    if (value.is_string()) bytes = parse_size(value.get<std::string>());
    if (!bytes) {
        context.error(path_join(path, key), "invalid size " + value.dump() + " (write e.g. 512m, 1g, 2048)");
        return;
    }
    value = std::to_string(*bytes);
}

// cpus: "0.5" → 0.5
void normalize_cpus(Context& context, Json& object, const char* key, const std::string& path) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return;
    const std::string text = object[key].get<std::string>();
    if (context.uninterpolated(text)) return;
    try {
        size_t used = 0;
        double value = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
        object[key] = value;
    } catch (const std::exception&) {
        context.error(path_join(path, key), "invalid number of CPUs \"" + text + "\"");
    }
}

// command, entrypoint, hook commands: a string is split into words as a shell would.
void normalize_command(Context& context, Json& object, const char* key, const std::string& path) {
    if (!object.contains(key) || !object[key].is_string()) return;
    const std::string text = object[key].get<std::string>();
    auto words = split_shell_words(text);
    if (!words) {
        context.error(path_join(path, key), "unterminated quote in \"" + text + "\"");
        return;
    }
    object[key] = *words;
}

// device requests (gpus, deploy.resources.reservations.devices): count defaults to "all".
void normalize_device_requests(Context& context, Json& requests, const std::string& path) {
    if (!requests.is_array()) return;
    for (size_t i = 0; i < requests.size(); ++i) {
        Json& request = requests[i];
        if (!request.is_object()) continue;
        if (!request.contains("count") && !request.contains("device_ids")) request["count"] = "all";
        if (request.contains("count") && request["count"].is_string()) {
            std::string count = request["count"].get<std::string>();
            for (char& c : count) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (count == "all") {
                request["count"] = "all";
            } else {
                try {
                    size_t used = 0;
                    long long value = std::stoll(count, &used);
                    if (used != count.size()) throw std::invalid_argument(count);
                    request["count"] = value;
                } catch (const std::exception&) {
                    context.error(path_join(path_index(path, i), "count"),
                                  "invalid device count \"" + count + "\": write all or a number");
                }
            }
        }
    }
}

void normalize_ulimits(Context& context, Json& object, const std::string& path) {
    if (!object.contains("ulimits") || !object["ulimits"].is_object()) return;
    for (auto it = object["ulimits"].begin(); it != object["ulimits"].end(); ++it) {
        Json& limit = it.value();
        if (is_integer(limit)) {
            limit = Json{{"soft", limit}, {"hard", limit}};
        } else if (limit.is_object()) {
            if (limit.contains("soft") && limit.contains("hard") && is_integer(limit["soft"]) &&
                is_integer(limit["hard"]) && limit["soft"].get<int64_t>() > limit["hard"].get<int64_t>() &&
                limit["hard"].get<int64_t>() >= 0)
                context.error(path_join(path_join(path, "ulimits"), it.key()), "soft limit is above the hard limit");
        } else {
            context.error(path_join(path_join(path, "ulimits"), it.key()), "a ulimit must be a number or {soft, hard}");
        }
    }
}

// extra_hosts: ["host:ip", "host=ip1,ip2"] or {host: ip} → {host: [ip, …]}
void normalize_extra_hosts(Context& context, Json& object, const std::string& path) {
    if (!object.contains("extra_hosts")) return;
    const std::string hosts_path = path_join(path, "extra_hosts");
    const Json& input = object["extra_hosts"];
    Json hosts = Json::object();
    auto add = [&](const std::string& host, std::string ips, const std::string& at) {
        if (host.empty() || host.find_first_of(":=") != std::string::npos) {
            context.error(at, "bad host name \"" + host + "\"");
            return;
        }
        Json& list = hosts[host];
        if (list.is_null()) list = Json::array();
        size_t start = 0;
        while (start <= ips.size()) {
            size_t comma = ips.find(',', start);
            if (comma == std::string::npos) comma = ips.size();
            std::string ip = ips.substr(start, comma - start);
            if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
            list.push_back(ip);
            start = comma + 1;
        }
    };
    if (input.is_array()) {
        for (size_t i = 0; i < input.size(); ++i) {
            const std::string at = path_index(hosts_path, i);
            if (!input[i].is_string()) {
                context.error(at, "an extra host must be a string \"host=ip\"");
                continue;
            }
            const std::string entry = input[i].get<std::string>();
            size_t separator = entry.find('=');
            if (separator == std::string::npos) separator = entry.find(':');
            if (separator == std::string::npos) {
                context.error(at, "invalid extra host \"" + entry + "\": missing IP");
                continue;
            }
            add(entry.substr(0, separator), entry.substr(separator + 1), at);
        }
    } else if (input.is_object()) {
        for (auto it = input.begin(); it != input.end(); ++it) {
            const std::string at = path_join(hosts_path, it.key());
            if (it.value().is_array()) {
                for (const auto& ip : it.value()) add(it.key(), ip.is_string() ? ip.get<std::string>() : ip.dump(), at);
            } else {
                add(it.key(), it.value().is_null() ? "" : scalar_to_string(it.value()).get<std::string>(), at);
            }
        }
    } else {
        context.error(hosts_path, "extra_hosts must be a list or a mapping");
        return;
    }
    object["extra_hosts"] = std::move(hosts);
}

// Maps whose values compose keeps as strings: labels, annotations, sysctls, build args…
void normalize_string_map(Context& context, Json& object, const char* key, const std::string& path) {
    if (!object.contains(key)) return;
    object[key] = list_or_map_to_map(context, object[key], path_join(path, key), "");
}

bool is_remote_context(const std::string& context) {
    for (const char* prefix : {"https://", "http://", "git://", "ssh://", "github.com/", "git@", "service:"})
        if (context.rfind(prefix, 0) == 0) return true;
    return context.find("://") != std::string::npos;
}

void normalize_build(Context& context, Json& service, const std::string& path) {
    if (!service.contains("build")) return;
    const std::string build_path = path_join(path, "build");
    Json& build = service["build"];
    if (build.is_string()) build = Json{{"context", build}};
    if (!build.is_object()) {
        context.error(build_path, "build must be a path or a mapping");
        return;
    }
    if (!build.contains("context")) build["context"] = ".";
    if (!build.contains("dockerfile") && !build.contains("dockerfile_inline")) build["dockerfile"] = "Dockerfile";
    if (build.contains("dockerfile") && build.contains("dockerfile_inline"))
        context.error(build_path, "dockerfile and dockerfile_inline cannot both be set");
    if (build["context"].is_string()) {
        const std::string dir = build["context"].get<std::string>();
        if (!is_remote_context(dir)) build["context"] = context.absolute_path(dir);
    }
    if (build.contains("args")) {
        // A bare build arg takes its value from the environment or is left out.
        Json args = list_or_map_to_map(context, build["args"], path_join(build_path, "args"), nullptr);
        Json resolved = Json::object();
        for (auto it = args.begin(); it != args.end(); ++it) {
            if (!it.value().is_null()) {
                resolved[it.key()] = it.value();
            } else if (auto value = context.project.environment.get(it.key())) {
                resolved[it.key()] = *value;
            }
        }
        build["args"] = std::move(resolved);
    }
    normalize_string_map(context, build, "labels", build_path);
    if (build.contains("additional_contexts")) {
        normalize_string_map(context, build, "additional_contexts", build_path);
        for (auto it = build["additional_contexts"].begin(); it != build["additional_contexts"].end(); ++it) {
            if (it.value().is_string() && !is_remote_context(it.value().get<std::string>()))
                it.value() = context.absolute_path(it.value().get<std::string>());
        }
    }
    if (build.contains("ssh") && build["ssh"].is_array()) {
        Json ssh = Json::object();
        for (const auto& entry : build["ssh"]) {
            if (!entry.is_string()) continue;
            const std::string text = entry.get<std::string>();
            size_t equals = text.find('=');
            if (equals == std::string::npos) {
                ssh[text] = nullptr;
            } else {
                ssh[text.substr(0, equals)] = context.absolute_path(text.substr(equals + 1));
            }
        }
        build["ssh"] = std::move(ssh);
    }
    if (build.contains("secrets") && build["secrets"].is_array()) {
        for (auto& secret : build["secrets"])
            if (secret.is_string()) secret = Json{{"source", secret}};
    }
    normalize_extra_hosts(context, build, build_path);
    normalize_size(context, build, "shm_size", build_path);
    normalize_ulimits(context, build, build_path);
}

void normalize_depends_on(Context& context, Json& service, const std::string& path) {
    Json depends = Json::object();
    const std::string depends_path = path_join(path, "depends_on");
    if (service.contains("depends_on")) {
        const Json& input = service["depends_on"];
        if (input.is_array()) {
            for (size_t i = 0; i < input.size(); ++i) {
                if (!input[i].is_string()) {
                    context.error(path_index(depends_path, i), "depends_on entries must be service names");
                    continue;
                }
                depends[input[i].get<std::string>()] = Json{{"condition", "service_started"}, {"required", true}};
            }
        } else if (input.is_object()) {
            for (auto it = input.begin(); it != input.end(); ++it) {
                Json dependency = it.value().is_null() ? Json::object() : it.value();
                if (!dependency.is_object()) {
                    context.error(path_join(depends_path, it.key()), "a dependency must be a mapping");
                    continue;
                }
                if (!dependency.contains("condition")) dependency["condition"] = "service_started";
                if (!dependency.contains("required")) dependency["required"] = true;
                const Json& condition = dependency["condition"];
                if (condition != "service_started" && condition != "service_healthy" &&
                    condition != "service_completed_successfully")
                    context.error(path_join(path_join(depends_path, it.key()), "condition"),
                                  "unknown condition " + condition.dump() +
                                      " (service_started, service_healthy or service_completed_successfully)");
                depends[it.key()] = std::move(dependency);
            }
        } else {
            context.error(depends_path, "depends_on must be a list or a mapping");
            return;
        }
    }
    // Links, shared namespaces and volumes_from imply a dependency, as in compose.
    auto implied = [&](const std::string& name, bool restart) {
        if (!name.empty() && !depends.contains(name))
            depends[name] = Json{{"condition", "service_started"}, {"restart", restart}, {"required", true}};
    };
    if (service.contains("links") && service["links"].is_array()) {
        for (const auto& link : service["links"])
            if (link.is_string()) implied(link.get<std::string>().substr(0, link.get<std::string>().find(':')), true);
    }
    for (const char* key : {"network_mode", "ipc", "pid", "uts", "cgroup"}) {
        if (service.contains(key) && service[key].is_string()) {
            const std::string value = service[key].get<std::string>();
            if (value.rfind("service:", 0) == 0) implied(value.substr(8), true);
        }
    }
    if (service.contains("volumes_from") && service["volumes_from"].is_array()) {
        for (const auto& from : service["volumes_from"]) {
            if (!from.is_string()) continue;
            const std::string value = from.get<std::string>();
            if (value.rfind("container:", 0) != 0) implied(value.substr(0, value.find(':')), false);
        }
    }
    if (!depends.empty()) service["depends_on"] = std::move(depends);
}

void normalize_healthcheck(Context& context, Json& service, const std::string& path) {
    if (!service.contains("healthcheck") || !service["healthcheck"].is_object()) return;
    const std::string health_path = path_join(path, "healthcheck");
    Json& health = service["healthcheck"];
    if (health.contains("test") && health["test"].is_string())
        health["test"] = Json::array({"CMD-SHELL", health["test"]});
    for (const char* key : {"interval", "timeout", "start_period", "start_interval"})
        normalize_duration(context, health, key, health_path);
}

void normalize_file_mounts(Context& context, Json& service, const char* key, const std::string& path) {
    if (!service.contains(key) || !service[key].is_array()) return;
    const bool secrets = std::string_view(key) == "secrets";
    for (size_t i = 0; i < service[key].size(); ++i) {
        Json& mount = service[key][i];
        if (mount.is_string()) mount = Json{{"source", mount}};
        if (!mount.is_object() || !mount.contains("source") || !mount["source"].is_string()) {
            context.error(path_index(path_join(path, key), i), std::string(key) + " entries need a source");
            continue;
        }
        if (secrets && !mount.contains("target")) mount["target"] = "/run/secrets/" + mount["source"].get<std::string>();
    }
}

void normalize_devices(Context& context, Json& service, const std::string& path) {
    if (!service.contains("devices") || !service["devices"].is_array()) return;
    for (size_t i = 0; i < service["devices"].size(); ++i) {
        Json& device = service["devices"][i];
        if (!device.is_string()) continue;
        const std::string text = device.get<std::string>();
        std::vector<std::string> fields;
        size_t start = 0;
        while (true) {
            size_t colon = text.find(':', start);
            fields.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
        if (fields.size() > 3 || fields[0].empty()) {
            context.error(path_index(path_join(path, "devices"), i),
                          "confusing device mapping \"" + text + "\": use the long syntax");
            continue;
        }
        std::string target = fields.size() >= 2 && !fields[1].empty() ? fields[1] : fields[0];
        device = Json{{"source", fields[0]}, {"target", target}, {"permissions", fields.size() == 3 ? fields[2] : "rwm"}};
    }
}

void normalize_deploy(Context& context, Json& service, const std::string& path) {
    if (!service.contains("deploy") || !service["deploy"].is_object()) return;
    const std::string deploy_path = path_join(path, "deploy");
    Json& deploy = service["deploy"];
    normalize_string_map(context, deploy, "labels", deploy_path);
    if (deploy.contains("resources") && deploy["resources"].is_object()) {
        const std::string resources_path = path_join(deploy_path, "resources");
        for (const char* kind : {"limits", "reservations"}) {
            if (!deploy["resources"].contains(kind) || !deploy["resources"][kind].is_object()) continue;
            Json& resource = deploy["resources"][kind];
            const std::string resource_path = path_join(resources_path, kind);
            normalize_cpus(context, resource, "cpus", resource_path);
            normalize_size(context, resource, "memory", resource_path);
            if (resource.contains("devices"))
                normalize_device_requests(context, resource["devices"], path_join(resource_path, "devices"));
        }
    }
    if (deploy.contains("restart_policy") && deploy["restart_policy"].is_object()) {
        for (const char* key : {"delay", "window"})
            normalize_duration(context, deploy["restart_policy"], key, path_join(deploy_path, "restart_policy"));
    }
    for (const char* config : {"update_config", "rollback_config"}) {
        if (!deploy.contains(config) || !deploy[config].is_object()) continue;
        for (const char* key : {"delay", "monitor"})
            normalize_duration(context, deploy[config], key, path_join(deploy_path, config));
    }
}

void normalize_restart(Context& context, Json& service, const std::string& path) {
    if (!service.contains("restart")) return;
    const Json& restart = service["restart"];
    bool valid = false;
    if (restart.is_string()) {
        const std::string policy = restart.get<std::string>();
        valid = policy == "no" || policy == "always" || policy == "unless-stopped" || policy == "on-failure";
        if (policy.rfind("on-failure:", 0) == 0 && policy.size() > 11)
            valid = policy.find_first_not_of("0123456789", 11) == std::string::npos;
    }
    if (!valid)
        context.error(path_join(path, "restart"), "invalid restart policy " + restart.dump() +
                                                      " (no, always, on-failure[:N] or unless-stopped)");
}

void normalize_scale(Context& context, Json& service, const std::string& name, const std::string& path) {
    std::optional<int64_t> scale;
    if (service.contains("scale") && is_integer(service["scale"])) {
        scale = service["scale"].get<int64_t>();
        if (*scale < 0) context.error(path_join(path, "scale"), "must be greater than or equal to 0");
    }
    std::optional<int64_t> replicas;
    if (service.contains("deploy") && service["deploy"].is_object() && service["deploy"].contains("replicas") &&
        is_integer(service["deploy"]["replicas"])) {
        replicas = service["deploy"]["replicas"].get<int64_t>();
        if (*replicas < 0) context.error(path_join(path, "deploy.replicas"), "must be greater than or equal to 0");
    }
    if (scale && replicas && *scale != *replicas)
        context.error(path_join(path, "scale"), "can't set distinct values on 'scale' and 'deploy.replicas'");
    if (scale && service.contains("deploy") && service["deploy"].is_object()) service["deploy"]["replicas"] = *scale;
    const int64_t count = scale ? *scale : replicas.value_or(1);
    if (count > 1 && service.contains("container_name"))
        context.error(path_join(path, "container_name"), "service \"" + name +
                                                             "\" sets container_name and runs " +
                                                             std::to_string(count) +
                                                             " containers: a container name must be unique");
}

void normalize_hooks(Context& context, Json& service, const std::string& path) {
    for (const char* key : {"pre_start", "post_start", "pre_stop"}) {
        if (!service.contains(key) || !service[key].is_array()) continue;
        for (size_t i = 0; i < service[key].size(); ++i) {
            Json& hook = service[key][i];
            if (!hook.is_object()) continue;
            const std::string hook_path = path_index(path_join(path, key), i);
            normalize_command(context, hook, "command", hook_path);
            if (hook.contains("environment"))
                hook["environment"] = list_or_map_to_map(context, hook["environment"], path_join(hook_path, "environment"), nullptr);
        }
    }
}

void normalize_develop(Context& context, Json& service) {
    if (!service.contains("develop") || !service["develop"].is_object()) return;
    Json& develop = service["develop"];
    if (!develop.contains("watch") || !develop["watch"].is_array()) return;
    for (auto& watch : develop["watch"]) {
        if (!watch.is_object()) continue;
        if (watch.contains("path") && watch["path"].is_string())
            watch["path"] = context.absolute_path(watch["path"].get<std::string>());
        string_to_list(watch, "ignore");
        string_to_list(watch, "include");
    }
}

}  // namespace

Json list_or_map_to_map(Context& context, const Json& value, const std::string& path, const Json& bare) {
    Json out = Json::object();
    if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
            if (!value[i].is_string()) {
                context.error(path_index(path, i), "entries must be strings \"KEY=VALUE\"");
                continue;
            }
            const std::string entry = value[i].get<std::string>();
            size_t equals = entry.find('=');
            if (equals == std::string::npos) {
                out[entry] = bare;
            } else {
                out[entry.substr(0, equals)] = entry.substr(equals + 1);
            }
        }
    } else if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it)
            out[it.key()] = it.value().is_null() ? bare : scalar_to_string(it.value());
    } else if (!value.is_null()) {
        context.error(path, "must be a list of \"KEY=VALUE\" or a mapping");
        return value;
    }
    return out;
}

void normalize_service(Context& context, const std::string& name, Json& service) {
    const std::string path = path_join("services", name);
    if (!service.is_object()) {
        context.error(path, "a service must be a mapping");
        return;
    }
    if (service.contains("pull_policy") && service["pull_policy"] == "if_not_present") service["pull_policy"] = "missing";
    normalize_build(context, service, path);
    if (!service.contains("image") && !service.contains("build") && !service.contains("provider"))
        context.error(path, "service \"" + name + "\" has neither an image nor a build context specified");

    if (auto ports = service.find("ports"); ports != service.end())
        *ports = normalize_ports(context, std::move(*ports), path_join(path, "ports"));
    if (service.contains("expose")) {
        string_to_list(service, "expose");
        if (service["expose"].is_array())
            for (auto& port : service["expose"]) port = scalar_to_string(port);
    }
    if (service.contains("volumes") && service["volumes"].is_array()) {
        Json& volumes = service["volumes"];
        const std::string volumes_path = path_join(path, "volumes");
        for (size_t i = 0; i < volumes.size(); ++i)
            volumes[i] = normalize_volume(context, std::move(volumes[i]), path_index(volumes_path, i));
    }
    normalize_environment(context, service, path);
    for (const char* key : {"tmpfs", "dns", "dns_search", "label_file"}) string_to_list(service, key);
    if (service.contains("label_file") && service["label_file"].is_array())
        for (auto& file : service["label_file"])
            if (file.is_string()) file = context.absolute_path(file.get<std::string>());
    for (const char* key : {"labels", "annotations", "sysctls"}) normalize_string_map(context, service, key, path);
    normalize_depends_on(context, service, path);
    if (service.contains("networks") && service["networks"].is_array()) {
        Json networks = Json::object();
        for (const auto& network : service["networks"])
            if (network.is_string()) networks[network.get<std::string>()] = nullptr;
        service["networks"] = std::move(networks);
    }
    normalize_command(context, service, "command", path);
    normalize_command(context, service, "entrypoint", path);
    normalize_healthcheck(context, service, path);
    normalize_file_mounts(context, service, "secrets", path);
    normalize_file_mounts(context, service, "configs", path);
    normalize_ulimits(context, service, path);
    normalize_extra_hosts(context, service, path);
    normalize_devices(context, service, path);
    if (service.contains("gpus")) {
        if (service["gpus"].is_string()) service["gpus"] = Json::array({Json{{"count", "all"}}});
        normalize_device_requests(context, service["gpus"], path_join(path, "gpus"));
    }
    for (const char* key : {"mem_limit", "mem_reservation", "memswap_limit", "shm_size"})
        normalize_size(context, service, key, path);
    normalize_cpus(context, service, "cpus", path);
    normalize_duration(context, service, "stop_grace_period", path);
    normalize_deploy(context, service, path);
    normalize_restart(context, service, path);
    normalize_scale(context, service, name, path);
    normalize_hooks(context, service, path);
    normalize_develop(context, service);
}

}  // namespace hako::project::detail
