// Tests for src/cli/log_stream.cpp: merging several json-file logs in time
// order, docker compose's prefixes and colours, tail/since/until, rotation,
// and the follow loop's discovery, stop and finished hooks.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/container/container_store.h"
#include "engine/container/log_line.h"
#include "engine/sys/tempdir.h"
#include "src/cli/log_stream.h"

using namespace hako;
using namespace hako::cli;

namespace {

struct Fixture {
    sys::TempDir dir = std::move(sys::TempDir::create(std::filesystem::temp_directory_path(), "hako-logs-").value());

    // A container folder with a log of `lines` (stream, time, text) and a state.
    LogSource container(const std::string& id, const std::string& name,
                        const std::vector<std::array<std::string, 3>>& lines, const std::string& status = "exited") {
        auto folder = dir.path() / id;
        std::filesystem::create_directories(folder);
        LogSource source{id, name, folder / (id + "-json.log")};
        append(source, lines);
        container::ContainerState state;
        state.status = status;
        state.monitor_pid = status == "running" ? ::getpid() : 0;
        std::ofstream(folder / "state.json") << container::state_to_json(state);
        return source;
    }
    static void append(const LogSource& source, const std::vector<std::array<std::string, 3>>& lines,
                       const std::string& suffix = "") {
        std::ofstream out(source.log_path.string() + suffix, std::ios::app);
        for (const auto& [stream, time, text] : lines) out << container::encode_log_line(text, stream, time);
    }
};

std::string run_stream(LogStreamOptions options, const std::vector<LogSource>& sources, std::string* err = nullptr,
                       const FollowHooks& hooks = {}) {
    std::ostringstream out, error;
    LogStream stream(options, out, error);
    for (const auto& source : sources) stream.add(source);
    REQUIRE(stream.run(hooks).ok());
    if (err) *err = error.str();
    return out.str();
}

LogStreamOptions plain() {
    LogStreamOptions options;
    options.color = false;
    return options;
}

}  // namespace

TEST_CASE("log stream: several containers merge in time order with padded prefixes") {
    Fixture f;
    auto web = f.container("a1", "web-1", {{"stdout", "2026-01-01T00:00:01.000000000Z", "web one\n"},
                                           {"stdout", "2026-01-01T00:00:03.000000000Z", "web two\n"}});
    auto db = f.container("b2", "database-1", {{"stderr", "2026-01-01T00:00:02.000000000Z", "db one\n"},
                                               {"stdout", "2026-01-01T00:00:04.000000000Z", "db two\n"}});
    CHECK(run_stream(plain(), {web, db}) ==
          "web-1       | web one\n"
          "database-1  | db one\n"
          "web-1       | web two\n"
          "database-1  | db two\n");
}

TEST_CASE("log stream: colours cycle as docker compose hands them out, the prefix is coloured") {
    CHECK(log_color(0) == "\033[36m");
    CHECK(log_color(1) == "\033[33m");
    CHECK(log_color(5) == "\033[36;1m");
    CHECK(log_color(10) == "\033[36m");
    CHECK(log_prefix("web-1", 5, "") == "web-1  | ");
    CHECK(log_prefix("web-1", 5, "\033[36m") == "\033[36mweb-1  |\033[0m ");
    Fixture f;
    auto a = f.container("a", "a-1", {{"stdout", "2026-01-01T00:00:01Z", "x\n"}});
    auto b = f.container("b", "b-1", {{"stdout", "2026-01-01T00:00:02Z", "y\n"}});
    LogStreamOptions options;
    CHECK(run_stream(options, {a, b}) == "\033[36ma-1  |\033[0m x\n\033[33mb-1  |\033[0m y\n");
}

TEST_CASE("log stream: --no-log-prefix and -t print the bare line and its time") {
    Fixture f;
    auto a = f.container("a", "a-1", {{"stdout", "2026-01-01T00:00:01.500000000Z", "x\n"}});
    auto options = plain();
    options.prefix = false;
    CHECK(run_stream(options, {a}) == "x\n");
    options.timestamps = true;
    CHECK(run_stream(options, {a}) == "2026-01-01T00:00:01.500000000Z x\n");
    options.prefix = true;
    CHECK(run_stream(options, {a}) == "a-1  | 2026-01-01T00:00:01.500000000Z x\n");
}

TEST_CASE("log stream: --tail counts per container, --since and --until bound by time") {
    Fixture f;
    auto a = f.container("a", "a", {{"stdout", "2026-01-01T00:00:01Z", "a1\n"},
                                    {"stdout", "2026-01-01T00:00:03Z", "a3\n"},
                                    {"stdout", "2026-01-01T00:00:05Z", "a5\n"}});
    auto b = f.container("b", "b", {{"stdout", "2026-01-01T00:00:02Z", "b2\n"},
                                    {"stdout", "2026-01-01T00:00:04Z", "b4\n"}});
    auto options = plain();
    options.prefix = false;
    options.tail = 1;
    CHECK(run_stream(options, {a, b}) == "b4\na5\n");
    options.tail = 0;
    CHECK(run_stream(options, {a, b}).empty());
    options.tail.reset();
    options.since = parse_rfc3339("2026-01-01T00:00:02Z").value();
    options.until = parse_rfc3339("2026-01-01T00:00:04Z").value();
    CHECK(run_stream(options, {a, b}) == "b2\na3\nb4\n");
}

TEST_CASE("log stream: stderr lines go to err only when streams are split") {
    Fixture f;
    auto a = f.container("a", "a", {{"stdout", "2026-01-01T00:00:01Z", "out\n"},
                                    {"stderr", "2026-01-01T00:00:02Z", "err\n"}});
    auto options = plain();
    options.prefix = false;
    std::string err;
    CHECK(run_stream(options, {a}, &err) == "out\nerr\n");
    CHECK(err.empty());
    options.split_streams = true;
    CHECK(run_stream(options, {a}, &err) == "out\n");
    CHECK(err == "err\n");
}

TEST_CASE("log stream: a line cut into pieces prints whole; a last piece without newline gets one") {
    Fixture f;
    auto a = f.container("a", "a", {{"stdout", "2026-01-01T00:00:01Z", "long "},
                                    {"stdout", "2026-01-01T00:00:01Z", "line\n"},
                                    {"stdout", "2026-01-01T00:00:02Z", "no newline"}});
    CHECK(run_stream(plain(), {a}) == "a  | long line\na  | no newline\n");
}

TEST_CASE("log stream: rotated files are read oldest first") {
    Fixture f;
    auto a = f.container("a", "a", {{"stdout", "2026-01-01T00:00:05Z", "current\n"}});
    Fixture::append(a, {{"stdout", "2026-01-01T00:00:01Z", "oldest\n"}}, ".2");
    Fixture::append(a, {{"stdout", "2026-01-01T00:00:03Z", "older\n"}}, ".1");
    auto options = plain();
    options.prefix = false;
    CHECK(run_stream(options, {a}) == "oldest\nolder\ncurrent\n");
    options.tail = 2;
    CHECK(run_stream(options, {a}) == "older\ncurrent\n");
}

TEST_CASE("log stream: following ends when every container stopped, after its last lines") {
    Fixture f;
    auto a = f.container("a", "a", {{"stdout", "2026-01-01T00:00:01Z", "first\n"}}, "running");
    auto options = plain();
    options.follow = true;
    options.prefix = false;
    options.poll_interval = std::chrono::milliseconds(1);
    int polls = 0;
    std::vector<std::string> finished;
    FollowHooks hooks;
    // The container writes a line and stops, as seen from the log's side.
    hooks.running = [&](const LogSource&) {
        if (++polls == 3) Fixture::append(a, {{"stdout", "2026-01-01T00:00:02Z", "last\n"}});
        return polls < 3;
    };
    hooks.finished = [&](const LogSource& source) { finished.push_back(source.id); };
    CHECK(run_stream(options, {a}, nullptr, hooks) == "first\nlast\n");
    CHECK(finished == std::vector<std::string>{"a"});
}

TEST_CASE("log stream: following picks up containers found later, reads across rotation, stops when asked") {
    Fixture f;
    auto a = f.container("a", "a-1", {{"stdout", "2026-01-01T00:00:01Z", "a1\n"}}, "running");
    auto b = f.container("b", "bb-1", {{"stdout", "2026-01-01T00:00:02Z", "b2\n"}}, "running");
    auto options = plain();
    options.follow = true;
    options.poll_interval = std::chrono::milliseconds(1);
    int polls = 0;
    FollowHooks hooks;
    hooks.end_when_all_finished = false;
    hooks.running = [](const LogSource&) { return true; };
    hooks.discover = [&]() -> std::vector<LogSource> {
        ++polls;
        if (polls == 2) return {b};
        if (polls == 3) {
            // a's log rotates: the rest of the old file, then the new one.
            Fixture::append(a, {{"stdout", "2026-01-01T00:00:03Z", "a3\n"}});
            std::filesystem::rename(a.log_path, a.log_path.string() + ".1");
            Fixture::append(a, {{"stdout", "2026-01-01T00:00:04Z", "a4\n"}});
        }
        return {};
    };
    hooks.stop = [&] { return polls >= 6; };
    CHECK(run_stream(options, {a}, nullptr, hooks) ==
          "a-1  | a1\n"
          "bb-1  | b2\n"
          "a-1   | a3\n"
          "a-1   | a4\n");
}

TEST_CASE("log stream: times and tails parse as docker takes them") {
    CHECK(parse_rfc3339("1970-01-01T00:00:01.5Z").value() == 1'500'000'000);
    CHECK(parse_rfc3339("1970-01-01T01:00:00+01:00").value() == 0);
    CHECK_FALSE(parse_rfc3339("yesterday").ok());
    int64_t now = 1'000'000'000'000;
    CHECK(parse_log_time("10m", now, "--since").value() == now - 600'000'000'000);
    CHECK(parse_log_time("1h30m", now, "--since").value() == now - 5'400'000'000'000);
    CHECK(parse_log_time("1700000000", now, "--since").value() == 1'700'000'000'000'000'000);
    CHECK(parse_log_time("1970-01-02", now, "--since").value() == 86'400'000'000'000);
    CHECK(parse_log_time("1970-01-01T00:01:00", now, "--since").value() == 60'000'000'000);
    auto bad = parse_log_time("soon", now, "--until");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("--until") != std::string::npos);
    CHECK(bad.error().exit_code == ExitCode::Usage);
    CHECK_FALSE(parse_tail("all").value().has_value());
    CHECK(parse_tail("5").value() == 5u);
    CHECK_FALSE(parse_tail("five").ok());
}
