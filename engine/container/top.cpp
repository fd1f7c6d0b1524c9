// This file implements container top (top.h): the cgroup's pids, ps run on the host
// with its output read through a pipe, and docker's way of cutting that output.
#include "engine/container/top.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "engine/container/lifecycle.h"
#include "engine/runtime/cgroup.h"
#include "engine/sys/fd.h"

extern char** environ;

namespace hako::container {

namespace {

std::vector<std::string> fields(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string f; in >> f;) out.push_back(f);
    return out;
}

// Runs a host program and returns its stdout; a nonzero exit is an error with its stderr.
Result<std::string> capture(const std::vector<std::string>& argv) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Error::from_syscall("pipe", errno);
    sys::UniqueFd out_read(out[0]), out_write(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) return Error::from_syscall("pipe", errno);
    sys::UniqueFd err_read(err[0]), err_write(err[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return Error::from_syscall("exec", rc, argv[0]);
    out_write.reset();
    err_write.reset();
    std::string stdout_text, stderr_text;
    // ps writes little to stderr: read stdout to its end, then stderr.
    for (auto [fd, text] : {std::pair{out_read.get(), &stdout_text}, std::pair{err_read.get(), &stderr_text}}) {
        char buffer[65536];
        while (true) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            text->append(buffer, size_t(n));
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
        return Error(argv[0] + " failed: " + (stderr_text.empty() ? "exit status " + std::to_string(WEXITSTATUS(status)) : stderr_text));
    }
    return stdout_text;
}

}  // namespace

Result<ProcessTable> filter_ps_output(std::string_view output, const std::set<pid_t>& pids) {
    ProcessTable table;
    std::istringstream in{std::string(output)};
    std::string line;
    if (!std::getline(in, line)) return Error("ps printed nothing");
    table.titles = fields(line);
    size_t pid_column = table.titles.size();
    for (size_t i = 0; i < table.titles.size(); ++i)
        if (table.titles[i] == "PID") pid_column = i;
    if (pid_column == table.titles.size()) return Error("Couldn't find PID field in ps output");
    while (std::getline(in, line)) {
        std::vector<std::string> cells = fields(line);
        if (cells.size() <= pid_column) continue;
        pid_t pid = 0;
        try {
            pid = pid_t(std::stol(cells[pid_column]));
        } catch (...) {
            return Error("Unexpected pid '" + cells[pid_column] + "' in ps output");
        }
        if (!pids.count(pid)) continue;
        if (cells.size() > table.titles.size()) {
            // The command keeps its spaces: everything from the last column on.
            std::string command;
            for (size_t i = table.titles.size() - 1; i < cells.size(); ++i) command += (command.empty() ? "" : " ") + cells[i];
            cells.resize(table.titles.size() - 1);
            cells.push_back(command);
        }
        table.processes.push_back(std::move(cells));
    }
    return table;
}

Result<std::set<pid_t>> container_pids(const ContainerStore& store, const ContainerRecord& record) {
    ContainerState state = store.observed_state(record.id);
    if (!is_running(state)) return Error("container " + record.id + " is not running");
    auto cgroup = TRY(runtime::Cgroup::open("/hako/" + record.id));
    auto pids = TRY(cgroup.processes());
    std::set<pid_t> out(pids.begin(), pids.end());
    if (out.empty() && state.pid > 0) out.insert(state.pid);
    return out;
}

Result<ProcessTable> top_container(const ContainerStore& store, const ContainerRecord& record,
                                   const std::vector<std::string>& ps_args) {
    std::set<pid_t> pids = TRY(container_pids(store, record));
    std::vector<std::string> argv = {"ps"};
    if (ps_args.empty()) argv.push_back("-ef");
    argv.insert(argv.end(), ps_args.begin(), ps_args.end());
    std::string output = TRY(capture(argv));
    return filter_ps_output(output, pids);
}

}  // namespace hako::container
