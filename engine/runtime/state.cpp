// This file implements the runtime's state record and status observation.
#include "engine/runtime/state.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/sys/file.h"
#include "engine/sys/remove_tree.h"

namespace hako::runtime {
namespace {

// Field 22 of /proc/PID/stat (and the state letter of field 3), after the
// parenthesised command name, which may itself hold spaces and parentheses.
bool read_stat(pid_t pid, char& state_letter, uint64_t& start_time) {
    auto text = sys::read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
    if (!text.ok()) return false;
    auto close = text->rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream in(text->substr(close + 2));
    std::string field;
    in >> state_letter;
    for (int i = 4; i <= 22; ++i) {
        if (!(in >> field)) return false;
    }
    start_time = std::stoull(field);
    return true;
}

}  // namespace

const char* status_name(Status status) {
    switch (status) {
        case Status::Created: return "created";
        case Status::Running: return "running";
        case Status::Stopped: return "stopped";
    }
    return "unknown";
}

uint64_t process_start_time(pid_t pid) {
    char letter = 0;
    uint64_t start = 0;
    return read_stat(pid, letter, start) ? start : 0;
}

bool init_alive(const State& state) {
    if (state.pid <= 0) return false;
    char letter = 0;
    uint64_t start = 0;
    if (!read_stat(state.pid, letter, start)) return false;
    return start == state.pid_start_time && letter != 'Z' && letter != 'X';
}

Status observe_status(const State& state, const std::filesystem::path& container_dir) {
    if (!init_alive(state)) return Status::Stopped;
    struct stat st {};
    if (::stat(exec_fifo_path(container_dir).c_str(), &st) == 0) return Status::Created;
    return Status::Running;
}

std::filesystem::path exec_fifo_path(const std::filesystem::path& container_dir) {
    return container_dir.parent_path() / ("." + container_dir.filename().string() + ".fifo");
}

namespace {

std::string state_text(const State& s) {
    nlohmann::json j = {{"id", s.id},
                        {"pid", s.pid},
                        {"pidStartTime", s.pid_start_time},
                        {"bundle", s.bundle.string()},
                        {"cgroupPath", s.cgroup_path},
                        {"created", s.created},
                        {"annotations", s.annotations},
                        {"hooks", s.has_hooks}};
    return j.dump(2) + "\n";
}

// The record's text: the file STATE_ROOT/ID, or state.json in a folder of that name
// (the layout before session 6, for a container created by an older hako).
Result<std::string> read_state_text(const std::filesystem::path& container_dir) {
    auto text = sys::read_file(container_dir, 1 << 20);
    if (!text.ok() && text.error().errno_value == EISDIR) text = sys::read_file(container_dir / "state.json", 1 << 20);
    if (text.ok() && text->empty()) {
        Error creating(container_dir.string() + ": being created");
        creating.errno_value = ENOENT;
        return creating;
    }
    return text;
}

}  // namespace

Result<void> write_state(const std::filesystem::path& container_dir, const State& s) {
    // The runtime's state lives in the run folder and dies with the boot: no fsync.
    return sys::write_file_atomic(container_dir, state_text(s), 0600, sys::Durability::Volatile);
}

Result<void> write_state(int fd, const std::filesystem::path& container_dir, const State& s) {
    // A spare's longer record is cut to size (sys::write_over).
    return sys::write_over(fd, state_text(s), container_dir.string());
}

namespace {

std::filesystem::path spare_state_file(const std::filesystem::path& container_dir) {
    return container_dir.parent_path() / ".spare";
}

}  // namespace

Result<sys::UniqueFd> reserve_state_file(const std::filesystem::path& container_dir) {
    const std::filesystem::path spare = spare_state_file(container_dir);
    if (::renameat2(AT_FDCWD, spare.c_str(), AT_FDCWD, container_dir.c_str(), RENAME_NOREPLACE) == 0) {
        sys::UniqueFd fd(::open(container_dir.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st {};
        if (fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) return fd;
        ::unlink(container_dir.c_str());  // not a file to reuse: make one below
    } else if (errno == EEXIST) {
        Error taken(container_dir.string() + ": exists");
        taken.errno_value = EEXIST;
        return taken;
    }
    sys::UniqueFd fd(::open(container_dir.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return Error::from_syscall("open", errno, container_dir.string());
    return fd;
}

Result<void> release_state_file(const std::filesystem::path& container_dir) {
    const std::filesystem::path spare = spare_state_file(container_dir);
    struct stat st {};
    if (::lstat(container_dir.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::renameat2(AT_FDCWD, container_dir.c_str(), AT_FDCWD, spare.c_str(), RENAME_NOREPLACE) == 0)
        return ok();
    if (::unlink(container_dir.c_str()) == 0 || errno == ENOENT) return ok();
    if (errno == EISDIR) return sys::remove_tree(container_dir);  // a folder of the layout before session 6
    return Error::from_syscall("unlink", errno, container_dir.string());
}

Result<State> read_state(const std::filesystem::path& container_dir) {
    auto text = TRY(read_state_text(container_dir));
    try {
        auto j = nlohmann::json::parse(text);
        State s;
        s.id = j.at("id").get<std::string>();
        if (s.id != container_dir.filename().string()) {
            // A spare's record, reserved by a create still under way (reserve_state_file).
            Error creating(container_dir.string() + ": being created");
            creating.errno_value = ENOENT;
            return creating;
        }
        s.pid = j.at("pid").get<pid_t>();
        s.pid_start_time = j.at("pidStartTime").get<uint64_t>();
        s.bundle = j.at("bundle").get<std::string>();
        s.cgroup_path = j.at("cgroupPath").get<std::string>();
        s.created = j.value("created", "");
        s.annotations = j.value("annotations", std::map<std::string, std::string>{});
        s.has_hooks = j.value("hooks", true);
        return s;
    } catch (const nlohmann::json::exception& e) {
        return Error(container_dir.string() + ": " + e.what());
    }
}

std::string oci_state_json(const State& s, Status status) {
    nlohmann::json j = {{"ociVersion", "1.0.2"},
                        {"id", s.id},
                        {"status", status_name(status)},
                        {"pid", status == Status::Stopped ? 0 : s.pid},
                        {"bundle", s.bundle.string()},
                        {"created", s.created},
                        {"annotations", s.annotations}};
    return j.dump(2) + "\n";
}

}  // namespace hako::runtime
