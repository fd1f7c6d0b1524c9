// This file implements the mount entries of a container record (mount_spec.h):
// docker's -v, --tmpfs, --mount and --volumes-from syntaxes, the entry checks,
// and the expansion of volumes_from.
#include "engine/volume/mount_spec.h"

#include <set>

#include "engine/container/options.h"
#include "engine/volume/volume_store.h"

namespace hako::volume {

using nlohmann::json;

namespace {

constexpr auto kBad = container::kRunFailure;

bool is_propagation(const std::string& option) {
    static const std::set<std::string> modes = {"private", "rprivate", "shared", "rshared", "slave", "rslave"};
    return modes.count(option) > 0;
}

bool absolute(const std::string& path) { return !path.empty() && path[0] == '/'; }

// "/a//b/./c/" → "/a/b/c"; ".." is kept for the caller to refuse.
std::string clean(const std::string& path) {
    std::string out;
    for (const auto& part : split_list(path, '/'))
        if (part != ".") out += "/" + part;
    return out.empty() ? "/" : out;
}

bool has_dot_dot(const std::string& path) {
    for (const auto& part : split_list(path, '/'))
        if (part == "..") return true;
    return false;
}

Result<bool> parse_bool(const std::string& value, const std::string& what) {
    if (value.empty() || value == "1" || value == "true") return true;
    if (value == "0" || value == "false") return false;
    return Error("invalid value for " + what + ": " + value, kBad);
}

Result<int64_t> size_value(const json& value, const std::string& where) {
    if (value.is_number_integer() || value.is_number_unsigned()) {
        if (value.get<int64_t>() < 0) return Error(where + ": size must not be negative", kBad);
        return value.get<int64_t>();
    }
    if (value.is_string()) {
        auto bytes = container::parse_memory_size(value.get<std::string>());
        if (!bytes.ok()) return Error(where + ": invalid size " + value.dump(), kBad);
        return *bytes;
    }
    return Error(where + ": invalid size " + value.dump(), kBad);
}

// Numbers are the mode bits as they are (0o1777 = 1023); strings are octal ("1777").
Result<int> mode_value(const json& value, const std::string& where) {
    int mode = -1;
    if (value.is_number_integer() || value.is_number_unsigned()) mode = value.get<int>();
    if (value.is_string()) {
        const std::string text = value.get<std::string>();
        mode = text.empty() ? -1 : 0;
        for (char c : text) {
            if (c < '0' || c > '7' || mode > 07777) {
                mode = -1;
                break;
            }
            mode = mode * 8 + (c - '0');
        }
    }
    if (mode < 0 || mode > 07777) return Error(where + ": invalid mode " + value.dump(), kBad);
    return mode;
}

}  // namespace

std::vector<std::string> split_list(const std::string& text, char separator) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(separator, start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

Result<json> parse_volume_flag(const std::string& spec) {
    auto bad = [&](const std::string& why) {
        return Error("invalid volume specification: '" + spec + "': " + why, kBad);
    };
    std::vector<std::string> fields;
    for (size_t start = 0;;) {
        size_t colon = spec.find(':', start);
        fields.push_back(spec.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (fields.size() > 3) return bad("too many colons");
    std::string source, target, modes;
    if (fields.size() == 1) {
        target = fields[0];
    } else if (fields.size() == 2) {
        // "/ctr:ro" is an anonymous volume with a mode, as docker reads it.
        bool mode_only = !split_list(fields[1], ',').empty() && absolute(fields[0]);
        for (const auto& m : split_list(fields[1], ','))
            mode_only = mode_only && (m == "ro" || m == "rw" || m == "nocopy" || m == "z" || m == "Z");
        if (mode_only) {
            target = fields[0];
            modes = fields[1];
        } else {
            source = fields[0];
            target = fields[1];
        }
    } else {
        source = fields[0];
        target = fields[1];
        modes = fields[2];
    }
    for (const auto& f : fields)
        if (f.empty()) return bad("empty section between colons");
    if (!absolute(target)) return bad("the container path must be absolute");
    json m = {{"target", clean(target)}, {"read_only", false}};
    if (source.empty() || !absolute(source)) {
        m["type"] = "volume";
        m["source"] = source;
        m["volume"] = {{"nocopy", false}, {"subpath", ""}};
        if (!source.empty()) {
            if (auto valid = validate_volume_name(source); !valid.ok())
                return bad(std::move(valid).error().message);
        }
    } else {
        m["type"] = "bind";
        m["source"] = clean(source);
        m["bind"] = {{"propagation", ""}, {"create_host_path", true}};
    }
    bool seen_rw = false;
    for (const auto& mode : split_list(modes, ',')) {
        if (mode == "ro" || mode == "rw") {
            if (seen_rw) return bad("duplicate mode");
            seen_rw = true;
            m["read_only"] = mode == "ro";
        } else if (mode == "nocopy") {
            if (m["type"] != "volume") return bad("nocopy applies to volumes only");
            m["volume"]["nocopy"] = true;
        } else if (mode == "z" || mode == "Z") {
            // SELinux relabelling: nothing to do without SELinux.
        } else if (is_propagation(mode)) {
            if (m["type"] != "bind") return bad("propagation applies to bind mounts only");
            m["bind"]["propagation"] = mode;
        } else {
            return bad("unknown mode '" + mode + "'");
        }
    }
    return m;
}

Result<json> parse_tmpfs_flag(const std::string& spec) {
    size_t colon = spec.find(':');
    std::string target = spec.substr(0, colon);
    if (!absolute(target))
        return Error("invalid tmpfs mount '" + spec + "': the path must be absolute", kBad);
    json m = {{"type", "tmpfs"},
              {"source", ""},
              {"target", clean(target)},
              {"read_only", false},
              {"tmpfs", {{"size", 0}, {"mode", 0}, {"options", json::array({"noexec"})}}}};
    if (colon == std::string::npos) return m;
    json options = json::array();
    bool exec = false;
    for (const auto& option : split_list(spec.substr(colon + 1), ',')) {
        std::string key = option.substr(0, option.find('='));
        std::string value = option.find('=') == std::string::npos ? "" : option.substr(option.find('=') + 1);
        if (key == "size") {
            m["tmpfs"]["size"] = TRY(size_value(json(value), "tmpfs " + target));
        } else if (key == "mode") {
            m["tmpfs"]["mode"] = TRY(mode_value(json(value), "tmpfs " + target));
        } else if (option == "ro" || option == "rw") {
            m["read_only"] = option == "ro";
        } else if (option == "exec" || option == "noexec") {
            exec = option == "exec";
        } else if (option == "nosuid" || option == "suid" || option == "nodev" || option == "dev" ||
                   option == "noatime" || option == "atime" || option == "nr_inodes" || key == "nr_inodes" ||
                   key == "uid" || key == "gid") {
            options.push_back(option);
        } else {
            return Error("invalid tmpfs mount '" + spec + "': unknown option '" + option + "'", kBad);
        }
    }
    if (!exec) options.push_back("noexec");
    m["tmpfs"]["options"] = options;
    return m;
}

Result<json> parse_mount_flag(const std::string& spec) {
    auto bad = [&](const std::string& why) {
        return Error("invalid argument \"" + spec + "\" for \"--mount\" flag: " + why, kBad);
    };
    json m = {{"type", "volume"}, {"source", ""}, {"target", ""}, {"read_only", false}};
    json bind = {{"propagation", ""}, {"create_host_path", false}};
    json volume = {{"nocopy", false}, {"subpath", ""}};
    json tmpfs = {{"size", 0}, {"mode", 0}};
    json driver_opts = json::object(), labels = json::object();
    for (const auto& field : split_list(spec, ',')) {
        size_t eq = field.find('=');
        std::string key = field.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
        auto pair = [&]() -> Result<std::pair<std::string, std::string>> {
            size_t inner = value.find('=');
            if (inner == std::string::npos || inner == 0) return bad("'" + key + "' wants KEY=VALUE");
            return std::make_pair(value.substr(0, inner), value.substr(inner + 1));
        };
        if (key == "type") m["type"] = value;
        else if (key == "source" || key == "src") m["source"] = value;
        else if (key == "target" || key == "destination" || key == "dst") m["target"] = value;
        else if (key == "readonly" || key == "ro") m["read_only"] = TRY(parse_bool(value, key));
        else if (key == "bind-propagation") bind["propagation"] = value;
        else if (key == "bind-create-host-path") bind["create_host_path"] = TRY(parse_bool(value, key));
        else if (key == "bind-nonrecursive" || key == "consistency") continue;
        else if (key == "volume-nocopy") volume["nocopy"] = TRY(parse_bool(value, key));
        else if (key == "volume-subpath") volume["subpath"] = value;
        else if (key == "volume-driver") {
            if (value != "local") return bad("volume driver \"" + value + "\" is not available (only local)");
        } else if (key == "volume-opt") {
            auto [k, v] = TRY(pair());
            driver_opts[k] = v;
        } else if (key == "volume-label") {
            auto [k, v] = TRY(pair());
            labels[k] = v;
        } else if (key == "file") m["file"] = value;
        else if (key == "uid" || key == "gid") m[key] = value;
        else if (key == "mode") m["mode"] = TRY(mode_value(json(value), "mode"));
        else if (key == "tmpfs-size") tmpfs["size"] = TRY(size_value(json(value), "tmpfs-size"));
        else if (key == "tmpfs-mode") tmpfs["mode"] = TRY(mode_value(json(value), "tmpfs-mode"));
        else return bad("unexpected key '" + key + "' in '" + field + "'");
    }
    std::string type = m["type"];
    if (m["target"] == "" && type != "secret" && type != "config") return bad("target is required");
    if (type == "bind") {
        if (m["source"] == "") return bad("source is required when type is bind");
        m["bind"] = bind;
    } else if (type == "volume") {
        if (!driver_opts.empty()) volume["driver_opts"] = driver_opts;
        if (!labels.empty()) volume["labels"] = labels;
        m["volume"] = volume;
    } else if (type == "tmpfs") {
        if (m["source"] != "") return bad("source is not allowed for tmpfs");
        m["tmpfs"] = tmpfs;
    } else if (type == "secret" || type == "config") {
        // hako's own: a file of the host as a secret or config, with owner and mode.
        if (!m.contains("file")) return bad("a " + type + " needs file=HOST-PATH");
        if (m["target"] == "") m.erase("target");
    } else {
        return bad("unknown mount type '" + type + "' (bind, volume, tmpfs, secret or config)");
    }
    if (type != "secret" && type != "config")
        for (const char* key : {"file", "uid", "gid", "mode"})
            if (m.contains(key)) return bad(std::string("'") + key + "' applies to secret and config mounts only");
    return normalize_mount(m, "--mount " + spec);
}

Result<json> parse_volumes_from_flag(const std::string& spec) {
    size_t colon = spec.find(':');
    std::string source = spec.substr(0, colon);
    std::string mode = colon == std::string::npos ? "rw" : spec.substr(colon + 1);
    if (source.empty()) return Error("invalid --volumes-from '" + spec + "': no container named", kBad);
    if (mode != "ro" && mode != "rw" && mode != "z" && mode != "Z")
        return Error("invalid mode for volumes-from: " + mode, kBad);
    return json{{"type", "volumes_from"}, {"source", source}, {"read_only", mode == "ro"}};
}

std::string default_file_target(const std::string& type, const std::string& source, const std::string& target) {
    if (type == "secret") {
        if (target.empty()) return "/run/secrets/" + source;
        if (!absolute(target)) return "/run/secrets/" + target;
        return target;
    }
    if (target.empty()) return "/" + source;
    return absolute(target) ? target : "/" + target;
}

Result<json> normalize_mount(const json& in, const std::string& where) {
    auto bad = [&](const std::string& why) { return Error(where + ": " + why, kBad); };
    if (!in.is_object()) return bad("a mount must be an object");
    json m = in;
    if (!m.contains("type") || !m["type"].is_string()) return bad("a mount needs a type");
    const std::string type = m["type"];
    if (!m.contains("source") || m["source"].is_null()) m["source"] = "";
    if (!m["source"].is_string()) return bad("source must be a string");
    const std::string source = m["source"];
    if (!m.contains("read_only") || m["read_only"].is_null()) m["read_only"] = false;
    if (!m["read_only"].is_boolean()) return bad("read_only must be true or false");
    if (type == "volumes_from") {
        if (source.empty()) return bad("volumes_from needs a container");
        m.erase("target");
        return m;
    }
    if (type == "secret" || type == "config") {
        if (source.empty()) return bad("a " + type + " needs a name (source)");
        if (source.find('/') != std::string::npos || source == "." || source == "..")
            return bad("invalid " + type + " name '" + source + "'");
        std::string target = m.value("target", "");
        target = default_file_target(type, source, target);
        if (has_dot_dot(target)) return bad("the target must not contain '..'");
        m["target"] = clean(target);
        bool has_file = m.contains("file") && m["file"].is_string();
        bool has_content = m.contains("content") && m["content"].is_string();
        if (has_file == has_content) return bad("a " + type + " needs either file or content");
        if (has_file && !absolute(m["file"].get<std::string>())) return bad("the file must be an absolute path");
        for (const char* key : {"uid", "gid"}) {
            if (!m.contains(key) || m[key].is_null()) m[key] = "0";
            if (m[key].is_number_unsigned() || m[key].is_number_integer()) m[key] = std::to_string(m[key].get<int64_t>());
            if (!m[key].is_string()) return bad(std::string(key) + " must be a number");
            const std::string id = m[key];
            if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos || id.size() > 10)
                return bad(std::string(key) + " must be a number, not '" + id + "'");
        }
        if (!m.contains("mode") || m["mode"].is_null()) m["mode"] = 0444;
        m["mode"] = TRY(mode_value(m["mode"], where + ": mode"));
        return m;
    }
    if (!m.contains("target") || !m["target"].is_string() || !absolute(m["target"].get<std::string>()))
        return bad("the container path must be absolute");
    std::string target = m["target"];
    if (has_dot_dot(target)) return bad("the container path must not contain '..'");
    m["target"] = clean(target);
    if (m["target"] == "/") return bad("invalid mount config: destination can't be '/'");
    if (type == "bind") {
        if (!absolute(source)) return bad("a bind mount needs an absolute host path, not '" + source + "'");
        m["source"] = clean(source);
        if (!m.contains("bind") || !m["bind"].is_object()) m["bind"] = json::object();
        json& bind = m["bind"];
        if (!bind.contains("propagation") || bind["propagation"].is_null()) bind["propagation"] = "";
        if (!bind["propagation"].is_string()) return bad("bind.propagation must be a string");
        std::string propagation = bind["propagation"];
        if (!propagation.empty() && !is_propagation(propagation))
            return bad("invalid propagation mode '" + propagation + "'");
        if (!bind.contains("create_host_path") || bind["create_host_path"].is_null()) bind["create_host_path"] = false;
        if (!bind["create_host_path"].is_boolean()) return bad("bind.create_host_path must be true or false");
    } else if (type == "volume") {
        if (!source.empty()) {
            if (auto valid = validate_volume_name(source); !valid.ok()) return bad(std::move(valid).error().message);
        }
        if (!m.contains("volume") || !m["volume"].is_object()) m["volume"] = json::object();
        json& volume = m["volume"];
        if (!volume.contains("nocopy") || volume["nocopy"].is_null()) volume["nocopy"] = false;
        if (!volume["nocopy"].is_boolean()) return bad("volume.nocopy must be true or false");
        if (!volume.contains("subpath") || volume["subpath"].is_null()) volume["subpath"] = "";
        if (!volume["subpath"].is_string()) return bad("volume.subpath must be a string");
        std::string subpath = volume["subpath"];
        if (absolute(subpath) || has_dot_dot(subpath))
            return bad("volume.subpath must be a relative path inside the volume, not '" + subpath + "'");
    } else if (type == "tmpfs") {
        if (!source.empty()) return bad("a tmpfs mount takes no source");
        if (!m.contains("tmpfs") || !m["tmpfs"].is_object()) m["tmpfs"] = json::object();
        json& tmpfs = m["tmpfs"];
        tmpfs["size"] = tmpfs.contains("size") && !tmpfs["size"].is_null()
                            ? TRY(size_value(tmpfs["size"], where + ": tmpfs.size"))
                            : 0;
        tmpfs["mode"] = tmpfs.contains("mode") && !tmpfs["mode"].is_null()
                            ? TRY(mode_value(tmpfs["mode"], where + ": tmpfs.mode"))
                            : 0;
        if (!tmpfs.contains("options")) tmpfs["options"] = json::array();
        for (const auto& option : tmpfs["options"])
            if (!option.is_string() || option.get<std::string>().find_first_of(",") != std::string::npos)
                return bad("tmpfs.options must be single options");
    } else {
        return bad("unknown mount type '" + type + "' (bind, volume, tmpfs, secret, config or volumes_from)");
    }
    return m;
}

Result<json> effective_mounts(const container::ContainerStore& store, const container::ContainerRecord& record) {
    // Own mounts first; volumes_from adds the source's binds and volumes at targets not yet taken.
    json out = json::array();
    std::set<std::string> targets;
    for (const auto& m : record.mounts)
        if (m.value("type", "") != "volumes_from") {
            out.push_back(m);
            targets.insert(m.value("target", ""));
        }
    std::set<std::string> visited = {record.id};
    std::vector<std::pair<json, bool>> pending;  // (volumes_from entry, read_only)
    for (const auto& m : record.mounts)
        if (m.value("type", "") == "volumes_from") pending.emplace_back(m, m.value("read_only", false));
    for (size_t i = 0; i < pending.size(); ++i) {
        auto [entry, read_only] = pending[i];
        auto source = store.find(entry.value("source", ""));
        if (!source.ok())
            return Error("volumes_from " + entry.value("source", "") + ": " + source.error().message, kBad);
        if (!visited.insert(source->id).second) continue;
        for (const auto& m : source->mounts) {
            std::string type = m.value("type", "");
            if (type == "volumes_from") {
                pending.emplace_back(m, read_only || m.value("read_only", false));
                continue;
            }
            if (type != "bind" && type != "volume") continue;
            if (!targets.insert(m.value("target", "")).second) continue;
            json copy = m;
            if (read_only) copy["read_only"] = true;
            out.push_back(copy);
        }
    }
    return out;
}

}  // namespace hako::volume
