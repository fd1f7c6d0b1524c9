// This file implements the log printer of the project verbs: it reads several
// containers' json-file logs (rotated files included), merges their lines in
// time order and prints each with docker compose's coloured, padded
// `service-1  | ` prefix; following, it keeps reading as the logs grow, picks
// up containers that appear later and stops when its caller says so.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::cli {

// One container whose log is printed.
struct LogSource {
    std::string id;                  // container id: the key of the source
    std::string name;                // the prefix text, e.g. "web-1"
    std::filesystem::path log_path;  // ROOT/containers/<id>/<id>-json.log
};

struct LogStreamOptions {
    bool follow = false;      // -f: keep reading as the logs grow
    bool timestamps = false;  // -t: each line starts with the entry's RFC 3339 time
    bool color = true;        // false: --no-color, --ansi never, or not a terminal
    bool prefix = true;       // false: --no-log-prefix
    std::optional<uint64_t> tail;   // -n/--tail: the last N lines of each container
    std::optional<int64_t> since;   // --since: ns since the epoch, entries before it are skipped
    std::optional<int64_t> until;   // --until: ns since the epoch, entries after it are skipped
    // false (`logs`): every line goes to `out`, as docker compose logs does.
    // true (attached `up`): stderr lines go to `err`.
    bool split_streams = false;
    std::chrono::milliseconds poll_interval{50};
};

// What the caller tells a follow loop; every hook is optional.
struct FollowHooks {
    // Asked every poll: true ends the loop (e.g. Ctrl-C was pressed).
    std::function<bool()> stop;
    // Asked every poll: containers to add (ones already known are ignored), so
    // the stream picks up containers that appear after it began.
    std::function<std::vector<LogSource>()> discover;
    // Whether a container still writes to its log. Default: its state.json says
    // running or restarting and its monitor lives.
    std::function<bool(const LogSource&)> running;
    // Called once when a container stopped running and its log was read to the end.
    std::function<void(const LogSource&)> finished;
    // true (`logs -f`): the loop ends once every container finished and
    // `discover` brings nothing new. false (`up`): only `stop` ends it.
    bool end_when_all_finished = true;
};

// docker compose's colours, in the order it hands them to containers:
// cyan, yellow, green, magenta, blue, then the same intense; then again.
std::string_view log_color(size_t index);

// The prefix of `name` when the longest name printed is `width` long:
// "web-1" padded to width+1, then " | " ("web-1  | " for width 5), coloured
// (the name and bar) when `color` is given.
std::string log_prefix(std::string_view name, size_t width, std::string_view color);

// "2026-01-02T03:04:05.123456789Z" (or with an offset, any number of fraction
// digits) → ns since the epoch.
Result<int64_t> parse_rfc3339(std::string_view text);

// --since/--until as docker takes them: RFC 3339 (date only, or date and time
// without zone = UTC), a Unix time with optional fraction ("1700000000.5"), or
// a duration before `now_ns` ("10m", "1h30m", "2.5s"). `flag` names the flag in
// the error.
Result<int64_t> parse_log_time(std::string_view text, int64_t now_ns, std::string_view flag);

// -n/--tail: "all" (or a negative number) → none; otherwise the count.
Result<std::optional<uint64_t>> parse_tail(std::string_view text);

class LogStream {
public:
    LogStream(LogStreamOptions options, std::ostream& out, std::ostream& err);
    ~LogStream();
    LogStream(const LogStream&) = delete;
    LogStream& operator=(const LogStream&) = delete;

    // Adds a container; a second add of the same id is ignored. Before run(),
    // its past log (tail, since, until applied) joins the first merged print;
    // added while following, its whole past log (tail applied) is printed next.
    void add(const LogSource& source);

    // Prints what the logs hold, merged in time order; when following, keeps
    // printing new lines (merged per poll) until the hooks end it. An unreadable
    // log is skipped with a warning, not fatal.
    Result<void> run(const FollowHooks& hooks = {});

private:
    struct Reader;
    void print_backlog(std::vector<Reader*> readers);
    bool poll_once(const FollowHooks& hooks);
    void print_line(Reader& reader, std::string_view stream, std::string_view time, std::string_view text);
    void refresh_width();

    LogStreamOptions options_;
    std::ostream& out_;
    std::ostream& err_;
    std::vector<std::unique_ptr<Reader>> readers_;
    size_t width_ = 0;
    size_t colors_used_ = 0;
};

}  // namespace hako::cli
