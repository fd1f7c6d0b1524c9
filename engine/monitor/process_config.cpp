// This file implements the process section rules (process_config.h).
#include "engine/monitor/process_config.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>

#include "engine/runtime/process_setup.h"
#include "engine/sys/helper_process.h"

namespace hako::monitor {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr ExitCode kRunFailure = static_cast<ExitCode>(125);

Error bad(const std::string& what) { return Error("process." + what, kRunFailure); }

std::string rlimit_name(const std::string& ulimit) {
    std::string upper = "RLIMIT_";
    for (char c : ulimit) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
}

Result<std::pair<uint64_t, uint64_t>> ulimit_values(const std::string& name, const json& value) {
    auto number = [&](const json& v) -> Result<uint64_t> {
        if (!v.is_number_integer()) return bad("ulimits." + name + ": a number is expected");
        int64_t n = v.get<int64_t>();
        return n < 0 ? uint64_t{RLIM_INFINITY} : static_cast<uint64_t>(n);
    };
    if (value.is_number_integer()) {
        uint64_t n = TRY(number(value));
        return std::pair{n, n};
    }
    if (!value.is_object() || !value.contains("soft") || !value.contains("hard"))
        return bad("ulimits." + name + ": {\"soft\": N, \"hard\": N} is expected");
    uint64_t soft = TRY(number(value["soft"])), hard = TRY(number(value["hard"]));
    if (soft > hard) return bad("ulimits." + name + ": the soft limit is above the hard limit");
    return std::pair{soft, hard};
}

bool is_string_list(const json& value) {
    return value.is_array() && std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); });
}

}  // namespace

Result<void> check_process_section(const json& p) {
    if (p.is_null()) return ok();
    if (!p.is_object()) return bad(": an object is expected");
    for (const char* key : {"tty", "stdin_open", "init"})
        if (p.contains(key) && !p[key].is_boolean()) return bad(std::string(key) + ": true or false is expected");
    for (const char* key : {"runtime", "pid", "ipc"})
        if (p.contains(key) && !p[key].is_string()) return bad(std::string(key) + ": a string is expected");
    std::string pid = p.value("pid", "");
    if (!pid.empty() && pid != "host") return bad("pid: only \"host\" is supported, not \"" + pid + "\"");
    std::string ipc = p.value("ipc", "");
    if (!ipc.empty() && ipc != "host" && ipc != "private" && ipc != "shareable" && ipc != "none")
        return bad("ipc: \"" + ipc + "\" is not supported (host, private, shareable)");
    if (p.contains("log")) {
        const json& log = p["log"];
        if (!log.is_object()) return bad("log: an object is expected");
        if (log.contains("max_size") && (!log["max_size"].is_number_integer() || log["max_size"].get<int64_t>() < 0))
            return bad("log.max_size: a size in bytes is expected");
        if (log.contains("max_file") && (!log["max_file"].is_number_integer() || log["max_file"].get<int64_t>() < 1))
            return bad("log.max_file: a number >= 1 is expected");
    }
    if (p.contains("sysctls")) {
        if (!p["sysctls"].is_object()) return bad("sysctls: an object is expected");
        for (const auto& [key, value] : p["sysctls"].items())
            if (!value.is_string() && !value.is_number()) return bad("sysctls." + key + ": a value is expected");
    }
    if (p.contains("shm_size") && (!p["shm_size"].is_number_integer() || p["shm_size"].get<int64_t>() < 0))
        return bad("shm_size: a size in bytes is expected");
    if (p.contains("ulimits")) {
        if (!p["ulimits"].is_object()) return bad("ulimits: an object is expected");
        for (const auto& [name, value] : p["ulimits"].items()) {
            if (!runtime::rlimit_resource(rlimit_name(name))) return bad("ulimits: unknown limit \"" + name + "\"");
            TRY(ulimit_values(name, value));
        }
    }
    for (const char* key : {"group_add", "security_opt"})
        if (p.contains(key) && !is_string_list(p[key])) return bad(std::string(key) + ": a list of strings is expected");
    if (p.contains("security_opt")) {
        for (const auto& opt : p["security_opt"]) {
            std::string o = opt.get<std::string>();
            std::replace(o.begin(), o.end(), ':', '=');
            if (o == "no-new-privileges" || o == "no-new-privileges=true" || o == "no-new-privileges=false" ||
                o == "seccomp=unconfined" || o.starts_with("apparmor=") || o.starts_with("label="))
                continue;
            return bad("security_opt: \"" + opt.get<std::string>() +
                       "\" is not supported (no-new-privileges, seccomp=unconfined)");
        }
    }
    return ok();
}

Result<void> apply_process_section(const json& p, runtime::ContainerConfig& c) {
    TRY(check_process_section(p));
    if (!p.is_object()) return ok();
    c.tty = p.value("tty", false);
    if (p.contains("sysctls"))
        for (const auto& [key, value] : p["sysctls"].items())
            c.sysctls[key] = value.is_string() ? value.get<std::string>() : value.dump();
    if (p.value("shm_size", int64_t{0}) > 0) c.shm_size = p["shm_size"].get<int64_t>();
    if (p.contains("ulimits")) {
        for (const auto& [name, value] : p["ulimits"].items()) {
            auto [soft, hard] = TRY(ulimit_values(name, value));
            c.rlimits.push_back({rlimit_name(name), hard, soft});
        }
    }
    if (p.contains("group_add"))
        for (const auto& g : p["group_add"]) c.group_add.push_back(g.get<std::string>());
    if (p.contains("security_opt")) {
        for (const auto& opt : p["security_opt"]) {
            std::string o = opt.get<std::string>();
            std::replace(o.begin(), o.end(), ':', '=');
            if (o == "no-new-privileges" || o == "no-new-privileges=true") c.no_new_privileges = true;
            if (o == "seccomp=unconfined") c.seccomp_unconfined = true;
        }
    }
    c.host_pid = p.value("pid", "") == "host";
    c.host_ipc = p.value("ipc", "") == "host";
    if (p.value("init", false)) {
        auto init = TRY(init_binary());
        c.args.insert(c.args.begin(), {kInitPathInContainer, "--"});
        c.mounts.push_back({kInitPathInContainer, "bind", init.string(), {"bind", "ro", "nosuid", "nodev"}});
    }
    return ok();
}

LogLimits log_limits(const json& p) {
    LogLimits limits;
    if (!p.is_object() || !p.contains("log") || !p["log"].is_object()) return limits;
    limits.max_size = p["log"].value("max_size", int64_t{0});
    limits.max_file = static_cast<int>(p["log"].value("max_file", int64_t{1}));
    return limits;
}

std::string external_runtime(const json& p) {
    if (!p.is_object()) return "";
    std::string runtime = p.value("runtime", "");
    if (runtime == "hako" || runtime == "builtin") return "";
    return runtime;
}

Result<fs::path> init_binary() {
    auto init = sys::binary_beside_self("hako-init");
    if (!init.ok()) return Error("--init: " + init.error().message, kRunFailure);
    return init;
}

}  // namespace hako::monitor
