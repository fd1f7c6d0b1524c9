// Tests for src/cli/output.cpp: aligned tables, error reporting, output files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "engine/sys/file.h"
#include "src/cli/output.h"

using namespace hako;
using namespace hako::cli;

TEST_CASE("output: tables align columns with two spaces") {
    std::string text = format_table({{"NAME", "REQUIRED", "DEFAULT VALUE"}, {"TAG", "false", "latest"},
                                     {"DATABASE_URL", "true", ""}});
    CHECK(text ==
          "NAME          REQUIRED  DEFAULT VALUE\n"
          "TAG           false     latest\n"
          "DATABASE_URL  true      \n");
}

TEST_CASE("output: a newline or tab in a cell is escaped, so a row stays one line") {
    std::string text = format_table({{"NAME", "COMMAND"}, {"a", "sh -c 'true\nexit 0'"}, {"b", "x\ty"}});
    CHECK(text ==
          "NAME  COMMAND\n"
          "a     sh -c 'true\\nexit 0'\n"
          "b     x\\ty\n");
}

TEST_CASE("output: report returns the error's exit status") {
    CHECK(report(ok()) == 0);
    CHECK(report(Result<void>(Error("boom"))) == 1);
    CHECK(report(Result<void>(Error::usage("bad flag"))) == 2);
}

TEST_CASE("output: write_output writes a file atomically when asked") {
    auto dir = std::filesystem::temp_directory_path() / ("hako-output-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto file = dir / "out.yaml";
    REQUIRE(write_output(file.string(), "services: {}\n").ok());
    auto text = sys::read_file(file);
    REQUIRE(text.ok());
    CHECK(*text == "services: {}\n");
    CHECK_FALSE(write_output((dir / "missing" / "out.yaml").string(), "x").ok());
    std::filesystem::remove_all(dir);
}
