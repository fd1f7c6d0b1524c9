// This file implements the hidden verbs a container's monitor runs
// (engine/monitor/monitor.h): `__monitor-probe ID SINCE_NS` runs one healthcheck
// probe, and `__monitor-exit ID WAIT_STATUS STOPPED STATUS_FD LISTEN_FD HELD_FDS`
// takes over from hako-monitor when the container's init has ended.
// `__dns-responder` is the DNS responder that dns::sync execs, `__delete-link
// IFINDEX` a link's deletion that net::delete_link_detached leaves running, and
// `__dispose-retired PATH` disposes of a --rm container's retired folder after its
// attached CLI ran the exit path (monitor::exit_in_caller) and returned; hako-monitor
// now does that itself, the verb stays for the monitors of an older build.
#include "src/exitpath/monitor_verbs.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/container/retired_folder.h"
#include "engine/monitor/health_probe.h"
#include "engine/net/dns_control.h"
#include "engine/net/netlink.h"
#include "engine/monitor/monitor.h"
#include "engine/sys/error.h"

namespace hako::exitpath {

namespace {

namespace fs = std::filesystem;

template <typename Number>
Result<Number> number(std::string_view text, const char* what) {
    Number value{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return Error::usage(std::string(what) + ": not a number: \"" + std::string(text) + "\"");
    return value;
}

// ID WAIT_STATUS STOPPED STATUS_FD LISTEN_FD [HELD_FDS: FD,FD… or -]
Result<monitor::ExitReport> exit_report(const fs::path& root, const std::vector<std::string_view>& args) {
    if (args.size() < 5 || args.size() > 6)
        return Error::usage("__monitor-exit: expected ID WAIT_STATUS STOPPED STATUS_FD LISTEN_FD [HELD_FDS]");
    monitor::ExitReport report;
    report.root = root;
    report.id = std::string(args[0]);
    report.wait_status = TRY(number<int>(args[1], "wait_status"));
    report.stop_requested = TRY(number<int>(args[2], "stopped")) != 0;
    report.status_fd = TRY(number<int>(args[3], "status_fd"));
    report.listen_fd = TRY(number<int>(args[4], "listen_fd"));
    std::string_view held = args.size() == 6 ? args[5] : "-";
    while (!held.empty() && held != "-") {
        size_t comma = held.find(',');
        std::string_view fd = held.substr(0, comma);
        if (!fd.empty()) report.held_sockets.push_back(TRY(number<int>(fd, "held_sockets")));
        held = comma == std::string_view::npos ? std::string_view() : held.substr(comma + 1);
    }
    return report;
}

}  // namespace

int probe_verb(const fs::path& root, const std::vector<std::string_view>& args) {
    if (args.size() != 2) return 125;
    auto since = number<int64_t>(args[1], "since_start_ns");
    if (!since.ok()) return 125;
    auto verdict = monitor::run_probe(root, std::string(args[0]), *since);
    return verdict.ok() ? static_cast<int>(*verdict) : 125;
}

int exit_verb(const fs::path& root, const std::vector<std::string_view>& args) {
    auto report = exit_report(root, args);
    if (!report.ok()) {
        std::fprintf(stderr, "hako: %s\n", report.error().message.c_str());
        return static_cast<int>(ExitCode::Usage);
    }
    monitor::after_exit(*report);
}

int dispose_verb(const fs::path& root, std::string_view retired) {
    // Only what retire_files makes: ROOT/tmp/deleted-container-… (hako_dispose_retired checks).
    int error = hako_dispose_retired(root.c_str(), std::string(retired).c_str());
    return error < 0 ? 2 : error > 0 ? 1 : 0;
}

std::optional<int> run_monitor_verb(int argc, char** argv) {
    if (argc < 4 || std::strcmp(argv[1], "--root") != 0) return std::nullopt;
    std::string_view verb = argv[3];
    std::vector<std::string_view> args(argv + 4, argv + argc);
    if (verb == "__monitor-probe") return probe_verb(argv[2], args);
    if (verb == "__dispose-retired" && args.size() == 1) return dispose_verb(argv[2], args[0]);
    if (verb == "__dns-responder" && args.empty()) dns::responder_verb(argv[2]);
    if (verb == "__delete-link" && args.size() == 1) {
        int index = 0;
        auto [end, error] = std::from_chars(args[0].data(), args[0].data() + args[0].size(), index);
        if (error != std::errc() || end != args[0].data() + args[0].size() || index <= 0) return 2;
        net::delete_link_verb(index);
    }
    if (verb == "__monitor-exit" && !args.empty() && args.front() == "--") {
        args.erase(args.begin());
        return exit_verb(argv[2], args);
    }
    return std::nullopt;
}

}  // namespace hako::exitpath
