// This file implements the log printer of the project verbs (log_stream.h):
// reading json-file logs across rotation, merging by time, docker compose's
// prefixes and colours, and the follow loop.
#include "src/cli/log_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <deque>
#include <spdlog/spdlog.h>
#include <thread>

#include "engine/container/container_store.h"
#include "engine/container/lifecycle.h"
#include "engine/container/log_line.h"
#include "engine/container/options.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"

namespace hako::cli {

namespace {

constexpr int64_t kSecond = 1'000'000'000;

// docker compose's rainbow (cmd/formatter/colors.go).
constexpr std::string_view kColors[] = {"\033[36m",   "\033[33m",   "\033[32m",   "\033[35m",   "\033[34m",
                                        "\033[36;1m", "\033[33;1m", "\033[32;1m", "\033[35;1m", "\033[34;1m"};
constexpr std::string_view kReset = "\033[0m";

bool read_digits(std::string_view text, size_t& at, size_t count, int& value) {
    if (at + count > text.size()) return false;
    value = 0;
    for (size_t i = 0; i < count; ++i) {
        char c = text[at + i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    at += count;
    return true;
}

bool expect(std::string_view text, size_t& at, char c) {
    if (at >= text.size() || text[at] != c) return false;
    ++at;
    return true;
}

// RFC 3339 with the time part and the zone optional (date only, or no zone =
// UTC), as docker's --since takes it. Returns nullopt when `text` is not one.
std::optional<int64_t> parse_date_time(std::string_view text, bool require_full) {
    size_t at = 0;
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (!read_digits(text, at, 4, year) || !expect(text, at, '-') || !read_digits(text, at, 2, month) ||
        !expect(text, at, '-') || !read_digits(text, at, 2, day))
        return std::nullopt;
    int64_t fraction = 0;
    int64_t offset_seconds = 0;
    if (at < text.size() || require_full) {
        if (at >= text.size() || (text[at] != 'T' && text[at] != 't' && text[at] != ' ')) return std::nullopt;
        ++at;
        if (!read_digits(text, at, 2, hour) || !expect(text, at, ':') || !read_digits(text, at, 2, minute))
            return std::nullopt;
        if (at < text.size() && text[at] == ':') {
            ++at;
            if (!read_digits(text, at, 2, second)) return std::nullopt;
        }
        if (at < text.size() && text[at] == '.') {
            ++at;
            int64_t scale = kSecond;
            size_t digits = 0;
            while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
                if (digits < 9) {
                    scale /= 10;
                    fraction += (text[at] - '0') * scale;
                }
                ++digits;
                ++at;
            }
            if (digits == 0) return std::nullopt;
        }
        if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
            ++at;
        } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
            int sign = text[at] == '-' ? -1 : 1;
            ++at;
            int oh, om;
            if (!read_digits(text, at, 2, oh) || !expect(text, at, ':') || !read_digits(text, at, 2, om))
                return std::nullopt;
            offset_seconds = sign * (oh * 3600 + om * 60);
        } else if (require_full) {
            return std::nullopt;
        }
    }
    if (at != text.size()) return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    tm parts{};
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    int64_t seconds = static_cast<int64_t>(::timegm(&parts)) - offset_seconds;
    return seconds * kSecond + fraction;
}

struct Entry {
    int64_t time_ns = 0;
    container::LogEntry entry;
};

// Entries of one file's complete lines, filtered by since/until.
void decode_lines(std::string_view data, const LogStreamOptions& options, const std::string& file,
                  std::vector<Entry>& into) {
    size_t start = 0;
    while (start < data.size()) {
        size_t end = data.find('\n', start);
        if (end == std::string_view::npos) break;
        std::string_view line = data.substr(start, end - start);
        start = end + 1;
        if (line.empty()) continue;
        auto decoded = container::decode_log_line(line);
        if (!decoded.ok()) {
            spdlog::debug("{}: {}", file, decoded.error().message);
            continue;
        }
        auto time = parse_rfc3339(decoded->time);
        int64_t at = time.ok() ? *time : 0;
        if (options.since && at < *options.since) continue;
        if (options.until && at > *options.until) continue;
        into.push_back({at, std::move(decoded).value()});
    }
}

}  // namespace

std::string_view log_color(size_t index) { return kColors[index % std::size(kColors)]; }

std::string log_prefix(std::string_view name, size_t width, std::string_view color) {
    std::string text(name);
    if (text.size() < width + 1) text.append(width + 1 - text.size(), ' ');
    text += " |";
    if (!color.empty()) text = std::string(color) + text + std::string(kReset);
    return text + ' ';
}

Result<int64_t> parse_rfc3339(std::string_view text) {
    auto parsed = parse_date_time(text, true);
    if (!parsed) return Error("not an RFC 3339 time: " + std::string(text));
    return *parsed;
}

Result<int64_t> parse_log_time(std::string_view text, int64_t now, std::string_view flag) {
    if (auto at = parse_date_time(text, false)) return *at;
    if (auto duration = container::parse_go_duration_ns(text)) return now - *duration;  // relative, as docker's
    // A Unix time, seconds with an optional fraction.
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
    if (ec == std::errc() && end == whole.data() + whole.size() && !whole.empty()) {
        int64_t fraction = 0;
        if (dot != std::string_view::npos) {
            std::string_view digits = text.substr(dot + 1);
            int64_t scale = kSecond;
            for (char c : digits) {
                if (c < '0' || c > '9') return Error::usage("invalid " + std::string(flag) + " " + std::string(text));
                scale /= 10;
                fraction += (c - '0') * scale;
            }
        }
        return seconds * kSecond + fraction;
    }
    return Error::usage("invalid " + std::string(flag) + " " + std::string(text) +
                        ": expected an RFC 3339 time, a Unix time or a duration such as 10m");
}

Result<std::optional<uint64_t>> parse_tail(std::string_view text) {
    if (text == "all" || text.empty()) return std::optional<uint64_t>();
    int64_t count = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (ec != std::errc() || end != text.data() + text.size())
        return Error::usage("invalid --tail " + std::string(text) + ": a number or \"all\"");
    if (count < 0) return std::optional<uint64_t>();
    return std::optional<uint64_t>(static_cast<uint64_t>(count));
}

// One container's log being read: the open current file and what is left of a
// line not yet complete.
struct LogStream::Reader {
    LogSource source;
    std::string color;
    std::string prefix;
    sys::UniqueFd fd;  // the current log file
    ino_t inode = 0;
    std::string buffer;   // bytes after the last complete line
    std::string partial;  // an entry cut without its newline, waiting for the rest
    std::string partial_time;
    std::string partial_stream;
    bool finished = false;      // stopped, and its log read to the end
    bool reported = false;      // hooks.finished was called for this stop
    bool backlog_done = false;  // its past log was printed

    // Opens the current file when it exists and is not the one already open.
    bool reopen_if_rotated() {
        struct stat now {};
        if (::stat(source.log_path.c_str(), &now) != 0) return false;
        if (fd && now.st_ino == inode) return false;
        int opened = ::open(source.log_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (opened < 0) return false;
        fd = sys::UniqueFd(opened);
        inode = now.st_ino;
        buffer.clear();
        return true;
    }

    // Appends what the open file has beyond what was read; false when nothing.
    bool read_more() {
        if (!fd) return false;
        char chunk[65536];
        bool any = false;
        while (true) {
            ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            buffer.append(chunk, static_cast<size_t>(n));
            any = true;
        }
        return any;
    }

    // Takes the complete lines out of `buffer`.
    std::string take_lines() {
        size_t last = buffer.rfind('\n');
        if (last == std::string::npos) return {};
        std::string lines = buffer.substr(0, last + 1);
        buffer.erase(0, last + 1);
        return lines;
    }
};

LogStream::LogStream(LogStreamOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {}

LogStream::~LogStream() = default;

void LogStream::add(const LogSource& source) {
    for (const auto& reader : readers_)
        if (reader->source.id == source.id) return;
    auto reader = std::make_unique<Reader>();
    reader->source = source;
    if (options_.color) reader->color = std::string(log_color(colors_used_++));
    readers_.push_back(std::move(reader));
    refresh_width();
}

void LogStream::refresh_width() {
    size_t width = 0;
    for (const auto& reader : readers_) width = std::max(width, reader->source.name.size());
    width_ = width;
    for (auto& reader : readers_) reader->prefix = log_prefix(reader->source.name, width_, reader->color);
}

void LogStream::print_line(Reader& reader, std::string_view stream, std::string_view time, std::string_view text) {
    std::ostream& os = options_.split_streams && stream == "stderr" ? err_ : out_;
    std::string line;
    if (options_.prefix) line += reader.prefix;
    if (options_.timestamps) {
        line += time;
        line += ' ';
    }
    line += text;
    if (line.empty() || line.back() != '\n') line += '\n';
    os << line;
}

namespace {

// Rotated files, oldest first: <log>.N … <log>.1.
std::vector<std::filesystem::path> rotated_files(const std::filesystem::path& log) {
    std::vector<std::filesystem::path> files;
    for (int n = 1;; ++n) {
        std::filesystem::path rotated = log;
        rotated += "." + std::to_string(n);
        std::error_code ec;
        if (!std::filesystem::exists(rotated, ec)) break;
        files.push_back(rotated);
    }
    std::reverse(files.begin(), files.end());
    return files;
}

struct Merged {
    int64_t time_ns;
    size_t reader;
    size_t sequence;
    container::LogEntry entry;
};

}  // namespace

void LogStream::print_backlog(std::vector<Reader*> readers) {
    std::vector<Merged> merged;
    size_t sequence = 0;
    for (size_t index = 0; index < readers.size(); ++index) {
        Reader& reader = *readers[index];
        reader.backlog_done = true;
        // The current file first, so a rotation while reading loses nothing already open.
        reader.reopen_if_rotated();
        std::vector<Entry> entries;
        for (const auto& file : rotated_files(reader.source.log_path)) {
            auto text = sys::read_file(file);
            if (!text.ok()) continue;
            decode_lines(*text, options_, file.string(), entries);
        }
        reader.read_more();
        decode_lines(reader.take_lines(), options_, reader.source.log_path.string(), entries);
        size_t first = 0;
        if (options_.tail && entries.size() > *options_.tail) first = entries.size() - *options_.tail;
        for (size_t i = first; i < entries.size(); ++i)
            merged.push_back({entries[i].time_ns, index, sequence++, std::move(entries[i].entry)});
    }
    std::stable_sort(merged.begin(), merged.end(),
                     [](const Merged& a, const Merged& b) { return a.time_ns < b.time_ns; });
    for (auto& line : merged) {
        Reader& reader = *readers[line.reader];
        const auto& entry = line.entry;
        if (entry.log.empty() || entry.log.back() != '\n') {
            if (reader.partial.empty()) {
                reader.partial_time = entry.time;
                reader.partial_stream = entry.stream;
            }
            reader.partial += entry.log;
            continue;
        }
        if (!reader.partial.empty()) {
            print_line(reader, reader.partial_stream, reader.partial_time, reader.partial + entry.log);
            reader.partial.clear();
        } else {
            print_line(reader, entry.stream, entry.time, entry.log);
        }
    }
    out_.flush();
    err_.flush();
}

namespace {

bool default_running(const LogSource& source) {
    auto text = sys::read_file(source.log_path.parent_path() / "state.json");
    if (!text.ok()) return false;  // removed: nothing more will be written
    auto state = container::state_from_json(*text);
    if (!state.ok()) return false;
    return container::is_running(*state) && container::monitor_alive(*state);
}

}  // namespace

// One round of following: new sources, new lines, finished containers. Returns
// false when the loop should end.
bool LogStream::poll_once(const FollowHooks& hooks) {
    if (hooks.discover) {
        for (const auto& source : hooks.discover()) add(source);
    }
    std::vector<Reader*> fresh;
    for (auto& reader : readers_)
        if (!reader->backlog_done) fresh.push_back(reader.get());
    if (!fresh.empty()) print_backlog(fresh);
    std::vector<Merged> merged;
    size_t sequence = 0;
    auto is_running = [&](const Reader& reader) {
        return hooks.running ? hooks.running(reader.source) : default_running(reader.source);
    };
    auto read_new = [](Reader& reader) {
        bool any = reader.read_more();
        if (!any && reader.reopen_if_rotated()) any = reader.read_more();
        return any;
    };
    for (size_t index = 0; index < readers_.size(); ++index) {
        Reader& reader = *readers_[index];
        if (reader.finished) {
            // Only `up` watches for a container that starts again (restart, start).
            if (hooks.end_when_all_finished || !is_running(reader)) continue;
            reader.finished = false;
            reader.reported = false;
        }
        // A container's state is read only when its log is quiet; once it is seen
        // stopped, one more read drains what it wrote before it stopped.
        bool any = read_new(reader);
        if (!any && !is_running(reader)) {
            any = read_new(reader);
            if (!any) reader.finished = true;
        }
        std::vector<Entry> entries;
        decode_lines(reader.take_lines(), options_, reader.source.log_path.string(), entries);
        for (auto& entry : entries) merged.push_back({entry.time_ns, index, sequence++, std::move(entry.entry)});
    }
    std::stable_sort(merged.begin(), merged.end(),
                     [](const Merged& a, const Merged& b) { return a.time_ns < b.time_ns; });
    for (auto& line : merged) {
        Reader& reader = *readers_[line.reader];
        const auto& entry = line.entry;
        if (entry.log.empty() || entry.log.back() != '\n') {
            if (reader.partial.empty()) {
                reader.partial_time = entry.time;
                reader.partial_stream = entry.stream;
            }
            reader.partial += entry.log;
            continue;
        }
        print_line(reader, reader.partial.empty() ? entry.stream : reader.partial_stream,
                   reader.partial.empty() ? entry.time : reader.partial_time, reader.partial + entry.log);
        reader.partial.clear();
    }
    bool all_finished = true;
    for (auto& reader : readers_) {
        if (!reader->finished) {
            all_finished = false;
            continue;
        }
        if (!reader->partial.empty()) {
            print_line(*reader, reader->partial_stream, reader->partial_time, reader->partial);
            reader->partial.clear();
        }
        if (!reader->reported) {
            reader->reported = true;
            if (hooks.finished) hooks.finished(reader->source);
        }
    }
    out_.flush();
    err_.flush();
    if (hooks.stop && hooks.stop()) return false;
    return !(hooks.end_when_all_finished && all_finished);
}

Result<void> LogStream::run(const FollowHooks& hooks) {
    std::vector<Reader*> all;
    for (auto& reader : readers_) all.push_back(reader.get());
    print_backlog(all);
    if (!options_.follow) {
        for (auto& reader : readers_) {
            if (reader->partial.empty()) continue;
            print_line(*reader, reader->partial_stream, reader->partial_time, reader->partial);
            reader->partial.clear();
        }
        out_.flush();
        return ok();
    }
    // Lines written from now on are shown whatever --since said; --until still bounds them.
    while (poll_once(hooks)) std::this_thread::sleep_for(options_.poll_interval);
    return ok();
}

}  // namespace hako::cli
