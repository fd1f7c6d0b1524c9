// This file implements pause and unpause through the cgroup freezer (pause.h).
#include "engine/container/pause.h"

#include <chrono>
#include <system_error>
#include <thread>

#include "engine/container/lifecycle.h"
#include "engine/runtime/cgroup.h"
#include "engine/sys/file.h"

namespace hako::container {

namespace {

namespace fs = std::filesystem;

std::string cgroup_path(const ContainerRecord& record) { return "/hako/" + record.id; }

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

Result<Freezer> freezer_of(const ContainerRecord& record) {
    auto group = TRY(runtime::Cgroup::open(cgroup_path(record)));
    return find_freezer(group.directories());
}

// Whether the freezer reports the target state reached.
Result<bool> reached(const Freezer& freezer, bool frozen) {
    if (freezer.kind == Freezer::Kind::V1) {
        std::string state = trimmed(TRY(sys::read_file(freezer.dir / "freezer.state")));
        return frozen ? state == "FROZEN" : state == "THAWED";
    }
    long long value = TRY(runtime::read_cgroup_key(freezer.dir / "cgroup.events", "frozen"));
    return (value == 1) == frozen;
}

// Writes the request and waits up to a few seconds for the kernel to settle;
// v1 may stay FREEZING while a task is in uninterruptible sleep, so it is asked again.
Result<void> set_frozen(const Freezer& freezer, bool frozen) {
    auto request = [&]() -> Result<void> {
        if (freezer.kind == Freezer::Kind::V1)
            return runtime::write_cgroup_file(freezer.dir / "freezer.state", frozen ? "FROZEN" : "THAWED");
        return runtime::write_cgroup_file(freezer.dir / "cgroup.freeze", frozen ? "1" : "0");
    };
    TRY(request());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (true) {
        if (TRY(reached(freezer, frozen))) return ok();
        if (std::chrono::steady_clock::now() > deadline) {
            if (frozen) (void)runtime::write_cgroup_file(freezer.dir / (freezer.kind == Freezer::Kind::V1
                                                                               ? "freezer.state"
                                                                               : "cgroup.freeze"),
                                                        freezer.kind == Freezer::Kind::V1 ? "THAWED" : "0");
            return Error(std::string("the cgroup did not ") + (frozen ? "freeze" : "thaw") + " in time: " +
                         freezer.dir.string());
        }
        if (freezer.kind == Freezer::Kind::V1) TRY(request());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace

Result<Freezer> find_freezer(const std::vector<fs::path>& directories) {
    std::error_code ec;
    for (const auto& dir : directories)
        if (fs::exists(dir / "freezer.state", ec)) return Freezer{Freezer::Kind::V1, dir};
    for (const auto& dir : directories)
        if (fs::exists(dir / "cgroup.freeze", ec)) return Freezer{Freezer::Kind::V2, dir};
    return Error("no cgroup freezer for " + (directories.empty() ? std::string("?") : directories.front().string()));
}

Result<void> pause_container(const ContainerStore& store, const ContainerRecord& record) {
    ContainerState state = store.observed_state(record.id);
    if (state.status != "running") return Error("Container " + record.name + " is not running");
    Freezer freezer = TRY(freezer_of(record));
    if (TRY(reached(freezer, true))) return Error("Container " + record.name + " is already paused");
    return set_frozen(freezer, true);
}

Result<void> unpause_container(const ContainerStore& store, const ContainerRecord& record) {
    ContainerState state = store.observed_state(record.id);
    if (!is_running(state)) return Error("Container " + record.name + " is not paused");
    Freezer freezer = TRY(freezer_of(record));
    if (!TRY(reached(freezer, true))) return Error("Container " + record.name + " is not paused");
    return set_frozen(freezer, false);
}

bool is_paused(const ContainerRecord& record) {
    auto freezer = freezer_of(record);
    if (!freezer.ok()) return false;
    auto frozen = reached(*freezer, true);
    return frozen.ok() && *frozen;
}

}  // namespace hako::container
