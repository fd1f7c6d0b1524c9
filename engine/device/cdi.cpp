// This file implements the CDI registry: spec files in JSON or YAML, their
// priorities and conflicts, and the resolution of qualified names to edits.
#include "engine/device/cdi.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "engine/sys/file.h"

namespace hako::device::cdi {
namespace fs = std::filesystem;
using Json = nlohmann::json;

void ContainerEdits::append(const ContainerEdits& other) {
    env.insert(env.end(), other.env.begin(), other.env.end());
    device_nodes.insert(device_nodes.end(), other.device_nodes.begin(), other.device_nodes.end());
    mounts.insert(mounts.end(), other.mounts.begin(), other.mounts.end());
    hooks.insert(hooks.end(), other.hooks.begin(), other.hooks.end());
    for (uint32_t gid : other.additional_gids)
        if (std::find(additional_gids.begin(), additional_gids.end(), gid) == additional_gids.end())
            additional_gids.push_back(gid);
}

namespace {

// Compiled on first use, not at start-up: every hako process (monitors too) would pay for them.
const std::regex& kind_pattern() {
    static const std::regex pattern(R"(^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$)");
    return pattern;
}
const std::regex& name_pattern() {
    static const std::regex pattern(R"(^[A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?$)");
    return pattern;
}

// YAML → JSON with integers and booleans typed, so one reader serves both formats.
Json yaml_to_json(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Sequence: {
        Json out = Json::array();
        for (const auto& item : node) out.push_back(yaml_to_json(item));
        return out;
    }
    case YAML::NodeType::Map: {
        Json out = Json::object();
        for (const auto& item : node) out[item.first.as<std::string>()] = yaml_to_json(item.second);
        return out;
    }
    case YAML::NodeType::Scalar: {
        const std::string& text = node.Scalar();
        if (node.Tag() != "!" && !text.empty()) {
            static const std::regex integer(R"(^-?[0-9]+$)");
            if (std::regex_match(text, integer)) return Json(std::stoll(text));
            if (text == "true") return true;
            if (text == "false") return false;
        }
        return text;
    }
    default:
        return nullptr;
    }
}

Result<std::vector<std::string>> strings(const Json& j, const std::string& where) {
    if (!j.is_array()) return Error(where + ": must be a list of strings");
    std::vector<std::string> out;
    for (const auto& item : j) {
        if (!item.is_string()) return Error(where + ": must be a list of strings");
        out.push_back(item.get<std::string>());
    }
    return out;
}

template <typename T>
Result<std::optional<T>> number(const Json& j, const char* key, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::optional<T>();
    if (!it->is_number_integer()) return Error(where + "." + key + ": must be an integer");
    return std::optional<T>(it->get<T>());
}

Result<ContainerEdits> parse_edits(const Json& j, const std::string& where) {
    ContainerEdits edits;
    if (j.is_null()) return edits;
    if (!j.is_object()) return Error(where + ": must be a mapping");
    if (j.contains("env")) edits.env = TRY(strings(j["env"], where + ".env"));
    if (auto it = j.find("deviceNodes"); it != j.end()) {
        if (!it->is_array()) return Error(where + ".deviceNodes: must be a list");
        for (size_t i = 0; i < it->size(); ++i) {
            const Json& n = (*it)[i];
            std::string at = where + ".deviceNodes[" + std::to_string(i) + "]";
            if (!n.is_object() || !n.value("path", Json()).is_string())
                return Error(at + ": needs a path");
            DeviceNode node;
            node.path = n["path"].get<std::string>();
            node.host_path = n.value("hostPath", "");
            node.type = n.value("type", "");
            node.permissions = n.value("permissions", "");
            node.major = TRY(number<int64_t>(n, "major", at));
            node.minor = TRY(number<int64_t>(n, "minor", at));
            node.file_mode = TRY(number<uint32_t>(n, "fileMode", at));
            node.uid = TRY(number<uint32_t>(n, "uid", at));
            node.gid = TRY(number<uint32_t>(n, "gid", at));
            if (!node.path.starts_with("/")) return Error(at + ": path " + node.path + " is not absolute");
            if (!node.type.empty() && node.type != "c" && node.type != "b" && node.type != "p" && node.type != "u")
                return Error(at + ": unknown type " + node.type);
            if (node.permissions.find_first_not_of("rwm") != std::string::npos)
                return Error(at + ": permissions " + node.permissions + " (want a subset of rwm)");
            edits.device_nodes.push_back(std::move(node));
        }
    }
    if (auto it = j.find("mounts"); it != j.end()) {
        if (!it->is_array()) return Error(where + ".mounts: must be a list");
        for (size_t i = 0; i < it->size(); ++i) {
            const Json& m = (*it)[i];
            std::string at = where + ".mounts[" + std::to_string(i) + "]";
            if (!m.is_object() || !m.value("hostPath", Json()).is_string() || !m.value("containerPath", Json()).is_string())
                return Error(at + ": needs hostPath and containerPath");
            MountEdit mount{m["hostPath"], m["containerPath"], m.value("type", ""), {}};
            if (m.contains("options")) mount.options = TRY(strings(m["options"], at + ".options"));
            edits.mounts.push_back(std::move(mount));
        }
    }
    if (auto it = j.find("hooks"); it != j.end()) {
        if (!it->is_array()) return Error(where + ".hooks: must be a list");
        static const std::set<std::string> names = {"prestart",       "createRuntime", "createContainer",
                                                    "startContainer", "poststart",     "poststop"};
        for (size_t i = 0; i < it->size(); ++i) {
            const Json& h = (*it)[i];
            std::string at = where + ".hooks[" + std::to_string(i) + "]";
            if (!h.is_object() || !h.value("hookName", Json()).is_string() || !h.value("path", Json()).is_string())
                return Error(at + ": needs hookName and path");
            HookEdit hook{h["hookName"], h["path"], {}, {}, std::nullopt};
            if (!names.count(hook.hook_name)) return Error(at + ": unknown hookName " + hook.hook_name);
            if (h.contains("args")) hook.args = TRY(strings(h["args"], at + ".args"));
            if (h.contains("env")) hook.env = TRY(strings(h["env"], at + ".env"));
            hook.timeout = TRY(number<int>(h, "timeout", at));
            edits.hooks.push_back(std::move(hook));
        }
    }
    if (auto it = j.find("additionalGids"); it != j.end()) {
        if (!it->is_array()) return Error(where + ".additionalGids: must be a list of integers");
        for (const auto& g : *it) {
            if (!g.is_number_integer() || g.get<int64_t>() < 0)
                return Error(where + ".additionalGids: must be a list of integers");
            edits.additional_gids.push_back(g.get<uint32_t>());
        }
    }
    return edits;
}

}  // namespace

bool is_qualified_name(const std::string& text) { return parse_qualified_name(text).ok(); }

Result<QualifiedName> parse_qualified_name(const std::string& text) {
    auto eq = text.find('=');
    if (eq == std::string::npos) return Error("CDI device " + text + ": want vendor.com/class=name");
    QualifiedName q{text.substr(0, eq), text.substr(eq + 1)};
    auto slash = q.kind.find('/');
    if (!std::regex_match(q.kind, kind_pattern()) || q.kind.substr(0, slash).find('.') == std::string::npos)
        return Error("CDI device " + text + ": kind " + q.kind + " is not vendor.com/class");
    if (!std::regex_match(q.name, name_pattern())) return Error("CDI device " + text + ": bad device name '" + q.name + "'");
    return q;
}

Result<Spec> parse_spec(const std::string& text, const fs::path& file) {
    std::string where = file.string();
    Json j;
    try {
        if (file.extension() == ".json")
            j = Json::parse(text);
        else
            j = yaml_to_json(YAML::Load(text));
    } catch (const std::exception& e) {
        return Error("CDI spec " + where + ": " + e.what());
    }
    if (!j.is_object()) return Error("CDI spec " + where + ": not a mapping");
    Spec spec;
    spec.file = file;
    if (!j.value("cdiVersion", Json()).is_string()) return Error("CDI spec " + where + ": cdiVersion missing");
    if (!j.value("kind", Json()).is_string()) return Error("CDI spec " + where + ": kind missing");
    spec.kind = j["kind"].get<std::string>();
    if (!std::regex_match(spec.kind, kind_pattern()))
        return Error("CDI spec " + where + ": kind " + spec.kind + " is not vendor.com/class");
    spec.edits = TRY(parse_edits(j.value("containerEdits", Json()), "CDI spec " + where + ": containerEdits"));
    auto devices = j.find("devices");
    if (devices == j.end() || !devices->is_array() || devices->empty())
        return Error("CDI spec " + where + ": devices: at least one device is needed");
    std::set<std::string> seen;
    for (size_t i = 0; i < devices->size(); ++i) {
        const Json& d = (*devices)[i];
        std::string at = "CDI spec " + where + ": devices[" + std::to_string(i) + "]";
        if (!d.is_object() || !d.value("name", Json()).is_string()) return Error(at + ": name missing");
        Device device;
        device.name = d["name"].get<std::string>();
        if (!std::regex_match(device.name, name_pattern())) return Error(at + ": bad device name '" + device.name + "'");
        if (device.name == "all") return Error(at + ": 'all' is reserved");
        if (!seen.insert(device.name).second) return Error(at + ": device " + device.name + " defined twice");
        at = "CDI spec " + where + ": device " + spec.kind + "=" + device.name;
        if (!d.contains("containerEdits")) return Error(at + ": containerEdits missing");
        device.edits = TRY(parse_edits(d["containerEdits"], at + ": containerEdits"));
        spec.devices.push_back(std::move(device));
    }
    return spec;
}

std::vector<fs::path> default_spec_dirs() {
    if (const char* env = std::getenv("HAKO_CDI_SPEC_DIRS"); env && *env) {
        std::vector<fs::path> dirs;
        std::string text = env;
        size_t start = 0;
        while (start <= text.size()) {
            size_t end = text.find(':', start);
            if (end == std::string::npos) end = text.size();
            if (end > start) dirs.emplace_back(text.substr(start, end - start));
            start = end + 1;
        }
        return dirs;
    }
    return {"/etc/cdi", "/var/run/cdi"};
}

Result<Registry> Registry::load(const std::vector<fs::path>& dirs) {
    Registry registry;
    for (size_t priority = 0; priority < dirs.size(); ++priority) {
        std::error_code ec;
        if (!fs::is_directory(dirs[priority], ec)) continue;
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dirs[priority], ec)) {
            auto ext = entry.path().extension();
            if ((ext == ".json" || ext == ".yaml" || ext == ".yml") && entry.is_regular_file(ec))
                files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            auto text = sys::read_file(file, 16 << 20);
            if (!text.ok()) return Error("CDI spec " + file.string() + ": " + text.error().message);
            auto spec = TRY(parse_spec(*text, file));
            spec.priority = priority;
            registry.specs_.push_back(std::move(spec));
        }
    }
    for (size_t s = 0; s < registry.specs_.size(); ++s) {
        const Spec& spec = registry.specs_[s];
        auto& names = registry.kinds_[spec.kind];
        for (size_t d = 0; d < spec.devices.size(); ++d) {
            const std::string& name = spec.devices[d].name;
            auto it = names.find(name);
            if (it != names.end()) {
                const Spec& other = registry.specs_[it->second.first];
                if (other.priority == spec.priority)
                    return Error("CDI device " + spec.kind + "=" + name + ": defined in both " + other.file.string() +
                                 " and " + spec.file.string() + " (same priority)");
            } else {
                registry.order_[spec.kind].push_back(name);
            }
            names[name] = {s, d};  // a later folder wins
        }
    }
    return registry;
}

std::vector<std::string> Registry::device_names(const std::string& kind) const {
    auto it = order_.find(kind);
    return it == order_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> Registry::kinds() const {
    std::vector<std::string> out;
    for (const auto& [kind, names] : kinds_) out.push_back(kind);
    return out;
}

Result<ContainerEdits> Registry::resolve(const std::vector<std::string>& names) const {
    std::vector<std::pair<size_t, size_t>> picked;
    for (const auto& text : names) {
        auto q = TRY(parse_qualified_name(text));
        auto kind = kinds_.find(q.kind);
        if (kind == kinds_.end()) return Error("CDI device " + text + ": no CDI spec for kind " + q.kind);
        if (q.name == "all") {
            for (const auto& name : device_names(q.kind)) picked.push_back(kind->second.at(name));
            continue;
        }
        auto it = kind->second.find(q.name);
        if (it == kind->second.end()) {
            std::string files;
            for (const auto& spec : specs_)
                if (spec.kind == q.kind) files += (files.empty() ? "" : ", ") + spec.file.string();
            std::string known;
            for (const auto& name : device_names(q.kind)) known += (known.empty() ? "" : ", ") + name;
            return Error("CDI device " + text + ": not defined in " + files + " (it has: " + known + ")");
        }
        picked.push_back(it->second);
    }
    ContainerEdits edits;
    std::set<size_t> spec_done;
    std::set<std::pair<size_t, size_t>> device_done;
    for (const auto& [s, d] : picked)
        if (spec_done.insert(s).second) edits.append(specs_[s].edits);
    for (const auto& key : picked)
        if (device_done.insert(key).second) edits.append(specs_[key.first].devices[key.second].edits);
    return edits;
}

}  // namespace hako::device::cdi
