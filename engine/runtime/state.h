// This file declares a container's runtime state record (the file STATE_ROOT/ID;
// a folder STATE_ROOT/ID holding state.json before, still read) and how its status
// is observed: creating, created, running or stopped.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::runtime {

enum class Status { Created, Running, Stopped };
const char* status_name(Status status);

struct State {
    std::string id;
    pid_t pid = 0;
    uint64_t pid_start_time = 0;  // /proc/PID/stat field 22: tells a reused pid apart
    std::filesystem::path bundle;
    std::string cgroup_path;
    std::string created;  // RFC 3339
    std::map<std::string, std::string> annotations;
    // Whether the bundle's spec has hooks (poststop ones run at destroy): without
    // them a teardown need not read the spec. True for a record that lacks it.
    bool has_hooks = true;
};

// The start time of a process in clock ticks since boot, 0 when it does not exist.
uint64_t process_start_time(pid_t pid);
// Whether `state`'s init still exists (same pid, same start time, not a zombie).
bool init_alive(const State& state);
// created while the init waits for start (its exec fifo exists), running after, stopped once it is gone.
Status observe_status(const State& state, const std::filesystem::path& container_dir);

// `container_dir` is STATE_ROOT/ID: the state record itself, one file. One file
// and no folder because a folder costs an ext4 mkdir and, on the exit path, an
// rmdir (~1-3 ms here: the root fs is mounted with `discard`).
// The exec fifo of a container that another process starts: STATE_ROOT/.ID.fifo
// (hidden, so a listing of STATE_ROOT shows container ids only).
std::filesystem::path exec_fifo_path(const std::filesystem::path& container_dir);
// Replaces the record atomically.
Result<void> write_state(const std::filesystem::path& container_dir, const State& state);
// Writes the record into `fd`, the file create() reserved (reserve_state_file):
// one write, cut to size, no temporary file and rename.
Result<void> write_state(int fd, const std::filesystem::path& container_dir, const State& state);
// Reserves `container_dir` for a create: the spare record a destroyed container
// left (STATE_ROOT/.spare, renamed into place: no inode made), else a new empty
// file (O_EXCL). errno_value EEXIST when the id is taken. Until write_state the
// file is empty or a spare's record of another id, and either reads as a create
// under way.
Result<sys::UniqueFd> reserve_state_file(const std::filesystem::path& container_dir);
// Gives up the record: kept as STATE_ROOT/.spare for the next create when there
// is none yet, else removed; nothing when missing. On this ext4 every inode made
// walks the recently deleted ones of its group.
Result<void> release_state_file(const std::filesystem::path& container_dir);
// Reads the record (or the legacy STATE_ROOT/ID/state.json); an empty record or
// one of another id (a create still under way) reads as missing, errno_value ENOENT.
Result<State> read_state(const std::filesystem::path& container_dir);
// The OCI `state` document: ociVersion, id, status, pid, bundle, annotations.
std::string oci_state_json(const State& state, Status status);

}  // namespace hako::runtime
