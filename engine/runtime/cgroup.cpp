// This file implements the version-independent part of container cgroups:
// finding the hierarchies, creating, joining, listing and removing the folders.
#include "engine/runtime/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <set>
#include <sstream>
#include <thread>

#include "engine/sys/file.h"

namespace hako::runtime {
namespace {

namespace fs = std::filesystem;

const std::set<std::string> kV1Controllers = {"cpu",     "cpuacct", "cpuset",     "memory",   "devices",
                                              "freezer", "blkio",   "pids",       "net_cls",  "net_prio",
                                              "perf_event", "hugetlb", "rdma",    "misc"};

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        if (c == separator) {
            out.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    out.push_back(current);
    return out;
}

fs::path join(const fs::path& mountpoint, const std::string& path) {
    return mountpoint / fs::path(path).relative_path();
}

}  // namespace

Result<std::vector<CgroupMount>> host_cgroup_mounts() {
    struct Cached {
        std::vector<CgroupMount> mounts;
        std::optional<Error> error;
    };
    static const Cached cached = [] {
        Cached c;
        auto text = sys::read_file("/proc/self/mountinfo", 16 << 20);
        if (!text.ok()) c.error = std::move(text).error();
        else c.mounts = parse_cgroup_mounts(*text);
        if (!c.error && c.mounts.empty()) c.error = Error("no cgroup hierarchy is mounted");
        return c;
    }();
    if (cached.error) return *cached.error;
    return cached.mounts;
}

std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo) {
    std::vector<CgroupMount> out;
    std::set<std::string> seen;
    std::istringstream lines{std::string(mountinfo)};
    std::string line;
    while (std::getline(lines, line)) {
        auto fields = split(line, ' ');
        auto dash = std::find(fields.begin(), fields.end(), "-");
        if (dash == fields.end() || fields.size() < 5 || fields.end() - dash < 4) continue;
        const std::string& fstype = *(dash + 1);
        if (fstype != "cgroup" && fstype != "cgroup2") continue;
        CgroupMount mount;
        mount.mountpoint = fields[4];
        mount.v2 = fstype == "cgroup2";
        if (!mount.v2)
            for (const auto& option : split(*(dash + 3), ','))
                if (kV1Controllers.count(option) || option.starts_with("name=")) mount.controllers.push_back(option);
        std::string key = mount.v2 ? std::string("cgroup2") : "";
        for (const auto& c : mount.controllers) key += c + ",";
        if (!seen.insert(key).second) continue;  // the same hierarchy mounted twice
        out.push_back(std::move(mount));
    }
    return out;
}

CgroupLayout layout_of(const std::vector<CgroupMount>& mounts) {
    bool v1 = std::any_of(mounts.begin(), mounts.end(), [](const auto& m) { return !m.v2; });
    bool v2 = std::any_of(mounts.begin(), mounts.end(), [](const auto& m) { return m.v2; });
    if (v1 && v2) return CgroupLayout::Hybrid;
    return v1 ? CgroupLayout::V1 : CgroupLayout::V2;
}

bool uses_hierarchy(const CgroupMount& mount, CgroupLayout layout, bool cpuset) {
    if (layout == CgroupLayout::V2) return mount.v2;
    if (mount.v2) return false;  // hybrid: the unified mount carries no limit hako sets
    static const std::set<std::string> kUsed = {"memory", "cpu", "cpuacct", "pids", "devices", "freezer", "blkio"};
    for (const auto& c : mount.controllers) {
        if (kUsed.count(c)) return true;
        if (c == "cpuset" && cpuset) return true;
    }
    return false;
}

int64_t cpu_quota_for(double cpus, uint64_t period_us) {
    return static_cast<int64_t>(std::llround(cpus * static_cast<double>(period_us)));
}

std::string v2_cpu_max(std::optional<int64_t> quota, std::optional<uint64_t> period) {
    std::string q = (quota && *quota > 0) ? std::to_string(*quota) : "max";
    return q + " " + std::to_string(period.value_or(100000));
}

std::optional<std::string> v2_swap_max(std::optional<int64_t> limit, std::optional<int64_t> memory_swap) {
    if (!memory_swap) return std::nullopt;
    if (*memory_swap == -1) return std::string("max");
    if (!limit || *limit <= 0) return std::nullopt;
    return std::to_string(std::max<int64_t>(0, *memory_swap - *limit));
}

uint64_t v2_cpu_weight(uint64_t shares) {
    if (shares == 0) return 0;
    return 1 + ((shares - 2) * 9999) / 262142;
}

std::vector<std::pair<std::string, std::string>> v1_device_writes(const std::vector<DeviceRule>& rules) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& rule : rules) {
        std::string type = rule.type.empty() ? "a" : rule.type;
        std::string line = type;
        if (type != "a") {
            line += " " + (rule.major ? std::to_string(*rule.major) : std::string("*")) + ":" +
                    (rule.minor ? std::to_string(*rule.minor) : std::string("*")) + " " +
                    (rule.access.empty() ? std::string("rwm") : rule.access);
        }
        out.emplace_back(rule.allow ? "devices.allow" : "devices.deny", line);
    }
    return out;
}

Result<long long> read_cgroup_key(const fs::path& file, std::string_view key) {
    auto text = TRY(sys::read_file(file, 4096));
    std::istringstream in(text);
    std::string name;
    long long value = 0;
    while (in >> name >> value)
        if (name == key) return value;
    return 0LL;
}

Result<void> write_cgroup_file(const fs::path& file, std::string_view value) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Error::from_syscall("open", errno, file.string());
    ssize_t n = ::write(fd, value.data(), value.size());
    int saved = errno;
    ::close(fd);
    if (n < 0) return Error::from_syscall("write", saved, file.string() + " (" + std::string(value) + ")");
    return ok();
}

Result<Cgroup> Cgroup::open(const std::string& path) {
    auto mounts = TRY(host_cgroup_mounts());
    Cgroup group;
    group.path_ = path;
    group.layout_ = layout_of(mounts);
    for (const auto& m : mounts) {
        fs::path dir = join(m.mountpoint, path);
        bool is_cpuset = std::count(m.controllers.begin(), m.controllers.end(), "cpuset") > 0;
        std::error_code ec;
        if (!uses_hierarchy(m, group.layout_, is_cpuset && fs::exists(dir, ec))) continue;
        group.directories_.push_back(dir);
        bool memory = std::count(m.controllers.begin(), m.controllers.end(), "memory") > 0;
        if (group.layout_ == CgroupLayout::V2) {
            group.memory_dir_ = dir;
            group.procs_dir_ = dir;
        } else if (memory) {
            group.memory_dir_ = dir;
            if (group.procs_dir_.empty()) group.procs_dir_ = dir;
        }
    }
    if (group.procs_dir_.empty() && !group.directories_.empty()) group.procs_dir_ = group.directories_.front();
    return group;
}

Result<Cgroup> Cgroup::create(const std::string& path, const Resources& resources) {
    if (path.empty() || path.find("..") != std::string::npos) return Error("invalid cgroup path \"" + path + "\"");
    auto mounts = TRY(host_cgroup_mounts());
    CgroupLayout layout = layout_of(mounts);
    bool cpuset = resources.cpuset_cpus && !resources.cpuset_cpus->empty();
    std::erase_if(mounts, [&](const CgroupMount& m) { return !uses_hierarchy(m, layout, cpuset); });
    auto result = [&]() -> Result<void> {
        if (layout == CgroupLayout::V2) {
            const auto& m = *std::find_if(mounts.begin(), mounts.end(), [](const auto& x) { return x.v2; });
            return cgroup_v2::apply(m.mountpoint, path, resources);
        }
        // v1 and hybrid: limits live in the v1 controllers.
        return cgroup_v1::apply(mounts, path, resources);
    }();
    // After the folders exist: open() sees the cpuset folder made just now.
    auto group = open(path);
    if (result.ok() && !group.ok()) result = std::move(group).error();
    if (!result.ok()) {
        for (const auto& m : mounts) ::rmdir(join(m.mountpoint, path).c_str());
        return std::move(result).error().context("cgroup " + path);
    }
    return std::move(group).value();
}

Result<void> Cgroup::add_process(pid_t pid) const {
    std::string value = std::to_string(pid);
    for (const auto& dir : directories_) TRY(write_cgroup_file(dir / "cgroup.procs", value));
    return ok();
}

Result<std::vector<sys::UniqueFd>> Cgroup::open_procs_files() const {
    std::vector<sys::UniqueFd> files;
    for (const auto& dir : directories_) {
        fs::path file = dir / "cgroup.procs";
        sys::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) return Error::from_syscall("open", errno, file.string());
        files.push_back(std::move(fd));
    }
    return files;
}

Result<std::vector<sys::UniqueFd>> Cgroup::open_task_files() const {
    std::vector<sys::UniqueFd> files;
    if (layout_ == CgroupLayout::V2) return files;
    for (const auto& dir : directories_) {
        fs::path file = dir / "tasks";
        sys::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd && errno == ENOENT) return std::vector<sys::UniqueFd>{};  // a v2 hierarchy of a hybrid host
        if (!fd) return Error::from_syscall("open", errno, file.string());
        files.push_back(std::move(fd));
    }
    return files;
}

int Cgroup::join_opened(const std::vector<sys::UniqueFd>& files, pid_t pid) noexcept {
    char text[24];
    auto [end, error] = std::to_chars(text, text + sizeof text, pid);
    (void)error;  // a pid always fits
    const auto length = static_cast<size_t>(end - text);
    for (size_t i = 0; i < files.size(); ++i)
        if (::write(files[i].get(), text, length) != static_cast<ssize_t>(length)) return static_cast<int>(i);
    return -1;
}

Result<bool> Cgroup::oom_killed() const {
    if (layout_ == CgroupLayout::V2) return cgroup_v2::oom_killed(memory_dir_);
    return cgroup_v1::oom_killed(memory_dir_);
}

Result<std::vector<pid_t>> Cgroup::processes() const {
    auto text = sys::read_file(procs_dir_ / "cgroup.procs", 16 << 20);
    if (!text.ok()) {
        if (text.error().errno_value == ENOENT) return std::vector<pid_t>{};
        return std::move(text).error();
    }
    std::vector<pid_t> pids;
    std::istringstream in(*text);
    pid_t pid;
    while (in >> pid) pids.push_back(pid);
    return pids;
}

Result<void> Cgroup::destroy() const {
    using namespace std::chrono;
    auto deadline = steady_clock::now() + seconds(5);
    for (;;) {
        auto pids = TRY(processes());
        if (pids.empty()) break;
        if (steady_clock::now() > deadline) return Error("cgroup " + path_ + ": processes survive SIGKILL");
        for (pid_t pid : pids) ::kill(pid, SIGKILL);
        std::this_thread::sleep_for(milliseconds(2));
    }
    for (const auto& dir : directories_) {
        for (;;) {
            if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
            if (errno != EBUSY || steady_clock::now() > deadline)
                return Error::from_syscall("rmdir", errno, dir.string());
            std::this_thread::sleep_for(milliseconds(2));
        }
    }
    return ok();
}

}  // namespace hako::runtime
