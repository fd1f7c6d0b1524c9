// This file implements the container store (container_store.h): records as JSON
// files, lookups by id, prefix or name, and the state the monitor keeps current.
#include "engine/container/container_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>
#include <nlohmann/json.hpp>
#include <system_error>

#include "engine/container/retire.h"
#include "engine/container/spare.h"
#include "engine/runtime/state.h"
#include "engine/sys/file.h"

namespace hako::container {

using nlohmann::json;
namespace fs = std::filesystem;

std::vector<std::string> ContainerRecord::args() const {
    std::vector<std::string> all = entrypoint;
    all.insert(all.end(), cmd.begin(), cmd.end());
    return all;
}

std::string record_to_json(const ContainerRecord& r) {
    json j = {{"id", r.id},
              {"name", r.name},
              {"created", r.created},
              {"image", r.image},
              {"image_id", r.image_id},
              {"env", r.env},
              {"cmd", r.cmd},
              {"entrypoint", r.entrypoint},
              {"working_dir", r.working_dir},
              {"user", r.user},
              {"labels", r.labels},
              {"hostname", r.hostname},
              {"stop_signal", r.stop_signal},
              {"stop_timeout", r.stop_timeout},
              {"memory", r.memory},
              {"nano_cpus", r.nano_cpus},
              {"pids_limit", r.pids_limit},
              {"restart", {{"name", restart_mode_name(r.restart.mode)}, {"max_retries", r.restart.max_retries}}},
              {"privileged", r.privileged},
              {"read_only", r.read_only},
              {"auto_remove", r.auto_remove},
              {"cap_add", r.cap_add},
              {"cap_drop", r.cap_drop},
              {"network", r.network},
              {"binds", r.binds},
              {"tmpfs", r.tmpfs},
              {"networking", r.networking},
              {"mounts", r.mounts},
              {"devices", r.devices},
              {"health", r.health},
              {"process", r.process}};
    return j.dump(2) + "\n";
}

Result<ContainerRecord> record_from_json(const std::string& text) {
    try {
        json j = json::parse(text);
        ContainerRecord r;
        r.id = j.at("id").get<std::string>();
        r.name = j.at("name").get<std::string>();
        r.created = j.value("created", "");
        r.image = j.value("image", "");
        r.image_id = j.value("image_id", "");
        r.env = j.value("env", std::vector<std::string>{});
        r.cmd = j.value("cmd", std::vector<std::string>{});
        r.entrypoint = j.value("entrypoint", std::vector<std::string>{});
        r.working_dir = j.value("working_dir", "");
        r.user = j.value("user", "");
        r.labels = j.value("labels", std::map<std::string, std::string>{});
        r.hostname = j.value("hostname", "");
        r.stop_signal = j.value("stop_signal", "SIGTERM");
        r.stop_timeout = j.value("stop_timeout", 10);
        r.memory = j.value("memory", int64_t{0});
        r.nano_cpus = j.value("nano_cpus", int64_t{0});
        r.pids_limit = j.value("pids_limit", int64_t{0});
        if (j.contains("restart")) {
            auto policy = parse_restart_policy(j["restart"].value("name", "no"));
            if (policy.ok()) r.restart = *policy;
            r.restart.max_retries = j["restart"].value("max_retries", 0);
        }
        r.privileged = j.value("privileged", false);
        r.read_only = j.value("read_only", false);
        r.auto_remove = j.value("auto_remove", false);
        r.cap_add = j.value("cap_add", std::vector<std::string>{});
        r.cap_drop = j.value("cap_drop", std::vector<std::string>{});
        r.network = j.value("network", "none");
        r.binds = j.value("binds", std::vector<std::string>{});
        r.tmpfs = j.value("tmpfs", std::vector<std::string>{});
        r.networking = j.value("networking", json::object());
        r.mounts = j.value("mounts", json::array());
        r.devices = j.value("devices", json::object());
        r.health = j.value("health", json::object());
        r.process = j.value("process", json::object());
        return r;
    } catch (const std::exception& e) {
        return Error(std::string("bad container record: ") + e.what());
    }
}

std::string state_to_json(const ContainerState& s) {
    json j = {{"status", s.status},
              {"pid", s.pid},
              {"exit_code", s.exit_code},
              {"oom_killed", s.oom_killed},
              {"started_at", s.started_at},
              {"finished_at", s.finished_at},
              {"monitor_pid", s.monitor_pid},
              {"monitor_start_time", s.monitor_start_time},
              {"restart_count", s.restart_count},
              {"error", s.error},
              {"health_status", s.health_status},
              {"health_failing_streak", s.health_failing_streak},
              {"health_log", s.health_log}};
    return j.dump() + "\n";
}

Result<ContainerState> state_from_json(const std::string& text) {
    try {
        json j = json::parse(text);
        ContainerState s;
        s.status = j.value("status", "created");
        s.pid = j.value("pid", 0);
        s.exit_code = j.value("exit_code", 0);
        s.oom_killed = j.value("oom_killed", false);
        s.started_at = j.value("started_at", s.started_at);
        s.finished_at = j.value("finished_at", s.finished_at);
        s.monitor_pid = j.value("monitor_pid", 0);
        s.monitor_start_time = j.value("monitor_start_time", uint64_t{0});
        s.restart_count = j.value("restart_count", 0);
        s.error = j.value("error", "");
        s.health_status = j.value("health_status", "");
        s.health_failing_streak = j.value("health_failing_streak", 0);
        s.health_log = j.value("health_log", json::array());
        return s;
    } catch (const std::exception& e) {
        return Error(std::string("bad container state: ") + e.what());
    }
}

bool monitor_alive(const ContainerState& state) {
    if (state.monitor_pid <= 0 || state.monitor_start_time == 0 ||
        runtime::process_start_time(state.monitor_pid) != state.monitor_start_time)
        return false;
    // A monitor that exited stays a zombie until init reaps it, which can take a while.
    auto stat = sys::read_file("/proc/" + std::to_string(state.monitor_pid) + "/stat", 4096);
    if (!stat.ok()) return false;
    size_t paren = stat->rfind(')');
    return paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] != 'Z';
}

Result<ContainerStore> ContainerStore::open(const fs::path& root) {
    auto state_root = TRY(store::StateRoot::open(root));
    ContainerStore store(std::move(state_root));
    const std::string key = store.containers_dir().string();
    if (store::checked_once(key)) return store;
    std::error_code ec;
    fs::create_directories(store.containers_dir(), ec);
    if (ec) return Error::from_syscall("mkdir", ec.value(), store.containers_dir().string());
    fs::create_directories(store.runtime_state_dir(), ec);
    if (ec) return Error::from_syscall("mkdir", ec.value(), store.runtime_state_dir().string());
    store::remember_checked(key);
    return store;
}

namespace {

// The names of a root's containers, for create's check under the root's lock:
// each record is parsed once per process and kept while its container.json keeps
// its inode, size and change time (a rename rewrites it), so the creates of an `up`
// of N services parse N records in all instead of N*N/2 under the lock.
class NameCache {
public:
    // The id of the container named `name`, or "".
    std::string holder(const fs::path& containers, const std::string& name) {
        std::lock_guard guard(mutex_);
        std::string found;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(containers, ec)) {
            std::string id = entry.path().filename().string();
            fs::path file = entry.path() / "container.json";
            struct stat st {};
            if (::stat(file.c_str(), &st) != 0) continue;  // a folder still being created has no record yet
            Key key{file.string(), st.st_ino, st.st_size, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
            auto cached = names_.find(key);
            if (cached == names_.end()) {
                auto text = sys::read_file(file, 1 << 20);
                if (!text.ok()) continue;
                auto record = record_from_json(*text);
                if (!record.ok()) continue;
                cached = names_.emplace(key, record->name).first;
            }
            if (cached->second == name && found.empty()) found = id;
        }
        return found;
    }

private:
    using Key = std::tuple<std::string, ino_t, off_t, time_t, long>;
    std::mutex mutex_;
    std::map<Key, std::string> names_;
};

NameCache& name_cache() {
    static NameCache cache;
    return cache;
}

}  // namespace

Result<void> ContainerStore::create(const ContainerRecord& record) const {
    std::optional<sys::FileLock> lock;
    lock.emplace(TRY(root_.lock()));
    if (std::string other = name_cache().holder(containers_dir(), record.name); !other.empty())
        return Error("Conflict. The container name \"/" + record.name + "\" is already in use by container \"" +
                         other + "\". You have to remove (or rename) that container to be able to reuse that name.",
                     kRunFailure);
    fs::path d = dir(record.id);
    // A removed container's emptied folder, when one waits: one rename instead
    // of four folders (inode allocations are the slow part here).
    if (!take_spare_folder(root_, d)) {
        for (const char* sub : {"", "rootfs", "upper", "work"}) {
            fs::path p = sub[0] ? d / sub : d;
            // upper/ is the container's "/" once overlaid: 0755 like an image root, or
            // only root could reach any file in it.
            mode_t mode = std::string_view(sub) == "upper" ? 0755 : 0700;
            // chmod whatever the umask: reading it (umask(0) and back) would race other
            // threads of an `up` creating files in between.
            if (::mkdir(p.c_str(), mode) != 0 || ::chmod(p.c_str(), mode) != 0)
                return Error::from_syscall("mkdir", errno, p.string());
        }
    }
    // Written without waiting for the disk while the root's lock is held: every
    // create of an `up` queues on this lock, and four fsyncs under it made the
    // creates of 30 services a 30-step chain of 5-40 ms each. Synced after.
    // No state.json yet: a folder with a record and no state is "created"
    // (read_state), which saves an inode per container.
    TRY(sys::write_file_atomic(d / "container.json", record_to_json(record), 0600, sys::Durability::Volatile));
    lock.reset();
    // A --rm container's files die with its one run: waiting for the disk buys
    // nothing (and on ext4 an unlink of a synced file costs milliseconds more).
    if (record.auto_remove) return ok();
    for (const fs::path& path : {d / "container.json", d}) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) return ok();  // removed meanwhile: nothing to keep
        if (fd < 0) return Error::from_syscall("open", errno, path.string());
        int synced = ::fsync(fd);
        int error = errno;
        ::close(fd);
        if (synced != 0) return Error::from_syscall("fsync", error, path.string());
    }
    return ok();
}

Result<ContainerRecord> ContainerStore::read(const std::string& id) const {
    auto text = TRY(sys::read_file(dir(id) / "container.json", 1 << 20));
    return record_from_json(text);
}

Result<std::vector<ContainerRecord>> ContainerStore::list() const {
    std::vector<ContainerRecord> all;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(containers_dir(), ec)) {
        auto record = read(entry.path().filename().string());
        if (record.ok()) all.push_back(std::move(*record));  // a folder still being created has no record yet
    }
    if (ec) return Error::from_syscall("opendir", ec.value(), containers_dir().string());
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.created > b.created; });
    return all;
}

Result<ContainerRecord> ContainerStore::find(const std::string& ref) const {
    std::string key = !ref.empty() && ref[0] == '/' ? ref.substr(1) : ref;
    auto all = TRY(list());
    for (const auto& r : all)
        if (r.id == key || r.name == key) return r;
    const ContainerRecord* match = nullptr;
    if (!key.empty()) {
        for (const auto& r : all) {
            if (r.id.rfind(key, 0) != 0) continue;
            if (match) return Error("multiple containers match the prefix " + key);
            match = &r;
        }
    }
    if (!match) return Error("No such container: " + ref);
    return *match;
}

Result<ContainerState> ContainerStore::read_state(const std::string& id) const {
    auto text = sys::read_file(dir(id) / "state.json", 1 << 20);
    if (!text.ok()) {
        // create writes no state: a container that never ran has only its record.
        if (text.error().errno_value == ENOENT && ::access((dir(id) / "container.json").c_str(), F_OK) == 0)
            return ContainerState{};
        return std::move(text).error();
    }
    return state_from_json(*text);
}

Result<void> ContainerStore::write_state(const std::string& id, const ContainerState& state) const {
    // Not synced: after a crash the monitor it names is gone, and observed_state
    // reports the container exited whatever the file says.
    return sys::write_file_atomic(dir(id) / "state.json", state_to_json(state), 0600, sys::Durability::Volatile);
}

ContainerState ContainerStore::observed_state(const std::string& id) const {
    auto state = read_state(id);
    if (!state.ok()) {
        ContainerState dead;
        dead.status = "dead";
        dead.error = state.error().message;
        return dead;
    }
    if ((state->status == "running" || state->status == "restarting") && !monitor_alive(*state)) {
        state->status = "exited";
        state->pid = 0;
        if (state->error.empty()) state->error = "the container's monitor is gone";
    }
    return *state;
}

Result<void> ContainerStore::remove_files(const std::string& id) const {
    // Out of the store in one rename first: a listing never shows it half removed.
    auto retired = TRY(retire_files(*this, id));
    return dispose_retired(root_, retired);
}

}  // namespace hako::container
