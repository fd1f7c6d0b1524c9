#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "src/project/dotenv.h"

using namespace hako::project;

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

EnvLookup lookup_from(std::map<std::string, std::string> values) {
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        auto it = values.find(name);
        if (it == values.end()) return std::nullopt;
        return it->second;
    };
}

Entries parse(std::string_view text, const EnvLookup& lookup = lookup_from({})) {
    auto r = parse_dotenv(text, ".env", lookup);
    if (!r.ok()) FAIL("unexpected error: " << r.error().message);
    return *r;
}

std::string parse_error(std::string_view text) {
    auto r = parse_dotenv(text, ".env", lookup_from({}));
    REQUIRE_FALSE(r.ok());
    return r.error().message;
}

std::string value_of(const Entries& entries, const std::string& key) {
    for (const auto& [k, v] : entries) {
        if (k == key) return v;
    }
    FAIL("no key " << key);
    return {};
}

}  // namespace

TEST_CASE("dotenv: KEY=VALUE lines, blank lines and comments") {
    auto e = parse("# a comment\n\nA=1\n  # indented comment\nB=two words\n");
    REQUIRE(e == Entries{{"A", "1"}, {"B", "two words"}});
}

TEST_CASE("dotenv: an export prefix and spaces around = are accepted") {
    auto e = parse("export A=1\nB = 2\nexport\tC=3\nexport=4\n");
    CHECK(e == Entries{{"A", "1"}, {"B", "2"}, {"C", "3"}, {"export", "4"}});
}

TEST_CASE("dotenv: unquoted values are trimmed and lose an inline ' #' comment") {
    auto e = parse("A=  value   \nB=value # comment\nC=a#b\nD= #only comment\nE=\n");
    CHECK(value_of(e, "A") == "value");
    CHECK(value_of(e, "B") == "value");
    CHECK(value_of(e, "C") == "a#b");
    CHECK(value_of(e, "D") == "");
    CHECK(value_of(e, "E") == "");
}

TEST_CASE("dotenv: single quotes are literal") {
    auto e = parse("A='${HOME} \\n # not a comment'\n", lookup_from({{"HOME", "/root"}}));
    CHECK(value_of(e, "A") == "${HOME} \\n # not a comment");
}

TEST_CASE("dotenv: double quotes understand escapes") {
    auto e = parse(R"(A="line1\nline2\ttab \"quoted\" back\\slash \$HOME \q")" "\n",
                   lookup_from({{"HOME", "/root"}}));
    CHECK(value_of(e, "A") == "line1\nline2\ttab \"quoted\" back\\slash $HOME \\q");
}

TEST_CASE("dotenv: double-quoted and unquoted values interpolate earlier keys, then the lookup") {
    auto e = parse("BASE=/srv\nDIR=\"${BASE}/data\"\nURL=http://${HOST}:${PORT:-80}\nLIT='${BASE}'\nCOST=$$5\n",
                   lookup_from({{"HOST", "example.org"}, {"BASE", "ignored"}}));
    CHECK(value_of(e, "DIR") == "/srv/data");
    CHECK(value_of(e, "URL") == "http://example.org:80");
    CHECK(value_of(e, "LIT") == "${BASE}");
    CHECK(value_of(e, "COST") == "$5");
}

TEST_CASE("dotenv: quoted values may span lines, and line numbers keep counting") {
    auto e = parse("A=\"one\ntwo\"\nB='x\ny'\nC=3\n");
    CHECK(value_of(e, "A") == "one\ntwo");
    CHECK(value_of(e, "B") == "x\ny");
    CHECK(value_of(e, "C") == "3");
    CHECK(parse_error("A=\"one\ntwo\"\nB='x\ny'\n!bad\n").rfind(".env:5:", 0) == 0);
}

TEST_CASE("dotenv: a comment may follow the closing quote, other text may not") {
    CHECK(value_of(parse("A=\"x\"  # note\n"), "A") == "x");
    CHECK(parse_error("A=\"x\" y\n") == ".env:1: unexpected text after the closing quote");
}

TEST_CASE("dotenv: a bare KEY takes its value from the lookup, or is left out") {
    auto e = parse("FROM_ENV\nNOT_SET\nexport ALSO # comment\n", lookup_from({{"FROM_ENV", "v"}, {"ALSO", "w"}}));
    CHECK(e == Entries{{"FROM_ENV", "v"}, {"ALSO", "w"}});
}

TEST_CASE("dotenv: a key set twice keeps its first position and its last value") {
    CHECK(parse("A=1\nB=2\nA=3\n") == Entries{{"A", "3"}, {"B", "2"}});
}

TEST_CASE("dotenv: CRLF line ends and a UTF-8 BOM are accepted") {
    CHECK(parse("\xEF\xBB\xBF" "A=1\r\nB=\"2\"\r\n") == Entries{{"A", "1"}, {"B", "2"}});
}

TEST_CASE("dotenv: malformed lines are errors naming file and line") {
    CHECK(parse_error("A=1\n1BAD=2\n") == ".env:2: invalid variable name \"1BAD\"");
    CHECK(parse_error("A B=1\n") == ".env:1: expected KEY=VALUE, found text after \"A\"");
    CHECK(parse_error("A=1\nB=\"unterminated\n") == ".env:2: unterminated double-quoted value");
    CHECK(parse_error("A='open\n") == ".env:1: unterminated single-quoted value");
    CHECK(parse_error("A=${B\n").rfind(".env:1: invalid interpolation format for \"${B\"", 0) == 0);
    CHECK(parse_error("A=${B:?needed}\n") == ".env:1: required variable B is missing a value: needed");
}

TEST_CASE("dotenv: load_dotenv reads a file and refuses binary content") {
    auto dir = std::filesystem::temp_directory_path() / "hako-dotenv-test";
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "good.env") << "A=1\n";
        std::ofstream bad(dir / "bad.env", std::ios::binary);
        bad.write("A=1\nB=\0\n", 8);
    }
    auto good = load_dotenv(dir / "good.env", lookup_from({}));
    REQUIRE(good.ok());
    CHECK(*good == Entries{{"A", "1"}});
    auto bad = load_dotenv(dir / "bad.env", lookup_from({}));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == (dir / "bad.env").string() + ":2: not a text file (NUL byte)");
    auto missing = load_dotenv(dir / "missing.env", lookup_from({}));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("missing.env") != std::string::npos);
    std::filesystem::remove_all(dir);
}
