// This file implements the Compose multi-file merge (see merge.h). Values are
// moved from the overlay, never copied, and each field is merged once, so
// merging two 500-service files stays linear.
#include "src/project/merge.h"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <variant>

namespace hako::project {
namespace {

// ---- paths -----------------------------------------------------------------

using Step = std::variant<std::string, size_t>;

// "a.b[2].c" → {"a", "b", 2, "c"}.
std::vector<Step> split_path(std::string_view path) {
    std::vector<Step> steps;
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '.') {
            ++i;
            continue;
        }
        if (path[i] == '[') {
            size_t close = path.find(']', i);
            if (close == std::string_view::npos) break;
            size_t index = 0;
            for (size_t k = i + 1; k < close; ++k) index = index * 10 + size_t(path[k] - '0');
            steps.emplace_back(index);
            i = close + 1;
            continue;
        }
        size_t end = path.find_first_of(".[", i);
        if (end == std::string_view::npos) end = path.size();
        steps.emplace_back(std::string(path.substr(i, end - i)));
        i = end;
    }
    return steps;
}

void erase_at(Json& root, const std::vector<Step>& steps) {
    if (steps.empty()) return;
    Json* node = &root;
    for (size_t i = 0; i + 1 < steps.size(); ++i) {
        if (const auto* key = std::get_if<std::string>(&steps[i])) {
            if (!node->is_object()) return;
            auto it = node->find(*key);
            if (it == node->end()) return;
            node = &*it;
        } else {
            size_t index = std::get<size_t>(steps[i]);
            if (!node->is_array() || index >= node->size()) return;
            node = &(*node)[index];
        }
    }
    if (const auto* key = std::get_if<std::string>(&steps.back())) {
        if (node->is_object()) node->erase(*key);
    } else {
        size_t index = std::get<size_t>(steps.back());
        if (node->is_array() && index < node->size()) node->erase(index);
    }
}

// Removes the values tagged !reset strictly below `at` from `value` (which is
// the node found at `at` in the tagged document). Deepest and highest indexes
// go first so earlier removals do not shift later ones.
void erase_resets_under(Json& value, const std::string& at, const std::map<std::string, MergeTag>& tags) {
    if (tags.empty()) return;
    std::vector<std::vector<Step>> doomed;
    for (auto it = tags.lower_bound(at); it != tags.end(); ++it) {
        const std::string& key = it->first;
        if (key.compare(0, at.size(), at) != 0) break;
        if (it->second != MergeTag::Reset) continue;
        std::string_view rest = std::string_view(key).substr(at.size());
        if (rest.empty()) continue;
        if (!at.empty()) {
            if (rest[0] == '.') {
                rest.remove_prefix(1);
            } else if (rest[0] != '[') {
                continue;
            }
        }
        doomed.push_back(split_path(rest));
    }
    std::sort(doomed.begin(), doomed.end(), [](const auto& a, const auto& b) { return b < a; });
    for (const auto& steps : doomed) erase_at(value, steps);
}

// ---- list → map conversions ------------------------------------------------

enum class ListForm {
    Environment,  // "K=V", bare "K" → null (taken from the environment)
    Labels,       // "K=V", bare "K" → ""
    Hosts,        // "host=ip" or "host:ip"
};

std::string scalar_text(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return {};
    return v.dump();
}

// Converts a "K=V" list to a map in place, moving each entry's mark to its key.
void list_to_map(Json& value, const std::string& path, SourceMap& marks, ListForm form) {
    if (!value.is_array()) return;
    Json map = Json::object();
    for (size_t i = 0; i < value.size(); ++i) {
        std::string entry = scalar_text(value[i]);
        size_t split = entry.find('=');
        if (form == ListForm::Hosts && split == std::string::npos) split = entry.find(':');
        std::string key = entry.substr(0, split);
        Json val;
        if (split != std::string::npos) {
            val = entry.substr(split + 1);
        } else if (form == ListForm::Labels) {
            val = "";
        }
        marks.set(path_join(path, key), marks.find(path_index(path, i)));
        map[key] = std::move(val);
    }
    value = std::move(map);
}

// depends_on: [a, b] → {a: {condition: service_started, required: true}, …}
void depends_on_to_map(Json& value, const std::string& path, SourceMap& marks) {
    if (!value.is_array()) return;
    Json map = Json::object();
    for (size_t i = 0; i < value.size(); ++i) {
        std::string name = scalar_text(value[i]);
        marks.set(path_join(path, name), marks.find(path_index(path, i)));
        map[name] = Json{{"condition", "service_started"}, {"required", true}};
    }
    value = std::move(map);
}

// networks: [a, b] → {a: null, b: null}
void networks_to_map(Json& value, const std::string& path, SourceMap& marks) {
    if (!value.is_array()) return;
    Json map = Json::object();
    for (size_t i = 0; i < value.size(); ++i) {
        std::string name = scalar_text(value[i]);
        marks.set(path_join(path, name), marks.find(path_index(path, i)));
        map[name] = nullptr;
    }
    value = std::move(map);
}

// A lone string where a list is allowed ("dns: 8.8.8.8") → a one-entry list.
void scalar_to_list(Json& value, const std::string& path, SourceMap& marks) {
    if (value.is_array() || value.is_null() || value.is_object()) return;
    marks.set(path_index(path, 0), marks.find(path));
    value = Json::array({std::move(value)});
}

// build: "./dir" → {context: "./dir"}
void build_to_map(Json& value, const std::string& path, SourceMap& marks) {
    if (!value.is_string()) return;
    marks.set(path_join(path, "context"), marks.find(path));
    value = Json{{"context", std::move(value)}};
}

using KeyFunction = std::string (*)(const Json&);

std::string value_key(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }
std::string secret_key(const Json& v) { return file_mount_target(v, "/run/secrets"); }
std::string config_key(const Json& v) { return file_mount_target(v, ""); }
std::string env_file_key(const Json& v) {
    if (v.is_object()) return scalar_text(v.value("path", Json()));
    return scalar_text(v);
}

bool is_one_of(const std::string& key, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), key) != names.end();
}

// ---- the merge -------------------------------------------------------------

class Merger {
public:
    Merger(Document& base, Document& overlay)
        : base_marks_(base.marks), overlay_marks_(overlay.marks), tags_(overlay.tags) {}

    void merge_root(Json& base, Json& overlay) {
        if (!base.is_object() || !overlay.is_object()) {
            if (!overlay.is_null()) replace(base, overlay, "");
            return;
        }
        for (auto it = overlay.begin(); it != overlay.end(); ++it) {
            const std::string& key = it.key();
            if (settled(base, key, it.value(), key)) continue;
            Json& slot = base[key];
            if (key == "services") {
                merge_entries(slot, it.value(), key, &Merger::merge_service);
            } else if (is_one_of(key, {"networks", "volumes", "secrets", "configs"})) {
                merge_entries(slot, it.value(), key, &Merger::merge_generic);
            } else {
                merge_generic(slot, it.value(), key);
            }
        }
    }

private:
    using EntryMerge = void (Merger::*)(Json&, Json&, const std::string&);

    // The overlay value replaces the base value, marks included.
    void replace(Json& slot, Json& value, const std::string& path) {
        erase_resets_under(value, path, tags_);
        slot = std::move(value);
        base_marks_.copy_subtree(path, path, overlay_marks_);
    }

    // Settles `key` of the mapping `base` when no field rule is needed: tags,
    // a key only the overlay has, a null on either side. True when settled.
    bool settled(Json& base, const std::string& key, Json& value, const std::string& path) {
        if (!tags_.empty()) {
            auto tag = tags_.find(path);
            if (tag != tags_.end()) {
                if (tag->second == MergeTag::Reset) {
                    base.erase(key);
                } else {
                    replace(base[key], value, path);
                }
                return true;
            }
        }
        auto it = base.find(key);
        if (it == base.end()) {
            replace(base[key], value, path);
            return true;
        }
        if (value.is_null()) return true;  // a null overlay keeps the base value
        if (it->is_null()) {
            replace(*it, value, path);
            return true;
        }
        return false;
    }

    // A mapping of named entries (services, networks, …): each entry merged by `merge`.
    void merge_entries(Json& base, Json& overlay, const std::string& path, EntryMerge merge) {
        if (!base.is_object() || !overlay.is_object()) {
            replace(base, overlay, path);
            return;
        }
        for (auto it = overlay.begin(); it != overlay.end(); ++it) {
            std::string entry_path = path_join(path, it.key());
            if (settled(base, it.key(), it.value(), entry_path)) continue;
            (this->*merge)(base[it.key()], it.value(), entry_path);
        }
    }

    void merge_generic(Json& base, Json& overlay, const std::string& path) {
        if (base.is_object() && overlay.is_object()) {
            for (auto it = overlay.begin(); it != overlay.end(); ++it) {
                const std::string& key = it.key();
                std::string child = path_join(path, key);
                if (settled(base, key, it.value(), child)) continue;
                if (is_one_of(key, {"labels", "args", "annotations"})) {
                    merge_as_map(base[key], it.value(), child, ListForm::Labels);
                } else {
                    merge_generic(base[key], it.value(), child);
                }
            }
        } else if (base.is_array() && overlay.is_array()) {
            append(base, overlay, path);
        } else {
            replace(base, overlay, path);
        }
    }

    void append(Json& base, Json& overlay, const std::string& path) {
        size_t offset = base.size();
        for (size_t i = 0; i < overlay.size(); ++i) {
            std::string from = path_index(path, i);
            erase_resets_under(overlay[i], from, tags_);
            base_marks_.copy_subtree(from, path_index(path, offset + i), overlay_marks_);
            base.push_back(std::move(overlay[i]));
        }
    }

    void merge_service(Json& base, Json& overlay, const std::string& path) {
        if (!base.is_object() || !overlay.is_object()) {
            replace(base, overlay, path);
            return;
        }
        for (auto it = overlay.begin(); it != overlay.end(); ++it) {
            const std::string& key = it.key();
            std::string child = path_join(path, key);
            Json& value = it.value();
            if (settled(base, key, value, child)) continue;
            Json& slot = base[key];
            if (key == "command" || key == "entrypoint") {
                replace(slot, value, child);
            } else if (key == "healthcheck") {
                merge_healthcheck(slot, value, child);
            } else if (is_one_of(key, {"environment"})) {
                merge_as_map(slot, value, child, ListForm::Environment);
            } else if (is_one_of(key, {"labels", "annotations", "sysctls"})) {
                merge_as_map(slot, value, child, ListForm::Labels);
            } else if (key == "extra_hosts") {
                merge_as_map(slot, value, child, ListForm::Hosts);
            } else if (key == "ulimits") {
                merge_replacing_entries(slot, value, child);
            } else if (key == "depends_on") {
                depends_on_to_map(slot, child, base_marks_);
                depends_on_to_map(value, child, overlay_marks_);
                merge_entries(slot, value, child, &Merger::merge_generic);
            } else if (key == "networks") {
                networks_to_map(slot, child, base_marks_);
                networks_to_map(value, child, overlay_marks_);
                merge_entries(slot, value, child, &Merger::merge_generic);
            } else if (key == "ports") {
                merge_unique(slot, value, child, &port_key);
            } else if (key == "volumes" || key == "devices") {
                merge_unique(slot, value, child, &mount_target);
            } else if (key == "secrets") {
                merge_unique(slot, value, child, &secret_key);
            } else if (key == "configs") {
                merge_unique(slot, value, child, &config_key);
            } else if (key == "env_file") {
                merge_unique(slot, value, child, &env_file_key);
            } else if (is_one_of(key, {"cap_add", "cap_drop", "dns", "dns_search", "dns_opt", "expose", "profiles",
                                       "links", "tmpfs", "security_opt", "group_add", "external_links"})) {
                merge_unique(slot, value, child, &value_key);
            } else if (key == "build") {
                build_to_map(slot, child, base_marks_);
                build_to_map(value, child, overlay_marks_);
                merge_generic(slot, value, child);
            } else if (key == "logging") {
                merge_logging(slot, value, child);
            } else {
                merge_generic(slot, value, child);
            }
        }
    }

    void merge_healthcheck(Json& base, Json& overlay, const std::string& path) {
        if (!base.is_object() || !overlay.is_object()) {
            replace(base, overlay, path);
            return;
        }
        for (auto it = overlay.begin(); it != overlay.end(); ++it) {
            std::string child = path_join(path, it.key());
            if (settled(base, it.key(), it.value(), child)) continue;
            if (it.key() == "test") {
                replace(base[it.key()], it.value(), child);
            } else {
                merge_generic(base[it.key()], it.value(), child);
            }
        }
    }

    // environment, labels, …: both sides as maps, each key replaced by the overlay's.
    void merge_as_map(Json& base, Json& overlay, const std::string& path, ListForm form) {
        list_to_map(base, path, base_marks_, form);
        list_to_map(overlay, path, overlay_marks_, form);
        merge_replacing_entries(base, overlay, path);
    }

    void merge_replacing_entries(Json& base, Json& overlay, const std::string& path) {
        if (!base.is_object() || !overlay.is_object()) {
            replace(base, overlay, path);
            return;
        }
        for (auto it = overlay.begin(); it != overlay.end(); ++it) {
            std::string child = path_join(path, it.key());
            if (!tags_.empty()) {
                auto tag = tags_.find(child);
                if (tag != tags_.end() && tag->second == MergeTag::Reset) {
                    base.erase(it.key());
                    continue;
                }
            }
            replace(base[it.key()], it.value(), child);
        }
    }

    // Appends, but an overlay entry whose key matches an earlier entry takes its place.
    void merge_unique(Json& base, Json& overlay, const std::string& path, KeyFunction key_of) {
        scalar_to_list(base, path, base_marks_);
        scalar_to_list(overlay, path, overlay_marks_);
        if (!base.is_array() || !overlay.is_array()) {
            replace(base, overlay, path);
            return;
        }
        std::unordered_map<std::string, size_t> position;
        position.reserve(base.size() + overlay.size());
        for (size_t i = 0; i < base.size(); ++i) position.try_emplace(key_of(base[i]), i);
        for (size_t i = 0; i < overlay.size(); ++i) {
            std::string from = path_index(path, i);
            erase_resets_under(overlay[i], from, tags_);
            auto [it, inserted] = position.try_emplace(key_of(overlay[i]), base.size());
            base_marks_.copy_subtree(from, path_index(path, it->second), overlay_marks_);
            if (inserted) {
                base.push_back(std::move(overlay[i]));
            } else {
                base[it->second] = std::move(overlay[i]);
            }
        }
    }

    // A different driver replaces the whole logging block; the same one merges options.
    void merge_logging(Json& base, Json& overlay, const std::string& path) {
        if (base.is_object() && overlay.is_object() && base.contains("driver") && overlay.contains("driver") &&
            base["driver"] != overlay["driver"]) {
            replace(base, overlay, path);
            return;
        }
        merge_generic(base, overlay, path);
    }

    SourceMap& base_marks_;
    SourceMap& overlay_marks_;
    const std::map<std::string, MergeTag>& tags_;
};

// "[::1]:8080:80" → {"::1", "8080:80"}; "127.0.0.1:8080:80" → {"127.0.0.1", "8080:80"}.
std::pair<std::string, std::string> split_host_ip(const std::string& spec) {
    if (!spec.empty() && spec[0] == '[') {
        size_t close = spec.find(']');
        if (close != std::string::npos) {
            std::string rest = spec.substr(close + 1);
            if (!rest.empty() && rest[0] == ':') rest.erase(0, 1);
            return {spec.substr(1, close - 1), rest};
        }
    }
    size_t colons = std::count(spec.begin(), spec.end(), ':');
    if (colons < 2) return {"", spec};
    // ip:published:target — the ip is everything before the last two parts.
    size_t last = spec.rfind(':');
    size_t second = spec.rfind(':', last - 1);
    return {spec.substr(0, second), spec.substr(second + 1)};
}

}  // namespace

std::string port_key(const Json& port) {
    std::string host_ip, published, target, protocol = "tcp";
    if (port.is_object()) {
        host_ip = scalar_text(port.value("host_ip", Json()));
        published = scalar_text(port.value("published", Json()));
        target = scalar_text(port.value("target", Json()));
        if (port.contains("protocol")) protocol = scalar_text(port["protocol"]);
    } else {
        std::string spec = scalar_text(port);
        size_t slash = spec.rfind('/');
        if (slash != std::string::npos) {
            protocol = spec.substr(slash + 1);
            spec.erase(slash);
        }
        auto [ip, rest] = split_host_ip(spec);
        host_ip = ip;
        size_t colon = rest.rfind(':');
        if (colon == std::string::npos) {
            target = rest;
        } else {
            published = rest.substr(0, colon);
            target = rest.substr(colon + 1);
        }
    }
    return host_ip + '|' + published + '|' + target + '|' + protocol;
}

std::string mount_target(const Json& entry) {
    if (entry.is_object()) return scalar_text(entry.value("target", Json()));
    std::string spec = scalar_text(entry);
    size_t first = spec.find(':');
    if (first == std::string::npos) return spec;  // "/data": an anonymous volume
    size_t second = spec.find(':', first + 1);
    return spec.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

std::string file_mount_target(const Json& entry, std::string_view default_dir) {
    if (entry.is_object()) {
        if (entry.contains("target")) return scalar_text(entry["target"]);
        return std::string(default_dir) + '/' + scalar_text(entry.value("source", Json()));
    }
    return std::string(default_dir) + '/' + scalar_text(entry);
}

void merge_documents(Document& base, Document&& overlay) {
    Merger merger(base, overlay);
    merger.merge_root(base.value, overlay.value);
}

void drop_reset_values(Document& document) { erase_resets_under(document.value, "", document.tags); }

}  // namespace hako::project
