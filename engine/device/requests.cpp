// This file implements device requests: parsing devices:/--device/--gpus entries,
// mapping a Compose service to the record's devices section, and resolving that
// section against CDI specs, NVIDIA discovery and the host's device nodes.
#include "engine/device/requests.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "engine/device/edits.h"
#include "engine/device/nvidia.h"

namespace hako::device {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

template <typename T>
Result<T> in_place(Result<T> result, const std::string& where) {
    if (result.ok()) return result;
    return std::move(result).error().context(where);
}

bool is_permissions(const std::string& text) {
    return !text.empty() && text.size() <= 3 && text.find_first_not_of("rwm") == std::string::npos;
}

// Splits on commas outside double quotes, dropping the quotes (docker's csv reading of --gpus).
std::vector<std::string> split_csv(const std::string& text) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (char c : text) {
        if (c == '"') quoted = !quoted;
        else if (c == ',' && !quoted) out.emplace_back();
        else out.back() += c;
    }
    return out;
}

Result<int> parse_count(const Json& value, const std::string& where) {
    if (value.is_string()) {
        if (value == "all") return -1;
        try {
            size_t used = 0;
            int n = std::stoi(value.get<std::string>(), &used);
            if (used == value.get<std::string>().size() && n >= 0) return n;
        } catch (const std::exception&) {
        }
    } else if (value.is_number_integer() && value.get<int64_t>() >= -1) {
        return static_cast<int>(value.get<int64_t>());
    }
    return Error(where + ": count must be a number or 'all', not " + value.dump());
}

Result<std::vector<std::string>> string_list(const Json& value, const std::string& where) {
    std::vector<std::string> out;
    if (value.is_null()) return out;
    if (!value.is_array()) return Error(where + ": must be a list");
    for (const auto& v : value) {
        if (v.is_string()) out.push_back(v.get<std::string>());
        else if (v.is_number()) out.push_back(v.dump());
        else return Error(where + ": must be a list of strings");
    }
    return out;
}

// One Compose gpus/reservations entry → a request object of the record.
Result<Json> request_from_compose(const Json& entry, const std::string& where, bool capabilities_required) {
    if (!entry.is_object()) return Error(where + ": must be a mapping");
    Json request = {{"driver", entry.value("driver", "")}, {"count", 0}, {"device_ids", Json::array()},
                    {"capabilities", Json::array()}, {"options", entry.value("options", Json::object())}};
    bool has_count = entry.contains("count") && !entry["count"].is_null();
    auto ids = TRY(string_list(entry.value("device_ids", Json()), where + ".device_ids"));
    if (has_count && !ids.empty()) return Error(where + ": count and device_ids cannot be set together");
    if (has_count) request["count"] = TRY(parse_count(entry["count"], where));
    else if (ids.empty()) request["count"] = -1;  // compose: neither means all
    request["device_ids"] = ids;
    auto caps = TRY(string_list(entry.value("capabilities", Json()), where + ".capabilities"));
    if (caps.empty()) {
        if (capabilities_required) return Error(where + ": capabilities is required");
        caps = {"gpu"};
    }
    request["capabilities"] = Json::array({caps});
    return request;
}

// The device nodes a `devices:` entry stands for (a folder gives every node inside it).
Result<std::vector<cdi::DeviceNode>> nodes_for_mapping(const DeviceMapping& m) {
    std::vector<cdi::DeviceNode> out;
    std::error_code ec;
    struct stat st{};
    if (::stat(m.host.c_str(), &st) != 0) return Error::from_syscall("device " + m.host + ": stat", errno);
    if (S_ISDIR(st.st_mode)) {
        for (auto it = fs::recursive_directory_iterator(m.host, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
            struct stat child{};
            if (::stat(it->path().c_str(), &child) != 0 || !(S_ISCHR(child.st_mode) || S_ISBLK(child.st_mode))) continue;
            std::string rel = it->path().lexically_relative(m.host).generic_string();
            out.push_back({m.container + "/" + rel, it->path().string(), "", {}, {}, {}, {}, {}, m.permissions});
        }
        if (out.empty()) return Error("device " + m.host + ": no device nodes in this folder");
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
        return out;
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) return Error("device " + m.host + ": not a device node");
    out.push_back({m.container, m.host, "", {}, {}, {}, {}, {}, m.permissions});
    return out;
}

bool wants_nvidia(const Json& request) {
    std::string driver = request.value("driver", "");
    if (driver == "nvidia") return true;
    if (!driver.empty()) return false;
    for (const auto& set : request.value("capabilities", Json::array()))
        if (set.is_array() && std::find(set.begin(), set.end(), "gpu") != set.end()) return true;
    return false;
}

std::vector<std::string> flat_capabilities(const Json& request) {
    std::vector<std::string> out;
    for (const auto& set : request.value("capabilities", Json::array()))
        if (set.is_array())
            for (const auto& c : set)
                if (c.is_string()) out.push_back(c.get<std::string>());
    return out;
}

std::string describe(const Json& request) {
    return "driver \"" + request.value("driver", "") + "\" capabilities " +
           request.value("capabilities", Json::array()).dump();
}

Result<cdi::ContainerEdits> resolve_nvidia(const Json& request, const cdi::Registry& registry, const Json& section) {
    int count = request.value("count", 0);
    auto ids = TRY(string_list(request.value("device_ids", Json()), "device request device_ids"));
    if (count != 0 && !ids.empty()) return Error("device request: count and device_ids cannot be set together");
    if (count == 0 && ids.empty()) count = -1;  // docker: neither means all
    std::vector<std::string> caps = nvidia::driver_capabilities(flat_capabilities(request));
    if (registry.has_kind("nvidia.com/gpu")) {
        std::vector<std::string> names;
        auto known = registry.device_names("nvidia.com/gpu");
        if (!ids.empty()) {
            for (const auto& id : ids) names.push_back("nvidia.com/gpu=" + id);
        } else if (count < 0) {
            names.push_back("nvidia.com/gpu=all");
        } else {
            // Numbered devices first (as nvidia-ctk names them 0, 1, …), then the rest.
            std::vector<std::string> pool;
            for (const auto& n : known)
                if (std::all_of(n.begin(), n.end(), ::isdigit)) pool.push_back(n);
            if (pool.empty()) pool = known;
            if (static_cast<size_t>(count) > pool.size()) {
                std::string list;
                for (const auto& n : pool) list += (list.empty() ? "" : ", ") + n;
                return Error("could not satisfy GPU request: " + std::to_string(count) + " asked, " +
                             std::to_string(pool.size()) + " present in CDI kind nvidia.com/gpu (" + list + ")");
            }
            for (int i = 0; i < count; ++i) names.push_back("nvidia.com/gpu=" + pool[i]);
        }
        auto edits = TRY(registry.resolve(names));
        std::string capabilities;
        for (const auto& c : caps) capabilities += (capabilities.empty() ? "" : ",") + c;
        edits.env.push_back("NVIDIA_DRIVER_CAPABILITIES=" + capabilities);
        return edits;
    }
    fs::path root = section.contains("nvidia_root") ? fs::path(section["nvidia_root"].get<std::string>())
                                                    : nvidia::default_root();
    auto layout = nvidia::discover(root);
    auto gpus = TRY(nvidia::select(layout, count, ids));
    return nvidia::edits_for(layout, gpus, caps, count < 0 && ids.empty());
}

}  // namespace

Result<DeviceMapping> parse_device_mapping(const std::string& text) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t colon = text.find(':', start);
        parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    DeviceMapping m;
    m.permissions = "rwm";
    if (parts.size() == 1) {
        m.host = m.container = parts[0];
    } else if (parts.size() == 2) {
        m.host = parts[0];
        if (is_permissions(parts[1])) {
            m.container = parts[0];
            m.permissions = parts[1];
        } else {
            m.container = parts[1];
        }
    } else if (parts.size() == 3) {
        m.host = parts[0];
        m.container = parts[1];
        m.permissions = parts[2];
    } else {
        return Error::usage("device " + text + ": want HOST[:CONTAINER[:PERMISSIONS]]");
    }
    if (m.container.empty()) m.container = m.host;
    if (!m.host.starts_with("/")) return Error::usage("device " + text + ": host path must be absolute");
    if (!m.container.starts_with("/")) return Error::usage("device " + text + ": container path must be absolute");
    if (!is_permissions(m.permissions))
        return Error::usage("device " + text + ": permissions '" + m.permissions + "' (want a subset of rwm)");
    return m;
}

Result<Json> parse_gpus_flag(const std::string& text) {
    Json request = {{"driver", ""}, {"count", 0}, {"device_ids", Json::array()},
                    {"capabilities", Json::array()}, {"options", Json::object()}};
    std::vector<std::string> caps;
    bool seen_count = false;
    for (const auto& field : split_csv(text)) {
        auto eq = field.find('=');
        std::string key = eq == std::string::npos ? "" : field.substr(0, eq);
        std::string value = eq == std::string::npos ? field : field.substr(eq + 1);
        if (key.empty() || key == "count") {
            if (value == "all") request["count"] = -1;
            else request["count"] = TRY(parse_count(Json(value), "--gpus " + text));
            seen_count = true;
        } else if (key == "device") {
            for (const auto& id : split_csv(value)) request["device_ids"].push_back(id);
        } else if (key == "driver") {
            request["driver"] = value;
        } else if (key == "capabilities") {
            caps.push_back(value);
        } else if (key == "options") {
            auto e = value.find('=');
            request["options"][value.substr(0, e)] = e == std::string::npos ? "" : value.substr(e + 1);
        } else {
            return Error::usage("--gpus " + text + ": unexpected key '" + key + "'");
        }
    }
    if (seen_count && !request["device_ids"].empty())
        return Error::usage("--gpus " + text + ": cannot set both count and device");
    if (!seen_count && request["device_ids"].empty()) return Error::usage("--gpus " + text + ": want all, N or device=ID,…");
    // --gpus always asks for GPUs; capabilities= adds driver capabilities to "gpu".
    if (std::find(caps.begin(), caps.end(), "gpu") == caps.end()) caps.insert(caps.begin(), "gpu");
    request["capabilities"] = Json::array({caps});
    return request;
}

Result<Json> from_compose_service(const Json& service) {
    Json section = Json::object();
    std::string name = service.value("name", std::string("service"));
    std::string where = "services." + name;
    if (auto it = service.find("devices"); it != service.end() && !it->is_null()) {
        if (!it->is_array()) return Error(where + ".devices: must be a list");
        for (size_t i = 0; i < it->size(); ++i) {
            const Json& d = (*it)[i];
            std::string at = where + ".devices[" + std::to_string(i) + "]";
            if (d.is_string()) {
                std::string text = d.get<std::string>();
                if (cdi::is_qualified_name(text)) section["cdi"].push_back(text);
                else {
                    auto m = TRY(in_place(parse_device_mapping(text), at));
                    section["devices"].push_back(m.host + ":" + m.container + ":" + m.permissions);
                }
            } else if (d.is_object() && d.contains("source")) {
                std::string source = d["source"].get<std::string>();
                if (cdi::is_qualified_name(source)) {
                    section["cdi"].push_back(source);
                    continue;
                }
                std::string text = source + ":" + d.value("target", source) + ":" + d.value("permissions", "rwm");
                auto m = TRY(in_place(parse_device_mapping(text), at));
                section["devices"].push_back(m.host + ":" + m.container + ":" + m.permissions);
            } else {
                return Error(at + ": want HOST[:CONTAINER[:PERMISSIONS]] or {source, target, permissions}");
            }
        }
    }
    if (auto it = service.find("device_cgroup_rules"); it != service.end() && !it->is_null()) {
        auto rules = TRY(string_list(*it, where + ".device_cgroup_rules"));
        for (size_t i = 0; i < rules.size(); ++i) {
            auto parsed = parse_cgroup_rule(rules[i]);
            if (!parsed.ok()) return Error(where + ".device_cgroup_rules[" + std::to_string(i) + "]: " + parsed.error().message);
            section["cgroup_rules"].push_back(rules[i]);
        }
    }
    if (auto it = service.find("gpus"); it != service.end() && !it->is_null()) {
        if (it->is_string()) {
            if (*it != "all") return Error(where + ".gpus: want 'all' or a list of requests");
            section["requests"].push_back({{"driver", "nvidia"}, {"count", -1}, {"device_ids", Json::array()},
                                           {"capabilities", Json::array({Json::array({"gpu"})})},
                                           {"options", Json::object()}});
        } else if (it->is_array()) {
            for (size_t i = 0; i < it->size(); ++i) {
                auto request = TRY(request_from_compose((*it)[i], where + ".gpus[" + std::to_string(i) + "]", false));
                if (request["driver"] == "") request["driver"] = "nvidia";
                section["requests"].push_back(request);
            }
        } else {
            return Error(where + ".gpus: want 'all' or a list of requests");
        }
    }
    const Json* reservations = nullptr;
    if (auto d = service.find("deploy"); d != service.end() && d->is_object())
        if (auto r = d->find("resources"); r != d->end() && r->is_object())
            if (auto v = r->find("reservations"); v != r->end() && v->is_object())
                if (auto devices = v->find("devices"); devices != v->end() && !devices->is_null()) reservations = &*devices;
    if (reservations) {
        if (!reservations->is_array()) return Error(where + ".deploy.resources.reservations.devices: must be a list");
        for (size_t i = 0; i < reservations->size(); ++i)
            section["requests"].push_back(TRY(request_from_compose(
                (*reservations)[i], where + ".deploy.resources.reservations.devices[" + std::to_string(i) + "]", true)));
    }
    return section;
}

Result<Resolution> resolve(const Json& section) {
    Resolution out;
    if (section.is_null() || (section.is_object() && section.empty())) return out;
    if (!section.is_object()) return Error("devices: must be an object");
    std::vector<fs::path> dirs;
    if (auto it = section.find("cdi_spec_dirs"); it != section.end() && !it->empty())
        for (const auto& d : *it) dirs.emplace_back(d.get<std::string>());
    else
        dirs = cdi::default_spec_dirs();
    std::optional<cdi::Registry> registry;
    auto load_registry = [&]() -> Result<void> {
        if (!registry) registry = TRY(cdi::Registry::load(dirs));
        return ok();
    };

    for (const auto& text : TRY(string_list(section.value("devices", Json()), "devices"))) {
        auto m = TRY(parse_device_mapping(text));
        for (auto node : TRY(nodes_for_mapping(m))) out.edits.device_nodes.push_back(std::move(node));
    }
    auto cdi_names = TRY(string_list(section.value("cdi", Json()), "cdi"));
    if (!cdi_names.empty()) {
        TRY(load_registry());
        out.edits.append(TRY(registry->resolve(cdi_names)));
    }
    for (const auto& request : section.value("requests", Json::array())) {
        if (!request.is_object()) return Error("device request: must be an object");
        std::string driver = request.value("driver", "");
        if (driver == "cdi") {
            TRY(load_registry());
            out.edits.append(TRY(registry->resolve(TRY(string_list(request.value("device_ids", Json()), "device_ids")))));
        } else if (wants_nvidia(request)) {
            TRY(load_registry());
            out.edits.append(TRY(resolve_nvidia(request, *registry, section)));
        } else if (driver == "amd" && (TRY(load_registry()), registry->has_kind("amd.com/gpu"))) {
            int count = request.value("count", -1);
            auto ids = TRY(string_list(request.value("device_ids", Json()), "device_ids"));
            std::vector<std::string> names;
            for (const auto& id : ids) names.push_back("amd.com/gpu=" + id);
            if (ids.empty() && count < 0) names.push_back("amd.com/gpu=all");
            auto known = registry->device_names("amd.com/gpu");
            if (ids.empty() && count > 0) {
                if (static_cast<size_t>(count) > known.size())
                    return Error("could not satisfy GPU request: " + std::to_string(count) + " asked, " +
                                 std::to_string(known.size()) + " present in CDI kind amd.com/gpu");
                for (int i = 0; i < count; ++i) names.push_back("amd.com/gpu=" + known[i]);
            }
            out.edits.append(TRY(registry->resolve(names)));
        } else {
            return Error("could not select device driver for request " + describe(request) +
                         " (known: nvidia, cdi, amd with an amd.com/gpu CDI spec)");
        }
    }
    for (const auto& text : TRY(string_list(section.value("cgroup_rules", Json()), "cgroup_rules")))
        out.cgroup_rules.push_back(TRY(parse_cgroup_rule(text)));

    // Complete every node now, so a missing host node fails at create, and give
    // the container the groups that own GPU render nodes (video, render).
    for (auto& node : out.edits.device_nodes) {
        auto completed = complete_node(node);
        if (!completed.ok()) return Error(completed.error().message).context("device " + node.path);
        node = *completed;
        std::string host = node.host_path.empty() ? node.path : node.host_path;
        struct stat st{};
        if (::stat(host.c_str(), &st) == 0) {
            if (!node.uid) node.uid = st.st_uid;
            if (!node.gid) node.gid = st.st_gid;
            bool gpu_node = node.path.starts_with("/dev/dri/") || node.path == "/dev/kfd";
            if (gpu_node && st.st_gid != 0 &&
                std::find(out.edits.additional_gids.begin(), out.edits.additional_gids.end(), st.st_gid) ==
                    out.edits.additional_gids.end())
                out.edits.additional_gids.push_back(st.st_gid);
        }
        out.held.push_back({{"path", node.path}, {"host_path", host}, {"type", node.type},
                            {"major", node.major.value_or(0)}, {"minor", node.minor.value_or(0)},
                            {"permissions", node.permissions}});
    }
    return out;
}

}  // namespace hako::device
