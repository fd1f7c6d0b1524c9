// This file implements the volume store (volume_store.h): records under
// ROOT/volumes/<name>/volume.json, data under _data, the local driver's mounts,
// and the removal rules (never while a container uses it, never through a mount).
#include "engine/volume/volume_store.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "engine/container/container_store.h"
#include "engine/container/options.h"
#include "engine/runtime/rootfs.h"
#include "engine/store/state_root.h"
#include "engine/sys/file.h"
#include "engine/volume/mount_spec.h"
#include "engine/sys/clock.h"

namespace hako::volume {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path volumes_dir(const fs::path& root) { return root / "volumes"; }

bool name_char(char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return !first && (c == '_' || c == '.' || c == '-');
}

// "/proc/self/mountinfo" escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            int value = 0;
            for (size_t k = 1; k <= 3; ++k) value = value * 8 + (text[i + k] - '0');
            out += static_cast<char>(value);
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

// The mount points at or below `path` in this process's mount namespace.
std::vector<std::string> mounts_under(const fs::path& path) {
    std::vector<std::string> found;
    std::ifstream in("/proc/self/mountinfo");
    std::string prefix = path.string();
    for (std::string line; std::getline(in, line);) {
        // id parent major:minor root MOUNTPOINT …
        size_t start = 0;
        for (int field = 0; field < 4 && start != std::string::npos; ++field) {
            start = line.find(' ', start);
            if (start != std::string::npos) ++start;
        }
        if (start == std::string::npos) continue;
        size_t end = line.find(' ', start);
        std::string point = unescape_mountinfo(line.substr(start, end - start));
        if (point == prefix || point.rfind(prefix + "/", 0) == 0) found.push_back(point);
    }
    return found;
}

Result<VolumeRecord> read_record(const fs::path& dir) {
    auto text = TRY(sys::read_file(dir / "volume.json", 1 << 20));
    auto record = TRY(record_from_json(text));
    record.mountpoint = (dir / "_data").string();
    return record;
}

bool labels_match(const std::map<std::string, std::string>& labels, const std::vector<std::string>& filters) {
    for (std::string filter : filters) {
        bool negate = !filter.empty() && filter[0] == '!';
        if (negate) filter.erase(0, 1);
        size_t eq = filter.find('=');
        bool match;
        if (eq == std::string::npos) {
            match = labels.count(filter) > 0;
        } else {
            auto it = labels.find(filter.substr(0, eq));
            match = it != labels.end() && it->second == filter.substr(eq + 1);
        }
        if (match == negate) return false;
    }
    return true;
}

}  // namespace

Result<void> validate_volume_name(const std::string& name) {
    bool good = name.size() >= 2;
    for (size_t i = 0; good && i < name.size(); ++i) good = name_char(name[i], i == 0);
    if (good) return ok();
    std::string message = "create " + name + ": \"" + name +
                          "\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed";
    if (name.find('/') != std::string::npos) message += ". If you intended to pass a host directory, use absolute path";
    return Error(message);
}

Result<void> validate_driver_opts(const std::map<std::string, std::string>& driver_opts) {
    for (const auto& [key, value] : driver_opts)
        if (key != "type" && key != "device" && key != "o")
            return Error("invalid option key: \"" + key + "\" (the local driver knows type, device and o)");
    auto get = [&](const char* key) {
        auto it = driver_opts.find(key);
        return it == driver_opts.end() ? std::string() : it->second;
    };
    std::string type = get("type"), device = get("device"), options = get("o");
    bool bind = false;
    for (const auto& option : split_list(options, ','))
        bind = bind || option == "bind" || option == "rbind";
    if (driver_opts.empty()) return ok();
    if (type.empty() && !bind) return Error("missing required option: \"type\"");
    if (type != "tmpfs" && device.empty()) return Error("missing required option: \"device\"");
    if (bind) {
        if (device.empty() || device[0] != '/') return Error("invalid option \"device\": a bind needs an absolute host path");
        struct stat st {};
        if (::stat(device.c_str(), &st) != 0) return Error::from_syscall("stat", errno, "device " + device);
    }
    return ok();
}

std::string record_to_json(const VolumeRecord& record) {
    json j = {{"name", record.name},          {"driver", record.driver},   {"created", record.created},
              {"anonymous", record.anonymous}, {"driver_opts", record.driver_opts}, {"labels", record.labels}};
    return j.dump(2) + "\n";
}

Result<VolumeRecord> record_from_json(const std::string& text) {
    try {
        json j = json::parse(text);
        VolumeRecord r;
        r.name = j.at("name").get<std::string>();
        r.driver = j.value("driver", "local");
        r.created = j.value("created", "");
        r.anonymous = j.value("anonymous", false);
        r.driver_opts = j.value("driver_opts", std::map<std::string, std::string>{});
        r.labels = j.value("labels", std::map<std::string, std::string>{});
        return r;
    } catch (const std::exception& e) {
        return Error(std::string("volume record: ") + e.what());
    }
}

Result<VolumeRecord> create_volume(const fs::path& root, const VolumeSpec& spec) {
    VolumeRecord record;
    record.anonymous = spec.name.empty();
    record.name = record.anonymous ? container::generate_id() : spec.name;
    if (!record.anonymous) TRY(validate_volume_name(spec.name));
    if (spec.driver != "local" && !spec.driver.empty())
        return Error("create " + record.name + ": error looking up volume plugin " + spec.driver + ": plugin \"" +
                     spec.driver + "\" not found");
    if (auto valid = validate_driver_opts(spec.driver_opts); !valid.ok())
        return std::move(valid).error().context("create " + record.name);
    record.driver = "local";
    record.driver_opts = spec.driver_opts;
    record.labels = spec.labels;
    if (record.anonymous) record.labels[kAnonymousLabel] = "";
    record.created = sys::now_rfc3339();

    auto state_root = TRY(store::StateRoot::open(root));
    auto lock = TRY(state_root.lock());
    fs::path dir = volumes_dir(root) / record.name;
    std::error_code ec;
    if (fs::exists(dir / "volume.json", ec)) return read_record(dir);
    fs::create_directories(volumes_dir(root), ec);
    if (ec) return Error("mkdir " + volumes_dir(root).string() + ": " + ec.message());
    // Built beside its final place and renamed in, so a killed create leaves no half volume.
    auto temp = TRY(sys::TempDir::create(volumes_dir(root), ".tmp-"));
    if (::chmod(temp.path().c_str(), 0755) != 0) return Error::from_syscall("chmod", errno, temp.path().string());
    if (::mkdir((temp.path() / "_data").c_str(), 0755) != 0)
        return Error::from_syscall("mkdir", errno, (temp.path() / "_data").string());
    TRY(sys::write_file_atomic(temp.path() / "volume.json", record_to_json(record), 0644));
    if (::rename(temp.path().c_str(), dir.c_str()) != 0) return Error::from_syscall("rename", errno, dir.string());
    temp.release();
    record.mountpoint = (dir / "_data").string();
    return record;
}

Result<std::vector<VolumeRecord>> list_volumes(const fs::path& root) {
    std::vector<VolumeRecord> out;
    std::error_code ec;
    fs::directory_iterator it(volumes_dir(root), ec), end;
    if (ec) return out;  // no volume yet
    for (; it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        auto record = read_record(it->path());
        if (record.ok()) out.push_back(std::move(*record));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

Result<VolumeRecord> find_volume(const fs::path& root, const std::string& name) {
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos)
        return Error("get " + name + ": no such volume");
    fs::path dir = volumes_dir(root) / name;
    std::error_code ec;
    if (!fs::exists(dir / "volume.json", ec)) return Error("get " + name + ": no such volume");
    return read_record(dir);
}

Result<std::vector<std::string>> volume_users(const fs::path& root, const std::string& name) {
    auto store = TRY(container::ContainerStore::open(root));
    auto records = TRY(store.list());
    std::vector<std::string> users;
    for (const auto& record : records) {
        // A volumes_from source that is gone leaves the container's own mounts.
        auto mounts = effective_mounts(store, record);
        for (const auto& m : mounts.ok() ? *mounts : record.mounts)
            if (m.value("type", "") == "volume" && m.value("source", "") == name) {
                users.push_back(record.id);
                break;
            }
    }
    return users;
}

namespace {

Result<void> remove_unused(const fs::path& root, const std::string& name, bool force, const std::string& ignored_user) {
    auto found = find_volume(root, name);
    if (!found.ok()) {
        if (force) return ok();
        return Error("remove " + name + ": no such volume");
    }
    auto state_root = TRY(store::StateRoot::open(root));
    auto lock = TRY(state_root.lock());
    auto users = TRY(volume_users(root, name));
    users.erase(std::remove(users.begin(), users.end(), ignored_user), users.end());
    if (!users.empty()) {
        std::string list;
        for (const auto& id : users) list += (list.empty() ? "" : ", ") + id;
        return Error("remove " + name + ": volume is in use - [" + list + "]");
    }
    unmount_volume(*found);
    fs::path dir = volumes_dir(root) / name;
    // Never remove through a mount: that would delete the host's files under it.
    if (auto left = mounts_under(dir); !left.empty())
        return Error("remove " + name + ": " + left.front() + " is still mounted");
    fs::path doomed = volumes_dir(root) / (".rm-" + container::generate_id().substr(0, 16));
    if (::rename(dir.c_str(), doomed.c_str()) != 0) return Error::from_syscall("rename", errno, dir.string());
    std::error_code ec;
    fs::remove_all(doomed, ec);
    if (ec) return Error("remove " + name + ": " + ec.message());
    return ok();
}

}  // namespace

Result<void> remove_volume(const fs::path& root, const std::string& name, bool force) {
    return remove_unused(root, name, force, "");
}

Result<void> remove_volume_of(const fs::path& root, const std::string& name, const std::string& container_id) {
    return remove_unused(root, name, true, container_id);
}

Result<std::vector<std::string>> prune_volumes(const fs::path& root, bool all,
                                               const std::vector<std::string>& label_filters) {
    std::vector<std::string> removed;
    for (const auto& volume : TRY(list_volumes(root))) {
        if (!all && !volume.anonymous) continue;
        if (!labels_match(volume.labels, label_filters)) continue;
        if (!TRY(volume_users(root, volume.name)).empty()) continue;
        if (remove_volume(root, volume.name, false).ok()) removed.push_back(volume.name);
    }
    return removed;
}

bool mounts_something(const VolumeRecord& volume) { return !volume.driver_opts.empty(); }

Result<void> mount_volume(const fs::path&, const VolumeRecord& volume) {
    if (!mounts_something(volume)) return ok();
    if (!mounts_under(volume.mountpoint).empty()) return ok();  // another container mounted it
    auto get = [&](const char* key) {
        auto it = volume.driver_opts.find(key);
        return it == volume.driver_opts.end() ? std::string() : it->second;
    };
    auto options = runtime::parse_mount_options(split_list(get("o"), ','));
    std::string type = get("type"), device = get("device");
    const char* what = "mount";
    unsigned long flags = options.flags & ~MS_BIND;
    int rc;
    if (options.bind) {
        rc = ::mount(device.c_str(), volume.mountpoint.c_str(), nullptr, MS_BIND | (options.recursive ? MS_REC : 0),
                     nullptr);
        if (rc == 0 && (flags & MS_RDONLY))
            rc = ::mount("", volume.mountpoint.c_str(), nullptr, MS_BIND | MS_REMOUNT | flags, nullptr);
    } else {
        if (type == "tmpfs" && device.empty()) device = "tmpfs";
        rc = ::mount(device.c_str(), volume.mountpoint.c_str(), type.c_str(), flags,
                     options.data.empty() ? nullptr : options.data.c_str());
    }
    if (rc != 0) {
        int saved = errno;
        unmount_volume(volume);
        return Error::from_syscall(what, saved, "volume " + volume.name + " (" + type + " " + device + ")");
    }
    return ok();
}

void unmount_volume(const VolumeRecord& volume) {
    if (volume.mountpoint.empty()) return;
    for (int i = 0; i < 8 && !mounts_under(volume.mountpoint).empty(); ++i)
        if (::umount2(volume.mountpoint.c_str(), MNT_DETACH) != 0) break;
}

uint64_t volume_size(const VolumeRecord& volume) {
    uint64_t total = 0;
    std::error_code ec;
    fs::recursive_directory_iterator it(volume.mountpoint, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += static_cast<uint64_t>(st.st_size);
    }
    return total;
}

}  // namespace hako::volume
