// Tests of .dockerignore matching (engine/build/dockerignore.cpp).
#include <catch2/catch.hpp>

#include "engine/build/dockerignore.h"

using namespace hako::build;

TEST_CASE("dockerignore: plain names, folders and globs") {
    auto m = IgnoreMatcher::parse("# comment\n\nnode_modules\n*.log\n/build/\ndocs/*.md\n");
    CHECK(m.excluded("node_modules"));
    CHECK(m.excluded("node_modules/x/y.js"));
    CHECK(m.excluded("error.log"));
    CHECK_FALSE(m.excluded("sub/error.log"));
    CHECK(m.excluded("build/out.o"));
    CHECK(m.excluded("docs/a.md"));
    CHECK_FALSE(m.excluded("docs/sub/a.md"));
    CHECK_FALSE(m.excluded("src/main.c"));
    CHECK_FALSE(m.excluded(""));
}

TEST_CASE("dockerignore: ** matches any number of folders") {
    auto m = IgnoreMatcher::parse("**/*.tmp\na/**/z\n");
    CHECK(m.excluded("x.tmp"));
    CHECK(m.excluded("a/b/c/x.tmp"));
    CHECK(m.excluded("a/z"));
    CHECK(m.excluded("a/b/c/z"));
    CHECK_FALSE(m.excluded("b/z"));
}

TEST_CASE("dockerignore: ! exceptions, the last match wins") {
    auto m = IgnoreMatcher::parse("*.md\n!README.md\nREADME*\n!README.md\n");
    CHECK(m.excluded("CHANGES.md"));
    CHECK_FALSE(m.excluded("README.md"));
    CHECK(m.excluded("README.txt"));
    auto again = IgnoreMatcher::parse("!keep\n*\n");
    CHECK(again.excluded("keep"));
}

TEST_CASE("dockerignore: an exception below an excluded folder makes the walk descend") {
    auto m = IgnoreMatcher::parse("data\n!data/keep.txt\n");
    CHECK(m.excluded("data"));
    CHECK(m.excluded("data/other"));
    CHECK_FALSE(m.excluded("data/keep.txt"));
    CHECK(m.may_include_below("data"));
    CHECK_FALSE(m.may_include_below("other"));
}

TEST_CASE("dockerignore: patterns are cleaned") {
    auto m = IgnoreMatcher::parse("./a//b/\n  c  \n");
    CHECK(m.excluded("a/b"));
    CHECK(m.excluded("c"));
    CHECK(m.fingerprint() == "a/b\nc\n");
}
