// This file implements the volume hooks of a container (container/hooks.h): at
// create the record's mounts (and docker-run -v/--tmpfs strings) are checked and
// their volumes created; before each run they become the spec's mounts (named
// volumes mounted and filled from the image, binds, tmpfs, secrets, configs);
// after the run and at remove, driver mounts and anonymous volumes go.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <system_error>

#include "engine/container/hooks.h"
#include "engine/container/lifecycle.h"
#include "engine/container/options.h"
#include "engine/image/image_store.h"
#include "engine/sys/lock.h"
#include "engine/sys/safe_path.h"
#include "engine/volume/copy_up.h"
#include "engine/volume/mount_spec.h"
#include "engine/volume/secrets.h"
#include "engine/volume/volume_store.h"

namespace hako::volume {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr auto kBad = container::kRunFailure;

namespace {

size_t depth(const std::string& path) { return split_list(path, '/').size(); }

// All mount entries of a new record, normalised: its `mounts`, then its docker-run
// binds and tmpfs strings.
Result<json> collect_mounts(const container::ContainerRecord& record) {
    json out = json::array();
    for (size_t i = 0; i < record.mounts.size(); ++i)
        out.push_back(TRY(normalize_mount(record.mounts[i], "mounts[" + std::to_string(i) + "]")));
    for (const auto& bind : record.binds) out.push_back(TRY(parse_volume_flag(bind)));
    for (const auto& tmpfs : record.tmpfs) out.push_back(TRY(parse_tmpfs_flag(tmpfs)));
    return out;
}

// Checks what the disk must hold for the mounts, before anything is created.
Result<void> check_sources(const container::ContainerStore& store, const json& mounts) {
    std::set<std::string> targets;
    for (const auto& m : mounts) {
        const std::string type = m["type"];
        const std::string source = m["source"];
        if (type == "volumes_from") {
            auto found = store.find(source);
            if (!found.ok()) return Error("volumes_from: No such container: " + source, kBad);
            continue;
        }
        if (!targets.insert(m["target"].get<std::string>()).second)
            return Error("Duplicate mount point: " + m["target"].get<std::string>(), kBad);
        if (type == "bind" && !m["bind"]["create_host_path"].get<bool>() && ::access(source.c_str(), F_OK) != 0)
            return Error("invalid mount config for type \"bind\": bind source path does not exist: " + source, kBad);
        if ((type == "secret" || type == "config") && m.contains("file") &&
            ::access(m["file"].get<std::string>().c_str(), R_OK) != 0)
            return Error(type + " " + source + ": cannot read " + m["file"].get<std::string>() + ": " +
                             std::strerror(errno),
                         kBad);
        if (type == "volume" && m["volume"].contains("driver_opts")) {
            std::map<std::string, std::string> opts;
            try {
                opts = m["volume"]["driver_opts"].get<std::map<std::string, std::string>>();
            } catch (const std::exception&) {
                return Error("volume " + source + ": driver options must be strings", kBad);
            }
            if (auto valid = validate_driver_opts(opts); !valid.ok())
                return Error("volume " + source + ": " + valid.error().message, kBad);
        }
    }
    return ok();
}

VolumeSpec spec_of(const json& m) {
    VolumeSpec spec;
    spec.name = m["source"];
    const json& volume = m["volume"];
    if (volume.contains("driver_opts")) spec.driver_opts = volume["driver_opts"].get<std::map<std::string, std::string>>();
    if (volume.contains("labels")) spec.labels = volume["labels"].get<std::map<std::string, std::string>>();
    return spec;
}

// The data folder to bind for a volume mount: the volume's _data or a subpath of it,
// which must exist and stay inside the volume.
Result<std::string> volume_source(const VolumeRecord& volume, const std::string& subpath) {
    if (subpath.empty()) return volume.mountpoint;
    int data = ::open(volume.mountpoint.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (data < 0) return Error::from_syscall("open", errno, volume.mountpoint);
    sys::UniqueFd data_owner(data);
    auto parts = TRY(sys::split_confined(subpath));
    auto opened = sys::open_confined(data, sys::join_components(parts), O_PATH, 0, sys::Resolve::Beneath);
    if (!opened.ok())
        return Error("volume " + volume.name + ": subpath " + subpath + ": " + opened.error().message, kBad);
    // The path as the kernel resolved it, so a symlink inside the volume is not followed again later.
    std::error_code ec;
    fs::path real = fs::read_symlink("/proc/self/fd/" + std::to_string(opened->get()), ec);
    if (ec || real.string().rfind(volume.mountpoint + "/", 0) != 0)
        return Error("volume " + volume.name + ": subpath " + subpath + " leaves the volume", kBad);
    return real.string();
}

// A named volume ready to bind: created if a reconciler wrote the record without
// it, the driver's mount made, and filled from the image when still empty.
Result<runtime::Mount> prepare_volume(const container::RunContext& context, const json& m) {
    const fs::path root = context.store.root().path();
    if (m["source"] == "") return Error("mount " + m["target"].get<std::string>() + ": a volume without name", kBad);
    auto volume = find_volume(root, m["source"]);
    if (!volume.ok()) volume = TRY(create_volume(root, spec_of(m)));  // a record written without check_create
    // One container at a time mounts and fills a volume.
    auto lock = TRY(sys::FileLock::acquire(root / "volumes" / volume->name / "lock", sys::LockMode::Exclusive));
    TRY(mount_volume(root, *volume));
    const json& options = m["volume"];
    if (!options.value("nocopy", false) && options.value("subpath", "").empty() &&
        TRY(folder_is_empty(volume->mountpoint))) {
        if (auto copied = copy_up(context.dir / "rootfs", m["target"], volume->mountpoint); !copied.ok())
            return Error("volume " + volume->name + ": copying the image's " + m["target"].get<std::string>() +
                         ": " + copied.error().message);
    }
    runtime::Mount mount;
    mount.source = TRY(volume_source(*volume, options.value("subpath", "")));
    mount.destination = m["target"];
    mount.type = "bind";
    mount.options = {"rbind", m["read_only"].get<bool>() ? "ro" : "rw", "rprivate"};
    return mount;
}

Result<runtime::Mount> prepare_bind(const json& m) {
    const std::string source = m["source"];
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) {
        if (errno != ENOENT || !m["bind"].value("create_host_path", false))
            return Error("invalid mount config for type \"bind\": bind source path does not exist: " + source, kBad);
        std::error_code ec;
        fs::create_directories(source, ec);
        if (ec) return Error("mkdir " + source + ": " + ec.message(), kBad);
    }
    runtime::Mount mount;
    mount.source = source;
    mount.destination = m["target"];
    mount.type = "bind";
    std::string propagation = m["bind"].value("propagation", "");
    mount.options = {"rbind", m["read_only"].get<bool>() ? "ro" : "rw", propagation.empty() ? "rprivate" : propagation};
    return mount;
}

runtime::Mount prepare_tmpfs(const json& m) {
    runtime::Mount mount;
    mount.source = mount.type = "tmpfs";
    mount.destination = m["target"];
    mount.options = {"nosuid", "nodev"};
    if (m["read_only"].get<bool>()) mount.options.push_back("ro");
    const json& tmpfs = m["tmpfs"];
    for (const auto& option : tmpfs.value("options", json::array())) mount.options.push_back(option);
    int64_t size = tmpfs.value("size", int64_t{0});
    if (size > 0) mount.options.push_back("size=" + std::to_string(size));
    int mode = tmpfs.value("mode", 0);
    char text[32];
    snprintf(text, sizeof text, "mode=%o", static_cast<unsigned>(mode > 0 ? mode : 01777) & 07777u);
    mount.options.push_back(text);
    return mount;
}

// The volumes of the container whose driver mount must go when it stops, unless
// another running container still uses them.
void release_driver_mounts(const container::RunContext& context) {
    auto mounts = effective_mounts(context.store, context.record);
    if (!mounts.ok()) return;
    const fs::path root = context.store.root().path();
    for (const auto& m : *mounts) {
        if (m.value("type", "") != "volume") continue;
        auto volume = find_volume(root, m.value("source", ""));
        if (!volume.ok() || !mounts_something(*volume)) continue;
        auto lock = sys::FileLock::acquire(root / "volumes" / volume->name / "lock", sys::LockMode::Exclusive);
        auto users = volume_users(root, volume->name);
        bool in_use = false;
        for (const auto& id : users.ok() ? *users : std::vector<std::string>{})
            if (id != context.record.id && container::is_running(context.store.observed_state(id))) in_use = true;
        if (!in_use) unmount_volume(*volume);
    }
}

// The image's VOLUME folders that no mount covers get an anonymous volume each, as docker does.
Result<void> add_image_volumes(const container::ContainerStore& store, const container::ContainerRecord& record,
                               json& mounts) {
    if (record.image_id.empty()) return ok();
    auto images = TRY(image::ImageStore::open(store.root().path()));
    auto config = images.config(record.image_id);
    if (!config.ok()) return ok();  // the lifecycle reports a broken image itself
    std::set<std::string> targets;
    for (const auto& m : mounts) targets.insert(m.value("target", ""));
    for (const auto& folder : config->config.volumes) {
        json entry = {{"type", "volume"}, {"source", ""}, {"target", folder}, {"read_only", false}};
        auto normalized = normalize_mount(entry, "image VOLUME " + folder);
        if (!normalized.ok() || targets.count((*normalized)["target"].get<std::string>())) continue;
        mounts.push_back(*normalized);
    }
    return ok();
}

}  // namespace

Result<void> check_create(const container::ContainerStore& store, container::ContainerRecord& record) {
    json mounts = TRY(collect_mounts(record));
    TRY(add_image_volumes(store, record, mounts));
    TRY(check_sources(store, mounts));
    // The store refuses a name in use after this hook: create no volume for it.
    for (const auto& other : TRY(store.list()))
        if (other.name == record.name) {
            record.mounts = mounts;
            return ok();
        }
    const fs::path root = store.root().path();
    std::vector<std::string> created;  // removed again if a later volume fails
    for (auto& m : mounts) {
        if (m["type"] != "volume") continue;
        bool existed = !m["source"].get<std::string>().empty() && find_volume(root, m["source"]).ok();
        if (existed) continue;
        auto volume = create_volume(root, spec_of(m));
        if (!volume.ok()) {
            for (const auto& name : created) (void)remove_volume(root, name, true);
            return Error(volume.error().message, kBad);
        }
        m["source"] = volume->name;
        created.push_back(volume->name);
    }
    record.mounts = mounts;
    return ok();
}

Result<void> prepare(const container::RunContext& context, runtime::ContainerConfig& config) {
    json mounts = TRY(effective_mounts(context.store, context.record));
    // Parents before children, so /data/cache lands inside the /data mount.
    std::vector<json> ordered(mounts.begin(), mounts.end());
    std::stable_sort(ordered.begin(), ordered.end(), [](const json& a, const json& b) {
        return depth(a.value("target", "")) < depth(b.value("target", ""));
    });
    for (size_t i = 0; i < ordered.size(); ++i) {
        const json m = TRY(normalize_mount(ordered[i], "mount " + ordered[i].value("target", "")));
        const std::string type = m["type"];
        if (type == "volume") config.mounts.push_back(TRY(prepare_volume(context, m)));
        else if (type == "bind") config.mounts.push_back(TRY(prepare_bind(m)));
        else if (type == "tmpfs") config.mounts.push_back(prepare_tmpfs(m));
        else if (type == "secret" || type == "config")
            config.mounts.push_back(TRY(materialize_file_mount(context.dir, i, m)));
    }
    return ok();
}

void release(const container::RunContext& context) { release_driver_mounts(context); }

Result<void> on_remove(const container::RunContext& context, bool remove_volumes) {
    release_driver_mounts(context);
    if (!remove_volumes) return ok();
    const fs::path root = context.store.root().path();
    for (const auto& m : context.record.mounts) {
        if (m.value("type", "") != "volume") continue;
        auto volume = find_volume(root, m.value("source", ""));
        if (!volume.ok() || !volume->anonymous) continue;
        // Kept while another container (volumes_from) still uses it, as docker does.
        auto users = volume_users(root, volume->name);
        if (!users.ok()) continue;
        bool others = std::any_of(users->begin(), users->end(), [&](const auto& id) { return id != context.record.id; });
        if (others) continue;
        TRY(remove_volume_of(root, volume->name, context.record.id));
    }
    return ok();
}

}  // namespace hako::volume
