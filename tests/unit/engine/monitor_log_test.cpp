// Tests for engine/monitor/monitor_log.c, hako-monitor's json-file log: the
// same bytes as log_line.cpp's encoder for any input, the time format, and
// rotation as docker's json-file driver does it (log_writer.h's files).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "engine/container/log_line.h"
#include "engine/monitor/log_writer.h"
#include "engine/monitor/monitor_log.h"

using namespace hako;
namespace fs = std::filesystem;

namespace {

std::string encode_c(const std::string& text, const char* stream, const char* time) {
    size_t size = monitor_log_encode(text.data(), text.size(), stream, time, nullptr, 0);
    std::string out(size, '\0');
    REQUIRE(monitor_log_encode(text.data(), text.size(), stream, time, out.data(), out.size()) == size);
    return out;
}

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("hako-monitor-log-" + std::to_string(::getpid()));
    TempDir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("monitor log: the C encoder writes log_line.cpp's bytes (escapes, UTF-8, invalid bytes)") {
    const char* time = "2026-11-28T09:41:08.123456789Z";
    for (std::string text : {std::string("hello\n"), std::string("hi \"x\"\t\\\r\n"), std::string("a\x01\x1b\x7f", 4),
                             std::string("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3\n"), std::string("\xff\xc3\n"),
                             std::string("\xed\xa0\x80 \xe0\x80\x80 \xf4\x90\x80\x80"), std::string(), std::string(20000, 'x')})
        REQUIRE(encode_c(text, "stdout", time) == container::encode_log_line(text, "stdout", time));
    std::mt19937 random(42);
    for (int round = 0; round < 2000; ++round) {
        std::string text(random() % 64, '\0');
        for (char& c : text) c = static_cast<char>(random() % 4 == 0 ? 0x80 + random() % 0x80 : random() % 0x100);
        REQUIRE(encode_c(text, "stderr", time) == container::encode_log_line(text, "stderr", time));
    }
}

TEST_CASE("monitor log: entry times are RFC 3339 in UTC with nanoseconds") {
    char time[32];
    monitor_log_time(time);
    std::string text(time);
    REQUIRE(text.size() == 30);
    REQUIRE(text[10] == 'T');
    REQUIRE(text.back() == 'Z');
    REQUIRE(container::parse_rfc3339_ns(text).ok());
}

TEST_CASE("monitor log: rotates by size into .1 … .N-1 and keeps every entry whole") {
    TempDir dir;
    fs::path log = dir.path / "c-json.log";
    monitor_log writer{};
    REQUIRE(monitor_log_open(&writer, log.c_str(), 300, 3) == 0);
    for (int i = 0; i < 20; ++i) {
        std::string text = "line " + std::string(30, static_cast<char>('a' + i)) + "\n";
        monitor_log_write(&writer, text.data(), text.size(), "stdout", "t");
    }
    ::close(writer.fd);
    auto files = monitor::log_files(log);
    REQUIRE(files.size() == 3);
    REQUIRE(files[0] == fs::path(log.string() + ".2"));
    REQUIRE(files[2] == log);
    for (const auto& f : files) REQUIRE(fs::file_size(f) <= 300);
    std::ifstream newest(log);
    std::string last, line;
    while (std::getline(newest, line)) {
        REQUIRE(container::decode_log_line(line).ok());
        last = line;
    }
    REQUIRE(container::decode_log_line(last)->log == "line " + std::string(30, 't') + "\n");
    REQUIRE_FALSE(fs::exists(log.string() + ".3"));
}

TEST_CASE("monitor log: with max_file 1 the log is cut back to empty") {
    TempDir dir;
    fs::path log = dir.path / "c-json.log";
    monitor_log writer{};
    REQUIRE(monitor_log_open(&writer, log.c_str(), 100, 1) == 0);
    for (int i = 0; i < 10; ++i) monitor_log_write(&writer, "xxxxxxxxxx\n", 11, "stdout", "t");
    ::close(writer.fd);
    REQUIRE(fs::file_size(log) <= 100);
    REQUIRE(fs::file_size(log) > 0);
    REQUIRE(monitor::log_files(log).size() == 1);
}
