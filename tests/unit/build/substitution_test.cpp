// Tests of Dockerfile variable substitution (engine/build/substitution.cpp).
#include <catch2/catch.hpp>

#include "engine/build/substitution.h"

using namespace hako::build;

namespace {
const Environment env = {{"A", "apple"}, {"E", ""}, {"P", "/usr/local/bin/tool.tar.gz"}, {"S", "a b"}};
std::string x(std::string_view word) {
    auto r = expand_word(word, env);
    if (!r.ok()) FAIL(r.error().message);
    return *r;
}
std::string err(std::string_view word) {
    auto r = expand_word(word, env);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
}
}  // namespace

TEST_CASE("substitution: plain and braced variables") {
    CHECK(x("$A") == "apple");
    CHECK(x("${A}s") == "apples");
    CHECK(x("$As") == "");
    CHECK(x("$UNSET-x") == "-x");
    CHECK(x("a$") == "a$");
    CHECK(x("$1x") == "x");
    CHECK(x("cost: $ 5") == "cost: $ 5");
}

TEST_CASE("substitution: defaults and alternatives with and without the colon") {
    CHECK(x("${A:-d}") == "apple");
    CHECK(x("${E:-d}") == "d");
    CHECK(x("${E-d}") == "");
    CHECK(x("${U-d}") == "d");
    CHECK(x("${A:+alt}") == "alt");
    CHECK(x("${E:+alt}") == "");
    CHECK(x("${E+alt}") == "alt");
    CHECK(x("${U+alt}") == "");
    CHECK(x("${U:-${A}-pie}") == "apple-pie");
    CHECK(x("${U:-'${A}'}") == "${A}");
}

TEST_CASE("substitution: required variables fail with the message") {
    CHECK(x("${A:?need A}") == "apple");
    CHECK(err("${U:?need U}").find("U: need U") != std::string::npos);
    CHECK(err("${E:?}").find("E: is not allowed to be unset or empty") != std::string::npos);
    CHECK(x("${E?}") == "");
    CHECK(err("${U?}").find("U: is not allowed to be unset") != std::string::npos);
}

TEST_CASE("substitution: prefix and suffix removal, shortest and longest") {
    CHECK(x("${P#*/}") == "usr/local/bin/tool.tar.gz");
    CHECK(x("${P##*/}") == "tool.tar.gz");
    CHECK(x("${P%.*}") == "/usr/local/bin/tool.tar");
    CHECK(x("${P%%.*}") == "/usr/local/bin/tool");
    CHECK(x("${A#x}") == "apple");
    CHECK(x("${U#x}") == "");
}

TEST_CASE("substitution: pattern replacement, first and all") {
    CHECK(x("${A/p/P}") == "aPple");
    CHECK(x("${A//p/P}") == "aPPle");
    CHECK(x("${A/p*/!}") == "a!");
    CHECK(x("${A//p}") == "ale");
    CHECK(x("${A/z/y}") == "apple");
}

TEST_CASE("substitution: quotes and escapes") {
    CHECK(x("'$A'") == "$A");
    CHECK(x("\"$A and $S\"") == "apple and a b");
    CHECK(x("\\$A") == "$A");
    CHECK(x("a\\ b") == "a b");
    CHECK(x("\"q\\\"x\"") == "q\"x");
    CHECK(x("\"back\\slash\"") == "back\\slash");
    auto tick = expand_word("`$A", env, '`');
    REQUIRE(tick.ok());
    CHECK(*tick == "$A");
}

TEST_CASE("substitution: malformed words are errors that quote them") {
    CHECK(err("${A").find("missing '}'") != std::string::npos);
    CHECK(err("${A:-x").find("missing '}'") != std::string::npos);
    CHECK(err("${}").find("without a variable name") != std::string::npos);
    CHECK(err("${A:x}").find("unsupported modifier") != std::string::npos);
    CHECK(err("${A!}").find("unsupported modifier") != std::string::npos);
    CHECK(err("'open").find("missing closing '") != std::string::npos);
    CHECK(err("\"open").find("in \"\"open\"") != std::string::npos);
}

TEST_CASE("substitution: the variables a word uses are reported, set or not") {
    std::set<std::string> used;
    REQUIRE(expand_word("${A}-$U-${V:-$W}", env, '\\', &used).ok());
    CHECK(used == std::set<std::string>{"A", "U", "V", "W"});
    CHECK(referenced_variables("echo $X ${Y:-z} $1 $") == std::set<std::string>{"X", "Y"});
}
