// hako's entry point: runs a monitor's hidden verb straight away, or hands argv
// to the command-line dispatcher; then leaves without running static
// destructors (see below).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "engine/sys/prefault.h"
#include "src/cli/app.h"
#include "src/cli/monitor_internal_cmd.h"

int main(int argc, char** argv) {
    // The text, data, heap and stack a container start touches, mapped in a few
    // calls instead of ~160 page faults (engine/sys/prefault.h).
    hako::sys::prefault_process(384 << 10, 64 << 10);
    // Every container exit and healthcheck probe runs hako: they skip building
    // the CLI (its context, CLI11's app and the verb's options).
    std::optional<int> monitor_status = hako::cli::run_monitor_verb(argc, argv);
    int status = monitor_status ? *monitor_status : hako::cli::run(argc, argv);
#if defined(__SANITIZE_ADDRESS__)
    return status;  // LeakSanitizer's report runs from exit()
#else
    // exit() would destroy every static object: ~40 copies of CLI11's validator
    // objects (one set per file that includes CLI11) and the rest, 10% of the
    // instructions of a short command; nothing hako keeps needs a destructor at
    // exit, only its buffered output a flush. Threads still running then cannot
    // meet half-destroyed statics either.
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    ::_exit(status);
#endif
}
