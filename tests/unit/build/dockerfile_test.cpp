// Tests of the Dockerfile parser (engine/build/dockerfile.cpp).
#include <catch2/catch.hpp>

#include "engine/build/dockerfile.h"
#include "engine/build/duration.h"

using namespace hako::build;

namespace {
Dockerfile parse_ok(std::string_view text) {
    auto r = parse_dockerfile(text);
    if (!r.ok()) FAIL(r.error().message);
    return std::move(r).value();
}
std::string parse_error(std::string_view text) {
    auto r = parse_dockerfile(text);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
}
}  // namespace

TEST_CASE("dockerfile: instructions are case-insensitive and keep their line numbers") {
    auto df = parse_ok("from busybox\n\nrun echo hi\n# comment\nCMD [\"sh\"]\n");
    REQUIRE(df.instructions.size() == 3);
    CHECK(df.instructions[0].keyword == "FROM");
    CHECK(df.instructions[1].keyword == "RUN");
    CHECK(df.instructions[1].line == 3);
    CHECK(df.instructions[1].args == "echo hi");
    CHECK_FALSE(df.instructions[1].exec_form);
    CHECK(df.instructions[2].exec_form);
    CHECK(df.instructions[2].words == std::vector<std::string>{"sh"});
}

TEST_CASE("dockerfile: continuations join lines and skip comments and blank lines inside") {
    auto df = parse_ok("FROM x\nRUN a \\\n# inner comment\n\n  && b \\\n  && c\nENV X=1\n");
    REQUIRE(df.instructions.size() == 3);
    CHECK(df.instructions[1].args == "a   && b   && c");
    CHECK(df.instructions[2].line == 7);
}

TEST_CASE("dockerfile: an escaped escape at line end is not a continuation") {
    auto df = parse_ok("FROM x\nRUN echo a\\\\\nRUN echo b\n");
    CHECK(df.instructions.size() == 3);
}

TEST_CASE("dockerfile: the escape directive switches to backtick") {
    auto df = parse_ok("# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo\n");
    CHECK(df.escape == '`');
    CHECK(df.directives.at("escape") == "`");
    REQUIRE(df.instructions.size() == 2);
    CHECK(df.instructions[1].args == "dir c:\\   && echo");
}

TEST_CASE("dockerfile: directives only count at the top") {
    auto df = parse_ok("# syntax=docker/dockerfile:1\n# escape=\\\nFROM x\n# escape=`\nRUN a \\\n b\n");
    CHECK(df.directives.at("syntax") == "docker/dockerfile:1");
    CHECK(df.escape == '\\');
    CHECK(df.instructions.size() == 2);
    CHECK(parse_error("# escape=x\nFROM a\n").find("Dockerfile:1: invalid escape token") != std::string::npos);
    CHECK(parse_error("# syntax=a\n# syntax=b\nFROM a\n").find("only one syntax") != std::string::npos);
}

TEST_CASE("dockerfile: unknown instruction errors name the line, and every error is reported") {
    std::string e = parse_error("FROM x\nFOO bar\nRUN ok\nBAR\n");
    CHECK(e.find("Dockerfile:2: unknown instruction: FOO") != std::string::npos);
    CHECK(e.find("Dockerfile:4: unknown instruction: BAR") != std::string::npos);
}

TEST_CASE("dockerfile: flags are parsed and checked") {
    auto df = parse_ok(
        "FROM --platform=linux/amd64 x AS build\n"
        "RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --network=none make\n"
        "COPY --from=build --chown=1:2 --chmod=0755 --link a b /dst/\n"
        "ADD --checksum=sha256:abc https://x/y /y\n");
    auto& run = df.instructions[1];
    CHECK(run.flag_values("mount") == std::vector<std::string>{"type=cache,target=/c", "type=tmpfs,target=/t"});
    CHECK(run.flag("network")->value == "none");
    CHECK(run.args == "make");
    auto& copy = df.instructions[2];
    CHECK(copy.flag("from")->value == "build");
    CHECK(copy.flag("link")->has_value == false);
    CHECK(copy.words == std::vector<std::string>{"a", "b", "/dst/"});
    CHECK(parse_error("FROM x\nCOPY --bogus=1 a b\n").find("Dockerfile:2: unknown flag: --bogus") != std::string::npos);
    CHECK(parse_error("FROM x\nRUN --network=bridge2 a\n").find("Dockerfile:2:") != std::string::npos);
    CHECK(parse_error("FROM x\nCOPY --from a b\n").find("needs a value") != std::string::npos);
    CHECK(parse_error("FROM x\nCOPY --chown=1 --chown=2 a b\n").find("given twice") != std::string::npos);
    CHECK(parse_error("FROM x\nADD --from=y a b\n").find("unknown flag") != std::string::npos);
}

TEST_CASE("dockerfile: instructions without flags keep -- words as arguments") {
    auto df = parse_ok("FROM x\nCMD --help\n");
    CHECK(df.instructions[1].args == "--help");
    CHECK(df.instructions[1].flags.empty());
}

TEST_CASE("dockerfile: exec form needs a JSON array of strings, else it is shell form") {
    auto df = parse_ok("FROM x\nCMD [\"a\", \"b c\"]\nENTRYPOINT [a, b]\nRUN [\"x\", 1]\n");
    CHECK(df.instructions[1].exec_form);
    CHECK(df.instructions[1].words == std::vector<std::string>{"a", "b c"});
    CHECK_FALSE(df.instructions[2].exec_form);
    CHECK_FALSE(df.instructions[3].exec_form);
    CHECK(parse_error("FROM x\nSHELL /bin/bash -c\n").find("Dockerfile:2: SHELL must be a JSON array") != std::string::npos);
}

TEST_CASE("dockerfile: heredocs collect lines up to the delimiter") {
    auto df = parse_ok(
        "FROM x\n"
        "RUN <<EOF\n"
        "echo one\n"
        "echo $HOME\n"
        "EOF\n"
        "COPY <<-\"END\" <<two /dst/\n"
        "\t\tliteral $x\n"
        "\tEND\n"
        "second\n"
        "two\n"
        "CMD done\n");
    REQUIRE(df.instructions.size() == 4);
    auto& run = df.instructions[1];
    REQUIRE(run.heredocs.size() == 1);
    CHECK(run.heredocs[0].name == "EOF");
    CHECK(run.heredocs[0].content == "echo one\necho $HOME\n");
    CHECK(run.heredocs[0].expand);
    auto& copy = df.instructions[2];
    REQUIRE(copy.heredocs.size() == 2);
    CHECK(copy.heredocs[0].name == "END");
    CHECK(copy.heredocs[0].content == "literal $x\n");
    CHECK_FALSE(copy.heredocs[0].expand);
    CHECK(copy.heredocs[0].strip_tabs);
    CHECK(copy.heredocs[1].content == "second\n");
    CHECK(df.instructions[3].line == 11);
    CHECK(parse_error("FROM x\nRUN <<EOF\necho\n").find("Dockerfile:2: RUN: heredoc <<EOF is not closed") !=
          std::string::npos);
}

TEST_CASE("dockerfile: heredoc markers inside exec form or other instructions are plain text") {
    auto df = parse_ok("FROM x\nRUN [\"echo\", \"<<EOF\"]\nENV A=<<EOF\n");
    CHECK(df.instructions[1].heredocs.empty());
    CHECK(df.instructions[2].heredocs.empty());
}

TEST_CASE("dockerfile: words keep quotes for substitution to remove") {
    auto df = parse_ok("FROM x\nENV A=\"x y\" B='z' C=w\\ v\nLABEL \"k 1\"=v\n");
    CHECK(df.instructions[1].words == std::vector<std::string>{"A=\"x y\"", "B='z'", "C=w\\ v"});
    CHECK(df.instructions[2].words == std::vector<std::string>{"\"k 1\"=v"});
}

TEST_CASE("dockerfile: argument counts and forms are checked per instruction") {
    CHECK(parse_error("FROM\n").find("Dockerfile:1: FROM takes an image") != std::string::npos);
    CHECK(parse_error("FROM a b\n").find("FROM takes") != std::string::npos);
    CHECK(parse_error("FROM a FOR b\n").find("AS name") != std::string::npos);
    CHECK(parse_error("FROM a AS 1bad\n").find("stage name") != std::string::npos);
    CHECK(parse_error("FROM a\nRUN\n").find("Dockerfile:2: RUN needs a command") != std::string::npos);
    CHECK(parse_error("FROM a\nCMD\n").find("CMD needs") != std::string::npos);
    CHECK(parse_error("FROM a\nENV\n").find("ENV needs") != std::string::npos);
    CHECK(parse_error("FROM a\nENV A\n").find("ENV needs a value") != std::string::npos);
    CHECK(parse_error("FROM a\nENV A=1 B\n").find("\"B\" is not KEY=value") != std::string::npos);
    CHECK(parse_error("FROM a\nLABEL a\n").find("LABEL needs") != std::string::npos);
    CHECK(parse_error("FROM a\nARG =x\n").find("has no name") != std::string::npos);
    CHECK(parse_error("FROM a\nEXPOSE\n").find("EXPOSE needs") != std::string::npos);
    CHECK(parse_error("FROM a\nUSER a b\n").find("USER takes exactly one") != std::string::npos);
    CHECK(parse_error("FROM a\nWORKDIR\n").find("WORKDIR needs") != std::string::npos);
    CHECK(parse_error("FROM a\nCOPY a\n").find("COPY needs at least one source") != std::string::npos);
    CHECK(parse_error("FROM a\nSTOPSIGNAL\n").find("STOPSIGNAL takes") != std::string::npos);
    auto ok = parse_ok("FROM a\nENV A 1 2\nARG X Y=2\nWORKDIR /a b\n");
    CHECK(ok.instructions[1].words.size() == 3);
}

TEST_CASE("dockerfile: HEALTHCHECK forms and flags") {
    auto df = parse_ok("FROM a\nHEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost\nHEALTHCHECK NONE\n");
    CHECK(df.instructions[1].flag("interval")->value == "5s");
    CHECK(df.instructions[1].words[0] == "CMD");
    CHECK(parse_error("FROM a\nHEALTHCHECK --interval=5x CMD a\n").find("invalid duration") != std::string::npos);
    CHECK(parse_error("FROM a\nHEALTHCHECK --interval=10us CMD a\n").find("less than 1ms") != std::string::npos);
    CHECK(parse_error("FROM a\nHEALTHCHECK --retries=0 CMD a\n").find("positive") != std::string::npos);
    CHECK(parse_error("FROM a\nHEALTHCHECK NONE x\n").find("NONE takes") != std::string::npos);
    CHECK(parse_error("FROM a\nHEALTHCHECK RUN x\n").find("must be NONE or CMD") != std::string::npos);
    CHECK(parse_error("FROM a\nHEALTHCHECK CMD\n").find("CMD needs") != std::string::npos);
}

TEST_CASE("dockerfile: ONBUILD holds its trigger and refuses forbidden ones") {
    auto df = parse_ok("FROM a\nONBUILD RUN echo hi\n");
    REQUIRE(df.instructions[1].onbuild);
    CHECK(df.instructions[1].onbuild->keyword == "RUN");
    CHECK(df.instructions[1].onbuild->args == "echo hi");
    CHECK(parse_error("FROM a\nONBUILD ONBUILD RUN x\n").find("cannot trigger ONBUILD") != std::string::npos);
    CHECK(parse_error("FROM a\nONBUILD FROM x\n").find("cannot trigger FROM") != std::string::npos);
    CHECK(parse_error("FROM a\nONBUILD NOPE x\n").find("unknown instruction: NOPE") != std::string::npos);
}

TEST_CASE("dockerfile: CRLF line ends and a missing final newline are accepted") {
    auto df = parse_ok("FROM a\r\nRUN x \\\r\n y\r\nCMD z");
    REQUIRE(df.instructions.size() == 3);
    CHECK(df.instructions[1].args == "x  y");
    CHECK(df.instructions[2].args == "z");
}

TEST_CASE("stages: global ARGs, named stages, and errors") {
    auto df = parse_ok("ARG V=1\nFROM a:$V AS Build\nRUN x\nFROM scratch\nCOPY --from=build /x /x\n");
    auto plan = split_stages(df);
    REQUIRE(plan.ok());
    CHECK(plan->global_args.size() == 1);
    REQUIRE(plan->stages.size() == 2);
    CHECK(plan->stages[0].name == "build");
    CHECK(plan->stages[0].base == "a:$V");
    CHECK(plan->stages[0].instructions.size() == 1);
    CHECK(plan->stages[1].index == 1);
    auto before = split_stages(parse_ok("RUN x\nFROM a\n"));
    REQUIRE_FALSE(before.ok());
    CHECK(before.error().message.find("Dockerfile:1: RUN before the first FROM") != std::string::npos);
    auto dup = split_stages(parse_ok("FROM a AS x\nFROM b AS X\n"));
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().message.find("Dockerfile:2: duplicate stage name") != std::string::npos);
    auto none = split_stages(parse_ok("# only a comment\n"));
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message.find("no FROM") != std::string::npos);
}

TEST_CASE("duration: Go durations to nanoseconds") {
    CHECK(*parse_duration("30s") == 30000000000LL);
    CHECK(*parse_duration("1m30s") == 90000000000LL);
    CHECK(*parse_duration("1.5h") == 5400000000000LL);
    CHECK(*parse_duration("250ms") == 250000000LL);
    CHECK(*parse_duration("0") == 0);
    CHECK_FALSE(parse_duration("").ok());
    CHECK_FALSE(parse_duration("10").ok());
    CHECK_FALSE(parse_duration("s").ok());
    CHECK_FALSE(parse_duration("1..2s").ok());
    CHECK_FALSE(parse_duration("99999999999h").ok());
}
