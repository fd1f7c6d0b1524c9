// hako-exit's entry point: the lean binary hako-monitor execs for a container's
// exit path and its healthcheck probes (src/exitpath/monitor_verbs.h), linking
// the engine only, so each exit and probe skips the full hako's start-up.
#include <unistd.h>

#include <cstdio>

#include "engine/sys/prefault.h"

#include "src/exitpath/monitor_verbs.h"

int main(int argc, char** argv) {
    // The exit path's text, data, heap (JSON of the record, state and spec, paths)
    // and stack mapped in a few calls (engine/sys/prefault.h).
    hako::sys::prefault_process(256 << 10, 32 << 10);
    std::optional<int> status = hako::exitpath::run_monitor_verb(argc, argv);
    if (!status) {
        std::fputs("hako-exit: run by hako-monitor only (--root ROOT __monitor-exit|__monitor-probe ...)\n", stderr);
        status = 125;
    }
    // As hako's main(): no static destructors at exit, only stdio's flush.
    std::fflush(nullptr);
    ::_exit(*status);
}
