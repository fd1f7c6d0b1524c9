// This file declares the hidden verbs a container's monitor runs (`__monitor-exit`,
// `__monitor-probe`), shared by the lean hako-exit binary (src/exitpath/main.cpp)
// and the full hako (src/cli/monitor_internal_cmd.cpp), which keeps them for
// monitors started by an older build.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace hako::exitpath {

// Runs the hidden verb when argv is spelt as hako-monitor spells it
// ("PROG --root ROOT __monitor-exit -- ID …", "PROG --root ROOT __monitor-probe
// ID SINCE_NS") and returns its exit status; nullopt for any other argv. Also
// "PROG --root ROOT __dns-responder" and "PROG --root / __delete-link IFINDEX",
// the detached helpers of engine/net (sys::spawn_helper; they never return).
std::optional<int> run_monitor_verb(int argc, char** argv);

// `__monitor-probe ID SINCE_NS`: one healthcheck probe; 0 healthy, 1 unhealthy,
// 2 still starting, 125 when it could not run.
int probe_verb(const std::filesystem::path& root, const std::vector<std::string_view>& args);

// `__monitor-exit ID WAIT_STATUS STOPPED STATUS_FD LISTEN_FD [HELD_FDS]`: the
// exit's bookkeeping (monitor::after_exit, which never returns); returns only
// with the usage exit status when the arguments are malformed.
int exit_verb(const std::filesystem::path& root, const std::vector<std::string_view>& args);

// `__dispose-retired PATH`: disposes of ROOT/tmp/deleted-container-…
// (hako_dispose_retired); 2 for any other path, 1 when the removal failed.
int dispose_verb(const std::filesystem::path& root, std::string_view retired);

}  // namespace hako::exitpath
