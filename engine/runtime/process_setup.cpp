// This file implements the process-level setup shared by a container's init and
// exec: identity, capabilities, seccomp, rlimits, fd hygiene and execve.
#include "engine/runtime/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "engine/runtime/capabilities.h"
#include "engine/sys/file.h"

namespace hako::runtime {

std::optional<int> rlimit_resource(const std::string& name) {
    static const std::map<std::string, int> names = {
        {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_STACK", RLIMIT_STACK},   {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
    auto it = names.find(name);
    if (it == names.end()) return std::nullopt;
    return it->second;
}

Result<void> apply_rlimits(const std::vector<Rlimit>& rlimits) {
    for (const auto& limit : rlimits) {
        auto resource = rlimit_resource(limit.type);
        if (!resource) return Error("unknown rlimit \"" + limit.type + "\"");
        rlimit value{limit.soft, limit.hard};
        if (setrlimit(static_cast<__rlimit_resource>(*resource), &value) != 0)
            return Error::from_syscall("setrlimit", errno, limit.type);
    }
    return ok();
}

Result<void> apply_process_identity(const Process& process, const std::optional<Seccomp>& seccomp) {
    if (!seccomp) return apply_process_identity(process, static_cast<const SeccompProgram*>(nullptr));
    auto program = TRY(compile_seccomp(*seccomp));
    return apply_process_identity(process, &program);
}

ProcessStatus parse_process_status(std::string_view text) {
    ProcessStatus status;
    auto field = [&](std::string_view name, uint64_t& out) {
        size_t at = text.find(name);
        if (at == std::string_view::npos || (at > 0 && text[at - 1] != '\n')) return;
        std::string value(text.substr(at + name.size(), 16));
        out = std::strtoull(value.c_str(), nullptr, 16);
    };
    field("SigIgn:\t", status.signals_ignored);
    field("SigCgt:\t", status.signals_caught);
    field("CapBnd:\t", status.capability_bounding);
    return status;
}

Result<ProcessStatus> read_process_status() {
    return parse_process_status(TRY(sys::read_file("/proc/thread-self/status", 1 << 16)));
}

Result<void> apply_process_identity(const Process& process, const SeccompProgram* seccomp) {
    uint64_t bounding_now = 0;
    for (int cap = 0; cap <= last_capability(); ++cap)
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) bounding_now |= uint64_t{1} << cap;
    return apply_process_identity(process, seccomp, bounding_now);
}

Result<void> apply_process_identity(const Process& process, const SeccompProgram* seccomp, uint64_t bounding_now) {
    if (seccomp && !process.no_new_privileges) TRY(load_seccomp_program(*seccomp));
    uint64_t bounding = TRY(capability_mask(process.capabilities.bounding));
    TRY(drop_bounding_set(bounding, bounding_now));
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::from_syscall("prctl(PR_SET_KEEPCAPS)", errno);
    const auto& user = process.user;
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    if (setgroups(groups.size(), groups.data()) != 0) return Error::from_syscall("setgroups", errno);
    if (setresgid(user.gid, user.gid, user.gid) != 0)
        return Error::from_syscall("setresgid", errno, std::to_string(user.gid));
    if (setresuid(user.uid, user.uid, user.uid) != 0)
        return Error::from_syscall("setresuid", errno, std::to_string(user.uid));
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error::from_syscall("prctl(PR_SET_KEEPCAPS)", errno);
    // Only what the caller's own bounding set still holds can be granted (a
    // privileged container on a host that lacks a capability gets the rest).
    TRY(apply_capabilities(process.capabilities, bounding & bounding_now));
    if (process.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return Error::from_syscall("prctl(PR_SET_NO_NEW_PRIVS)", errno);
    if (seccomp && process.no_new_privileges) TRY(load_seccomp_program(*seccomp));
    umask(process.user.umask.value_or(022));
    return ok();
}

std::variant<std::string, ExecLookupError> find_executable(const std::string& command,
                                                           const std::vector<std::string>& env) {
    auto classify = [&](const std::string& path) -> std::optional<std::variant<std::string, ExecLookupError>> {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return std::nullopt;
        if (S_ISDIR(st.st_mode) || ::access(path.c_str(), X_OK) != 0)
            return ExecLookupError{126, "exec: \"" + command + "\": permission denied"};
        return path;
    };
    if (command.find('/') != std::string::npos) {
        if (auto found = classify(command)) return *found;
        return ExecLookupError{127, "exec: \"" + command + "\": stat " + command + ": no such file or directory"};
    }
    std::string path_list = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& entry : env)
        if (entry.starts_with("PATH=")) path_list = entry.substr(5);
    std::optional<ExecLookupError> denied;
    size_t start = 0;
    for (;;) {
        size_t end = path_list.find(':', start);
        std::string dir = path_list.substr(start, end == std::string::npos ? std::string::npos : end - start);
        std::string candidate = dir.empty() ? std::string(1, '.') : dir;
        candidate.push_back('/');
        candidate.append(command);
        if (auto found = classify(candidate)) {
            if (std::holds_alternative<std::string>(*found)) return *found;
            if (!denied) denied = std::get<ExecLookupError>(*found);
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    if (denied) return *denied;
    if (command.empty()) return ExecLookupError{127, "exec: \"\": executable file not found in $PATH"};
    return ExecLookupError{127, "exec: \"" + command + "\": executable file not found in $PATH"};
}

PreparedExec prepare_exec(const Process& process) {
    PreparedExec prepared;
    auto found = find_executable(process.args.front(), process.env);
    if (auto* error = std::get_if<ExecLookupError>(&found)) prepared.failure = *error;
    else prepared.path = std::get<std::string>(found);
    prepared.args = process.args;
    prepared.env = process.env;
    for (auto& a : prepared.args) prepared.argv.push_back(a.data());
    prepared.argv.push_back(nullptr);
    for (auto& e : prepared.env) prepared.envp.push_back(e.data());
    prepared.envp.push_back(nullptr);
    return prepared;
}

namespace {

void write_text(const char* text) {
    ssize_t written = ::write(2, text, std::strlen(text));
    (void)written;
}

}  // namespace

void exec_prepared(const PreparedExec& prepared) {
    if (prepared.failure) {
        write_text(prepared.failure->message.c_str());
        write_text("\n");
        _exit(prepared.failure->exit_status);
    }
    // Nothing the runtime opened may reach the container (CVE-2024-21626 class).
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < 65536; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    ::execve(prepared.path.c_str(), prepared.argv.data(), prepared.envp.data());
    int saved = errno;
    write_text("exec: \"");
    write_text(prepared.args.front().c_str());
    write_text("\": ");
    write_text(std::strerror(saved));
    write_text("\n");
    _exit(saved == ENOENT ? 127 : 126);
}

void exec_process(const Process& process) { exec_prepared(prepare_exec(process)); }

}  // namespace hako::runtime
