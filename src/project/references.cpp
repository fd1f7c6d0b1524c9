// This file implements the cross-reference checks of a merged project (see
// references.h): each reference is looked up once in a hashed name set, so a
// 500-service project is checked in linear time.
#include "src/project/references.h"

#include <unordered_set>

namespace hako::project {
namespace {

std::string text(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return {};
    return v.dump();
}

// A volume source that is a host path rather than a named volume.
bool is_host_path(std::string_view source) {
    if (source.empty()) return true;
    char c = source[0];
    return c == '/' || c == '.' || c == '~' || c == '\\' || (source.size() > 1 && source[1] == ':');
}

std::unordered_set<std::string> declared(const Json& model, const char* kind) {
    std::unordered_set<std::string> names;
    auto it = model.find(kind);
    if (it != model.end() && it->is_object()) {
        for (auto entry = it->begin(); entry != it->end(); ++entry) names.insert(entry.key());
    }
    return names;
}

struct Checker {
    const SourceMap& marks;
    Diagnostics& diagnostics;
    std::unordered_set<std::string> networks, volumes, secrets, configs;

    void undefined(const std::string& service, const char* kind, const std::string& name, const std::string& path) {
        diagnostics.error_at(marks, path,
                             "service \"" + service + "\" refers to undefined " + kind + " \"" + name + "\"");
    }

    void check_networks(const std::string& service, const Json& value, const std::string& path) {
        auto check = [&](const std::string& name, const std::string& where) {
            if (name != "default" && !networks.count(name)) undefined(service, "network", name, where);
        };
        if (value.is_array()) {
            for (size_t i = 0; i < value.size(); ++i) check(text(value[i]), path_index(path, i));
        } else if (value.is_object()) {
            for (auto it = value.begin(); it != value.end(); ++it) check(it.key(), path_join(path, it.key()));
        }
    }

    void check_volumes(const std::string& service, const Json& value, const std::string& path) {
        if (!value.is_array()) return;
        for (size_t i = 0; i < value.size(); ++i) {
            const Json& entry = value[i];
            std::string source;
            if (entry.is_string()) {
                std::string spec = entry.get<std::string>();
                size_t colon = spec.find(':');
                if (colon == std::string::npos) continue;  // anonymous volume
                source = spec.substr(0, colon);
                if (is_host_path(source)) continue;
            } else if (entry.is_object()) {
                if (text(entry.value("type", Json("volume"))) != "volume") continue;
                source = text(entry.value("source", Json()));
                if (source.empty()) continue;
            } else {
                continue;
            }
            if (!volumes.count(source)) undefined(service, "volume", source, path_index(path, i));
        }
    }

    void check_files(const std::string& service, const Json& value, const std::string& path, const char* kind,
                     const std::unordered_set<std::string>& known) {
        if (!value.is_array()) return;
        for (size_t i = 0; i < value.size(); ++i) {
            const Json& entry = value[i];
            std::string source = entry.is_object() ? text(entry.value("source", Json())) : text(entry);
            if (!known.count(source)) undefined(service, kind, source, path_index(path, i));
        }
    }
};

}  // namespace

std::vector<ServiceReference> service_references(const Json& service, const std::string& service_path) {
    std::vector<ServiceReference> refs;
    if (!service.is_object()) return refs;
    if (auto it = service.find("depends_on"); it != service.end()) {
        std::string path = path_join(service_path, "depends_on");
        if (it->is_array()) {
            for (size_t i = 0; i < it->size(); ++i) refs.push_back({text((*it)[i]), path_index(path, i), "depends_on"});
        } else if (it->is_object()) {
            for (auto dep = it->begin(); dep != it->end(); ++dep) {
                bool required = true;
                if (dep->is_object()) {
                    auto r = dep->find("required");
                    if (r != dep->end() && ((r->is_boolean() && !r->get<bool>()) || (r->is_string() && *r == "false")))
                        required = false;
                }
                refs.push_back({dep.key(), path_join(path, dep.key()), "depends_on", required});
            }
        }
    }
    if (auto it = service.find("links"); it != service.end() && it->is_array()) {
        std::string path = path_join(service_path, "links");
        for (size_t i = 0; i < it->size(); ++i) {
            std::string link = text((*it)[i]);
            refs.push_back({link.substr(0, link.find(':')), path_index(path, i), "links"});
        }
    }
    if (auto it = service.find("volumes_from"); it != service.end() && it->is_array()) {
        std::string path = path_join(service_path, "volumes_from");
        for (size_t i = 0; i < it->size(); ++i) {
            std::string from = text((*it)[i]);
            if (from.rfind("container:", 0) == 0) continue;
            refs.push_back({from.substr(0, from.find(':')), path_index(path, i), "volumes_from"});
        }
    }
    if (auto it = service.find("network_mode"); it != service.end() && it->is_string()) {
        std::string mode = it->get<std::string>();
        if (mode.rfind("service:", 0) == 0)
            refs.push_back({mode.substr(8), path_join(service_path, "network_mode"), "network_mode"});
    }
    return refs;
}

void check_references(const Json& model, const SourceMap& marks, const std::vector<std::string>& disabled,
                      Diagnostics& diagnostics) {
    auto services = model.find("services");
    if (services == model.end() || !services->is_object()) return;
    Checker checker{marks, diagnostics, declared(model, "networks"), declared(model, "volumes"),
                    declared(model, "secrets"), declared(model, "configs")};
    std::unordered_set<std::string> off(disabled.begin(), disabled.end());
    for (auto it = services->begin(); it != services->end(); ++it) {
        const std::string& name = it.key();
        const Json& service = it.value();
        std::string path = path_join("services", name);
        for (const auto& ref : service_references(service, path)) {
            if (services->contains(ref.service) || off.count(ref.service)) continue;
            if (ref.via == "depends_on") {
                diagnostics.error_at(marks, ref.path,
                                     "service \"" + name + "\" depends on undefined service \"" + ref.service + "\"");
            } else {
                diagnostics.error_at(marks, ref.path,
                                     "service \"" + name + "\" refers to undefined service \"" + ref.service +
                                         "\" (" + std::string(ref.via) + ")");
            }
        }
        if (!service.is_object()) continue;
        if (auto n = service.find("networks"); n != service.end())
            checker.check_networks(name, *n, path_join(path, "networks"));
        if (auto v = service.find("volumes"); v != service.end())
            checker.check_volumes(name, *v, path_join(path, "volumes"));
        if (auto s = service.find("secrets"); s != service.end())
            checker.check_files(name, *s, path_join(path, "secrets"), "secret", checker.secrets);
        if (auto c = service.find("configs"); c != service.end())
            checker.check_files(name, *c, path_join(path, "configs"), "config", checker.configs);
    }
}

}  // namespace hako::project
