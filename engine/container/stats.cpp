// This file implements a container's resource figures from its cgroup and
// network namespace (stats.h).
#include "engine/container/stats.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <sstream>
#include <system_error>

#include "engine/runtime/cgroup.h"
#include "engine/sys/file.h"

namespace hako::container {

namespace {

namespace fs = std::filesystem;

std::optional<uint64_t> to_number(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// The first of `dirs` that holds `file`, read whole; nullopt when none does.
std::optional<std::string> read_first(const std::vector<fs::path>& dirs, const char* file) {
    for (const auto& dir : dirs) {
        auto text = sys::read_file(dir / file, 1 << 20);
        if (text.ok()) return std::move(text).value();
    }
    return std::nullopt;
}

std::optional<uint64_t> number_file(const std::vector<fs::path>& dirs, const char* file) {
    auto text = read_first(dirs, file);
    return text ? to_number(*text) : std::nullopt;
}

// "key value" lines (memory.stat, cpu.stat).
std::optional<uint64_t> keyed(std::string_view text, std::string_view key) {
    std::istringstream in{std::string(text)};
    std::string name;
    uint64_t value;
    while (in >> name >> value)
        if (name == key) return value;
    return std::nullopt;
}

uint64_t system_cpu_ns(std::string_view proc_stat) {
    std::istringstream in{std::string(proc_stat)};
    std::string label;
    in >> label;
    if (label != "cpu") return 0;
    uint64_t ticks = 0, value;
    for (int i = 0; i < 8 && in >> value; ++i) ticks += value;  // user … steal, as docker sums them
    long hz = ::sysconf(_SC_CLK_TCK);
    return ticks * (1'000'000'000 / static_cast<uint64_t>(hz > 0 ? hz : 100));
}

uint32_t cpus_in(std::string_view proc_stat) {
    uint32_t count = 0;
    size_t at = 0;
    while ((at = proc_stat.find("\ncpu", at)) != std::string_view::npos) {
        at += 4;
        if (at < proc_stat.size() && proc_stat[at] >= '0' && proc_stat[at] <= '9') ++count;
    }
    return count == 0 ? 1 : count;
}

void block_io(const std::vector<fs::path>& dirs, ContainerStats& stats) {
    if (auto v2 = read_first(dirs, "io.stat")) {
        // "8:0 rbytes=1 wbytes=2 rios=…" per device.
        std::istringstream in(*v2);
        std::string word;
        while (in >> word) {
            if (word.rfind("rbytes=", 0) == 0) stats.block_read += to_number(word.substr(7)).value_or(0);
            if (word.rfind("wbytes=", 0) == 0) stats.block_write += to_number(word.substr(7)).value_or(0);
        }
        return;
    }
    if (auto v1 = read_first(dirs, "blkio.throttle.io_service_bytes")) {
        // "8:0 Read 123" per device and operation, then "Total N".
        std::istringstream in(*v1);
        std::string device, op;
        uint64_t value;
        while (in >> device) {
            if (device == "Total") {
                in >> value;
                continue;
            }
            if (!(in >> op >> value)) break;
            if (op == "Read") stats.block_read += value;
            if (op == "Write") stats.block_write += value;
        }
    }
}

uint64_t host_memory_bytes() {
    auto text = sys::read_file("/proc/meminfo", 1 << 16);
    if (!text.ok()) return 0;
    auto at = text->find("MemTotal:");
    if (at == std::string::npos) return 0;
    std::istringstream in(text->substr(at + 9));
    uint64_t kib = 0;
    in >> kib;
    return kib * 1024;
}

}  // namespace

ContainerStats stats_from(const std::vector<fs::path>& dirs, std::string_view proc_stat, uint64_t host_memory,
                          std::string_view net_dev) {
    ContainerStats stats;
    if (auto usage = number_file(dirs, "cpuacct.usage")) {
        stats.cpu_usage_ns = *usage;
    } else if (auto cpu = read_first(dirs, "cpu.stat")) {
        stats.cpu_usage_ns = keyed(*cpu, "usage_usec").value_or(0) * 1000;
    }
    stats.system_cpu_ns = system_cpu_ns(proc_stat);
    stats.online_cpus = cpus_in(proc_stat);

    uint64_t limit = 0;
    if (auto v1 = number_file(dirs, "memory.usage_in_bytes")) {
        auto stat = read_first(dirs, "memory.stat").value_or("");
        uint64_t inactive = keyed(stat, "total_inactive_file").value_or(0);
        stats.memory_usage = *v1 > inactive ? *v1 - inactive : *v1;
        limit = number_file(dirs, "memory.limit_in_bytes").value_or(0);
    } else if (auto v2 = number_file(dirs, "memory.current")) {
        auto stat = read_first(dirs, "memory.stat").value_or("");
        uint64_t inactive = keyed(stat, "inactive_file").value_or(0);
        stats.memory_usage = *v2 > inactive ? *v2 - inactive : *v2;
        limit = number_file(dirs, "memory.max").value_or(0);  // "max" is no number: 0
    }
    // v1 says "no limit" with a huge page-rounded number.
    stats.memory_limit = (limit == 0 || (host_memory != 0 && limit > host_memory)) ? host_memory : limit;
    stats.pids = number_file(dirs, "pids.current").value_or(0);
    block_io(dirs, stats);

    // "  eth0: rx_bytes packets … (8 fields) tx_bytes …" after two header lines.
    std::istringstream in{std::string(net_dev)};
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        name.erase(0, name.find_first_not_of(' '));
        if (name == "lo") continue;
        std::istringstream fields(line.substr(colon + 1));
        uint64_t value[9] = {};
        for (auto& v : value) fields >> v;
        stats.net_rx += value[0];
        stats.net_tx += value[8];
    }
    return stats;
}

Result<ContainerStats> read_stats(const ContainerRecord& record, pid_t pid) {
    auto group = TRY(runtime::Cgroup::open("/hako/" + record.id));
    std::error_code ec;
    bool any = false;
    for (const auto& dir : group.directories()) any = any || fs::exists(dir, ec);
    if (!any) return Error("container " + record.name + " has no cgroup: is it running?");
    auto proc_stat = TRY(sys::read_file("/proc/stat", 1 << 20));
    std::string net_dev;
    if (pid > 0) {
        auto text = sys::read_file("/proc/" + std::to_string(pid) + "/net/dev", 1 << 20);
        if (text.ok()) net_dev = std::move(text).value();
    }
    return stats_from(group.directories(), proc_stat, host_memory_bytes(), net_dev);
}

double cpu_percent(const ContainerStats& before, const ContainerStats& after) {
    if (after.cpu_usage_ns < before.cpu_usage_ns || after.system_cpu_ns <= before.system_cpu_ns) return 0.0;
    double container = static_cast<double>(after.cpu_usage_ns - before.cpu_usage_ns);
    double system = static_cast<double>(after.system_cpu_ns - before.system_cpu_ns);
    return container / system * after.online_cpus * 100.0;
}

double memory_percent(const ContainerStats& stats) {
    if (stats.memory_limit == 0) return 0.0;
    return static_cast<double>(stats.memory_usage) / static_cast<double>(stats.memory_limit) * 100.0;
}

std::string human_size(double bytes, bool binary) {
    static const char* const decimal_units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    static const char* const binary_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double base = binary ? 1024.0 : 1000.0;
    size_t unit = 0;
    while (bytes >= base && unit < 6) {
        bytes /= base;
        ++unit;
    }
    char text[64];
    std::snprintf(text, sizeof text, binary ? "%.4g%s" : "%.3g%s", bytes, (binary ? binary_units : decimal_units)[unit]);
    return text;
}

}  // namespace hako::container
