// Tests for engine/container/options.cpp and log_line.cpp: ids, names, sizes,
// restart policies, signals, docker's Entrypoint/Cmd rules and json-file lines.
#include <signal.h>

#include <catch2/catch.hpp>
#include <set>

#include "engine/container/log_line.h"
#include "engine/container/options.h"

using namespace hako::container;

TEST_CASE("container id: 64 lowercase hex digits, different each time") {
    std::string a = generate_id(), b = generate_id();
    REQUIRE(a.size() == 64);
    REQUIRE(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    REQUIRE(a != b);
}

TEST_CASE("random names are adjective_noun, valid, and vary with the seed") {
    std::set<std::string> names;
    for (uint64_t seed = 0; seed < 64; ++seed) {
        std::string name = random_name(seed);
        REQUIRE(name.find('_') != std::string::npos);
        REQUIRE(valid_name(name));
        names.insert(name);
    }
    REQUIRE(names.size() > 32);
    REQUIRE(random_name(5) == random_name(5));
}

TEST_CASE("container names follow docker's rule") {
    REQUIRE(valid_name("web-1.a_b"));
    REQUIRE_FALSE(valid_name("a"));
    REQUIRE_FALSE(valid_name("_x"));
    REQUIRE_FALSE(valid_name("has space"));
    REQUIRE_FALSE(valid_name("slash/y"));
}

TEST_CASE("memory sizes: docker's units, case-insensitive, and clear errors") {
    REQUIRE(*parse_memory_size("1024") == 1024);
    REQUIRE(*parse_memory_size("64m") == 64 * 1024 * 1024);
    REQUIRE(*parse_memory_size("64MB") == 64 * 1024 * 1024);
    REQUIRE(*parse_memory_size("1g") == 1073741824);
    REQUIRE(*parse_memory_size("1.5k") == 1536);
    REQUIRE(*parse_memory_size("10b") == 10);
    for (const char* bad : {"", "abc", "12x", "-5m", "1q"}) {
        auto result = parse_memory_size(bad);
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().exit_code == kRunFailure);
        REQUIRE(result.error().message.find("invalid size") != std::string::npos);
    }
}

TEST_CASE("restart policies parse and decide like docker's") {
    REQUIRE(parse_restart_policy("no")->mode == RestartMode::No);
    REQUIRE(parse_restart_policy("always")->mode == RestartMode::Always);
    REQUIRE(parse_restart_policy("unless-stopped")->mode == RestartMode::UnlessStopped);
    auto on_failure = *parse_restart_policy("on-failure:2");
    REQUIRE(on_failure.mode == RestartMode::OnFailure);
    REQUIRE(on_failure.max_retries == 2);
    REQUIRE_FALSE(parse_restart_policy("sometimes").ok());
    REQUIRE_FALSE(parse_restart_policy("always:3").ok());
    REQUIRE_FALSE(parse_restart_policy("on-failure:x").ok());

    REQUIRE(should_restart(on_failure, 1, 0, false));
    REQUIRE(should_restart(on_failure, 1, 1, false));
    REQUIRE_FALSE(should_restart(on_failure, 1, 2, false));
    REQUIRE_FALSE(should_restart(on_failure, 0, 0, false));
    REQUIRE(should_restart(*parse_restart_policy("always"), 0, 100, false));
    REQUIRE_FALSE(should_restart(*parse_restart_policy("always"), 0, 0, true));
    REQUIRE_FALSE(should_restart(*parse_restart_policy("no"), 1, 0, false));
}

TEST_CASE("restart backoff doubles from 100 ms up to a minute") {
    REQUIRE(restart_delay_ms(0) == 100);
    REQUIRE(restart_delay_ms(1) == 200);
    REQUIRE(restart_delay_ms(3) == 800);
    REQUIRE(restart_delay_ms(20) == 60000);
}

TEST_CASE("signals by name, SIG name or number") {
    REQUIRE(*parse_signal("TERM") == SIGTERM);
    REQUIRE(*parse_signal("sigkill") == SIGKILL);
    REQUIRE(*parse_signal("SIGUSR1") == SIGUSR1);
    REQUIRE(*parse_signal("9") == 9);
    REQUIRE_FALSE(parse_signal("NOPE").ok());
    REQUIRE_FALSE(parse_signal("0").ok());
    REQUIRE_FALSE(parse_signal("").ok());
}

TEST_CASE("command: image Entrypoint + Cmd, run args replace Cmd, --entrypoint drops Cmd") {
    using V = std::vector<std::string>;
    std::optional<V> ep = V{"/entry"}, cmd = V{"serve", "--port"};
    REQUIRE(choose_command(ep, cmd, std::nullopt, {}).args() == V{"/entry", "serve", "--port"});
    REQUIRE(choose_command(ep, cmd, std::nullopt, {"x"}).args() == V{"/entry", "x"});
    REQUIRE(choose_command(ep, cmd, std::string("/other"), {}).args() == V{"/other"});
    REQUIRE(choose_command(ep, cmd, std::string("/other"), {"a"}).args() == V{"/other", "a"});
    REQUIRE(choose_command(ep, cmd, std::string(""), {"sh"}).args() == V{"sh"});
    REQUIRE(choose_command(std::nullopt, cmd, std::nullopt, {}).args() == V{"serve", "--port"});
    REQUIRE(choose_command(std::nullopt, std::nullopt, std::nullopt, {}).args().empty());
}

TEST_CASE("env: overrides replace image keys in place, bare keys come from the process") {
    auto env = merge_env({"PATH=/bin", "A=1"}, {"A=2", "B=3", "HOME", "MISSING"}, {{"HOME", "/root"}});
    REQUIRE(env == std::vector<std::string>{"PATH=/bin", "A=2", "B=3", "HOME=/root"});
}

TEST_CASE("log lines: docker's json-file shape, escapes, and a round trip") {
    std::string line = encode_log_line("hi \"x\"\t\\\n", "stdout", "2024-05-01T10:00:00.000000001Z");
    REQUIRE(line == "{\"log\":\"hi \\\"x\\\"\\t\\\\\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00.000000001Z\"}\n");
    std::string control = encode_log_line(std::string("a\x01\x1b", 3), "stderr", "t");
    REQUIRE(control.find("\\u0001\\u001b") != std::string::npos);
    auto entry = decode_log_line(line);
    REQUIRE(entry.ok());
    REQUIRE(entry->log == "hi \"x\"\t\\\n");
    REQUIRE(entry->stream == "stdout");
    REQUIRE_FALSE(decode_log_line("not json").ok());
}

TEST_CASE("log lines: valid UTF-8 is kept, invalid bytes become U+FFFD and the line still decodes") {
    auto kept = decode_log_line(encode_log_line("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3\n", "stdout", "t"));
    REQUIRE(kept.ok());
    REQUIRE(kept->log == "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3\n");
    for (std::string bad : {std::string("a\xff b"), std::string("a\xc3"), std::string("a\xed\xa0\x80"),
                            std::string("a\xc0\xaf"), std::string("a\xf5\x80\x80\x80")}) {
        auto entry = decode_log_line(encode_log_line(bad, "stdout", "t"));
        REQUIRE(entry.ok());
        REQUIRE(entry->log.find("\xef\xbf\xbd") != std::string::npos);
    }
}
