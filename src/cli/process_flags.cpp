// This file registers the process flags of container run/create: -i, -t, --init,
// the healthcheck flags, --runtime, --log-opt, --sysctl, --ulimit, --shm-size,
// --group-add, --security-opt, --pid, --ipc, --stop-signal and --stop-timeout. They
// fill the request's `process` and `health` sections (shapes in container_store.h).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/container/options.h"
#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

using nlohmann::json;
constexpr ExitCode kRunFailure = container::kRunFailure;

struct ProcessRunFlags : ModuleRunFlags {
    bool interactive = false, tty = false, init = false, no_healthcheck = false;
    std::string health_cmd, health_interval, health_timeout, health_start_period, health_start_interval;
    int health_retries = 0;
    std::string runtime, shm_size, pid, ipc, stop_signal;
    int stop_timeout = 0;
    std::vector<std::string> log_opts, sysctls, ulimits, group_add, security_opts;
    CLI::Option *retries_option = nullptr, *stop_timeout_option = nullptr;

    Result<void> finish(const Context&, container::CreateRequest& request) override {
        json& process = request.process;
        if (!process.is_object()) process = json::object();
        if (interactive) process["stdin_open"] = true;
        if (tty) process["tty"] = true;
        if (init) process["init"] = true;
        if (!runtime.empty()) process["runtime"] = runtime;
        if (!pid.empty()) process["pid"] = pid;
        if (!ipc.empty()) process["ipc"] = ipc;
        if (!shm_size.empty()) process["shm_size"] = TRY(container::parse_memory_size(shm_size));
        for (const auto& opt : log_opts) {
            size_t eq = opt.find('=');
            std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
            if (key == "max-size") {
                process["log"]["max_size"] = TRY(container::parse_memory_size(value));
            } else if (key == "max-file") {
                int files = 0;
                try {
                    files = std::stoi(value);
                } catch (...) {
                }
                if (files < 1) return Error("invalid --log-opt max-file=" + value + ": a number >= 1", kRunFailure);
                process["log"]["max_file"] = files;
            } else {
                return Error("unknown log opt '" + key + "' for json-file log driver (max-size, max-file)", kRunFailure);
            }
        }
        for (const auto& entry : sysctls) {
            size_t eq = entry.find('=');
            if (eq == std::string::npos || eq == 0)
                return Error("invalid --sysctl " + entry + ": KEY=VALUE is expected", kRunFailure);
            process["sysctls"][entry.substr(0, eq)] = entry.substr(eq + 1);
        }
        for (const auto& entry : ulimits) {
            // name=soft[:hard]
            size_t eq = entry.find('=');
            if (eq == std::string::npos) return Error("invalid --ulimit " + entry + ": NAME=SOFT[:HARD]", kRunFailure);
            std::string name = entry.substr(0, eq), values = entry.substr(eq + 1);
            size_t colon = values.find(':');
            int64_t soft = 0, hard = 0;
            try {
                size_t used = 0;
                soft = std::stoll(values.substr(0, colon), &used);
                if (used != values.substr(0, colon).size()) throw std::invalid_argument("trailing");
                hard = soft;
                if (colon != std::string::npos) {
                    hard = std::stoll(values.substr(colon + 1), &used);
                    if (used != values.substr(colon + 1).size()) throw std::invalid_argument("trailing");
                }
            } catch (...) {
                return Error("invalid --ulimit " + entry + ": NAME=SOFT[:HARD] with numbers", kRunFailure);
            }
            process["ulimits"][name] = {{"soft", soft}, {"hard", hard}};
        }
        if (!group_add.empty()) process["group_add"] = group_add;
        if (!security_opts.empty()) process["security_opt"] = security_opts;
        if (!stop_signal.empty()) request.stop_signal = stop_signal;
        if (stop_timeout_option->count() > 0) request.stop_timeout = stop_timeout;

        json& health = request.health;
        if (!health.is_object()) health = json::object();
        bool health_flags = !health_cmd.empty() || !health_interval.empty() || !health_timeout.empty() ||
                            !health_start_period.empty() || !health_start_interval.empty() || retries_option->count() > 0;
        if (no_healthcheck) {
            if (health_flags) return Error("--no-healthcheck conflicts with --health-* options", kRunFailure);
            health = {{"test", {"NONE"}}};
            return ok();
        }
        if (!health_cmd.empty()) health["test"] = {"CMD-SHELL", health_cmd};
        auto duration = [&](const std::string& flag, const std::string& text, const char* key) -> Result<void> {
            if (text.empty()) return ok();
            auto ns = container::parse_go_duration_ns(text);
            if (!ns || *ns < 0) return Error("invalid argument \"" + text + "\" for \"" + flag + "\" flag: a duration such as 30s", kRunFailure);
            health[key] = *ns;
            return ok();
        };
        TRY(duration("--health-interval", health_interval, "interval"));
        TRY(duration("--health-timeout", health_timeout, "timeout"));
        TRY(duration("--health-start-period", health_start_period, "start_period"));
        TRY(duration("--health-start-interval", health_start_interval, "start_interval"));
        if (retries_option->count() > 0) {
            if (health_retries < 0) return Error("--health-retries cannot be negative", kRunFailure);
            health["retries"] = health_retries;
        }
        return ok();
    }
};

}  // namespace

std::shared_ptr<ModuleRunFlags> add_process_run_flags(CLI::App* cmd) {
    auto f = std::make_shared<ProcessRunFlags>();
    cmd->add_flag("-i,--interactive", f->interactive, "Keep STDIN open even if not attached");
    cmd->add_flag("-t,--tty", f->tty, "Allocate a pseudo-TTY");
    cmd->add_flag("--init", f->init, "Run an init inside the container that forwards signals and reaps processes");
    cmd->add_option("--health-cmd", f->health_cmd, "Command to run to check health");
    cmd->add_option("--health-interval", f->health_interval, "Time between running the check (ms|s|m|h)");
    cmd->add_option("--health-timeout", f->health_timeout, "Maximum time to allow one check to run (ms|s|m|h)");
    f->retries_option = cmd->add_option("--health-retries", f->health_retries, "Consecutive failures needed to report unhealthy");
    cmd->add_option("--health-start-period", f->health_start_period, "Start period for the container to initialize");
    cmd->add_option("--health-start-interval", f->health_start_interval, "Time between checks during the start period");
    cmd->add_flag("--no-healthcheck", f->no_healthcheck, "Disable any container-specified HEALTHCHECK");
    cmd->add_option("--runtime", f->runtime, "Runtime to use for this container (runc, crun or a path)");
    cmd->add_option("--log-opt", f->log_opts, "Log driver options (max-size=, max-file=)")->allow_extra_args(false);
    cmd->add_option("--sysctl", f->sysctls, "Sysctl options KEY=VALUE")->allow_extra_args(false);
    cmd->add_option("--ulimit", f->ulimits, "Ulimit options NAME=SOFT[:HARD]")->allow_extra_args(false);
    cmd->add_option("--shm-size", f->shm_size, "Size of /dev/shm");
    cmd->add_option("--group-add", f->group_add, "Add additional groups to join")->allow_extra_args(false);
    cmd->add_option("--security-opt", f->security_opts, "Security options (no-new-privileges, seccomp=unconfined)")->allow_extra_args(false);
    cmd->add_option("--pid", f->pid, "PID namespace to use (host)");
    cmd->add_option("--ipc", f->ipc, "IPC mode to use (host, private, shareable)");
    cmd->add_option("--stop-signal", f->stop_signal, "Signal to stop the container");
    f->stop_timeout_option = cmd->add_option("--stop-timeout", f->stop_timeout, "Timeout (in seconds) to stop a container");
    return f;
}

}  // namespace hako::cli
