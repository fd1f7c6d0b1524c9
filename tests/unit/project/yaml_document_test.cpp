#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "engine/sys/file.h"
#include "src/project/interpolate.h"
#include "src/project/yaml_document.h"

using namespace hako::project;

namespace {

struct Parsed {
    Diagnostics diagnostics;
    hako::Result<std::vector<Document>> result = hako::Error("not run");

    const Document& doc(size_t i = 0) const {
        REQUIRE(result.ok());
        REQUIRE(result->size() > i);
        return (*result)[i];
    }
    const Json& value() const { return doc().value; }
    std::string error() const {
        REQUIRE_FALSE(result.ok());
        return result.error().message;
    }
    std::vector<std::string> errors() const {
        std::vector<std::string> out;
        for (const auto& d : diagnostics.items()) {
            if (d.severity == Severity::Error) out.push_back(d.str());
        }
        return out;
    }
    std::vector<std::string> warnings() const {
        std::vector<std::string> out;
        for (const auto& d : diagnostics.items()) {
            if (d.severity == Severity::Warning) out.push_back(d.str());
        }
        return out;
    }
};

Parsed parse(std::string_view text, const Environment* env = nullptr, ParseOptions options = {}) {
    Parsed p;
    options.environment = env;
    p.result = parse_documents(text, "compose.yaml", options, p.diagnostics);
    return p;
}

std::string mark_of(const Document& d, const std::string& path) {
    auto mark = d.marks.find_exact(path);
    if (!mark) return "none";
    return std::to_string(mark->line) + ":" + std::to_string(mark->column);
}

}  // namespace

// ---------------------------------------------------------------- structure and marks

TEST_CASE("yaml: a mapping decodes to JSON with the key's 1-based position as each entry's mark") {
    auto p = parse("services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n      - 443\n");
    const auto& d = p.doc();
    CHECK(d.file == "compose.yaml");
    CHECK(d.value == Json::parse(R"({"services":{"web":{"image":"nginx","ports":["80:80",443]}}})"));
    CHECK(mark_of(d, "") == "1:1");
    CHECK(mark_of(d, "services") == "1:1");
    CHECK(mark_of(d, "services.web") == "2:3");
    CHECK(mark_of(d, "services.web.image") == "3:5");
    CHECK(mark_of(d, "services.web.ports[0]") == "5:9");
    CHECK(mark_of(d, "services.web.ports[1]") == "6:9");
    CHECK(*d.marks.find("services.web.image").file == "compose.yaml");
}

TEST_CASE("yaml: flow collections and block scalars decode") {
    auto p = parse("a: {x: 1, y: [true, null]}\nb: |\n  line1\n  line2\nc: >\n  folded\n  text\n");
    CHECK(p.value() == Json::parse(R"({"a":{"x":1,"y":[true,null]},"b":"line1\nline2\n","c":"folded text\n"})"));
}

TEST_CASE("yaml: each --- document is returned; empty documents and files give none") {
    auto p = parse("a: 1\n---\nb: 2\n...\n---\n");
    REQUIRE(p.result.ok());
    REQUIRE(p.result->size() == 2);
    CHECK(p.doc(0).value == Json::parse(R"({"a":1})"));
    CHECK(p.doc(1).value == Json::parse(R"({"b":2})"));
    CHECK(mark_of(p.doc(1), "b") == "3:1");
    auto empty = parse("");
    REQUIRE(empty.result.ok());
    CHECK(empty.result->empty());
    auto comments = parse("# only a comment\n");
    REQUIRE(comments.result.ok());
    CHECK(comments.result->empty());
}

TEST_CASE("yaml: anchors and aliases copy the anchored value") {
    auto p = parse("x: &img nginx:1\ny: &list [a, b]\nservices:\n  web:\n    image: *img\n    command: *list\n");
    CHECK(p.value()["services"]["web"] == Json::parse(R"({"image":"nginx:1","command":["a","b"]})"));
    // Inside an alias, marks point at the anchored definition.
    CHECK(mark_of(p.doc(), "services.web.command[1]") == "2:14");
    CHECK(mark_of(p.doc(), "services.web.command") == "6:5");
}

TEST_CASE("yaml: an alias that refers to the node containing it is an error") {
    auto p = parse("a: &a [1, *a]\n");
    CHECK(p.error() == "compose.yaml:1:11: alias *a refers to a node that contains it");
}

TEST_CASE("yaml: an undefined alias is a syntax error with its place") {
    auto p = parse("a: 1\nb: *nope\n");
    CHECK(p.error().rfind("compose.yaml:2:4: YAML syntax error: ", 0) == 0);
}

// ---------------------------------------------------------------- merge keys

TEST_CASE("yaml: a << merge key copies a mapping's entries and explicit keys win") {
    auto p = parse(
        "x-base: &base\n  image: base\n  restart: always\nservices:\n  web:\n    <<: *base\n    image: mine\n");
    CHECK(p.value()["services"]["web"] == Json::parse(R"({"image":"mine","restart":"always"})"));
    CHECK(mark_of(p.doc(), "services.web.image") == "7:5");
    CHECK(mark_of(p.doc(), "services.web.restart") == "3:3");
    CHECK_FALSE(p.value()["services"]["web"].contains("<<"));
}

TEST_CASE("yaml: explicit keys win even when written before the << key") {
    auto p = parse("b: &b {k: from-merge, only: m}\nx:\n  k: explicit\n  <<: *b\n");
    CHECK(p.value()["x"] == Json::parse(R"({"k":"explicit","only":"m"})"));
}

TEST_CASE("yaml: with a sequence of merges the earlier mapping wins") {
    auto p = parse("a: &a {k: a, x: 1}\nb: &b {k: b, y: 2}\nc:\n  <<: [*a, *b]\n");
    CHECK(p.value()["c"] == Json::parse(R"({"k":"a","x":1,"y":2})"));
}

TEST_CASE("yaml: merges nest: a merged mapping's own merges apply") {
    auto p = parse(
        "a: &a {k: a, deep: 1}\nb: &b\n  <<: *a\n  k: b\nc:\n  <<: *b\n  own: 3\n");
    CHECK(p.value()["b"] == Json::parse(R"({"k":"b","deep":1})"));
    CHECK(p.value()["c"] == Json::parse(R"({"k":"b","deep":1,"own":3})"));
}

TEST_CASE("yaml: an inline mapping may be merged, and a quoted \"<<\" is an ordinary key") {
    auto p = parse("a:\n  <<: {x: 1}\n  \"<<\": literal\n");
    CHECK(p.value()["a"] == Json::parse(R"({"x":1,"<<":"literal"})"));
}

TEST_CASE("yaml: a merge key whose value is not a mapping is an error") {
    auto p = parse("a:\n  <<: 5\nb:\n  <<: [{x: 1}, 2]\n");
    auto errors = p.errors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "compose.yaml:2:7: a.<<: the merge key \"<<\" needs a mapping or a sequence of mappings");
    CHECK(errors[1] == "compose.yaml:4:16: b.<<[1]: the merge key \"<<\" needs a mapping or a sequence of mappings");
}

// ---------------------------------------------------------------- tags

TEST_CASE("yaml: !reset and !override are recorded by path and the value is kept") {
    auto p = parse("services:\n  web:\n    ports: !reset []\n    image: !override \"x\"\n    build: !reset null\n"
                   "    environment: !override\n      A: 1\n");
    const auto& d = p.doc();
    CHECK(d.value["services"]["web"]["ports"] == Json::array());
    CHECK(d.value["services"]["web"]["image"] == "x");
    CHECK(d.value["services"]["web"]["build"].is_null());
    CHECK(d.value["services"]["web"]["environment"] == Json::parse(R"({"A":1})"));
    CHECK(d.tags.at("services.web.ports") == MergeTag::Reset);
    CHECK(d.tags.at("services.web.image") == MergeTag::Override);
    CHECK(d.tags.at("services.web.build") == MergeTag::Reset);
    CHECK(d.tags.at("services.web.environment") == MergeTag::Override);
    CHECK(d.tags.size() == 4);
}

TEST_CASE("yaml: a !reset with no value is null, a quoted one stays a string") {
    auto p = parse("a: !reset\nb: !reset \"null\"\nc: !reset 5\n");
    CHECK(p.value() == Json::parse(R"({"a":null,"b":"null","c":5})"));
}

TEST_CASE("yaml: an unknown tag is an error at its place") {
    auto p = parse("a: !foo bar\nb: !!binary aGk=\n");
    auto errors = p.errors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "compose.yaml:1:4: a: unknown tag !foo (hako knows !reset, !override and the YAML core tags)");
    CHECK(errors[1].rfind("compose.yaml:2:4: b: unknown tag !!binary", 0) == 0);
}

// ---------------------------------------------------------------- typing

TEST_CASE("yaml: plain scalars are typed by the YAML 1.2 core schema") {
    auto p = parse(
        "n1: null\nn2: ~\nn3:\nn4: Null\nt1: true\nt2: True\nt3: TRUE\nf1: false\nf2: FALSE\n"
        "i1: 42\ni2: -7\ni3: +3\ni4: 0x1F\ni5: 0o17\nfl1: 1.5\nfl2: -.5\nfl3: 1e3\nfl4: 2.5E-1\n"
        "s1: yes\ns2: no\ns3: on\ns4: off\ns5: tRue\ns6: 1.2.3\ns7: 0x\ns8: 12abc\ns9: 99999999999999999999\n");
    const Json& v = p.value();
    for (auto key : {"n1", "n2", "n3", "n4"}) CHECK(v[key].is_null());
    CHECK(v["t1"] == true);
    CHECK(v["t2"] == true);
    CHECK(v["t3"] == true);
    CHECK(v["f1"] == false);
    CHECK(v["f2"] == false);
    CHECK(v["i1"] == 42);
    CHECK(v["i2"] == -7);
    CHECK(v["i3"] == 3);
    CHECK(v["i4"] == 31);
    CHECK(v["i5"] == 15);
    CHECK(v["i1"].is_number_integer());
    CHECK(v["fl1"] == 1.5);
    CHECK(v["fl2"] == -0.5);
    CHECK(v["fl3"] == 1000.0);
    CHECK(v["fl3"].is_number_float());
    CHECK(v["fl4"] == 0.25);
    CHECK(v["s1"] == "yes");
    CHECK(v["s2"] == "no");
    CHECK(v["s3"] == "on");
    CHECK(v["s4"] == "off");
    CHECK(v["s5"] == "tRue");
    CHECK(v["s6"] == "1.2.3");
    CHECK(v["s7"] == "0x");
    CHECK(v["s8"] == "12abc");
    CHECK(v["s9"].is_number_float());  // too big for 64 bits: a float, as docker compose reads it
}

TEST_CASE("yaml: .inf and .nan are floats") {
    auto p = parse("a: .inf\nb: -.Inf\nc: .NaN\n");
    const Json& v = p.value();
    CHECK(v["a"].get<double>() == std::numeric_limits<double>::infinity());
    CHECK(v["b"].get<double>() == -std::numeric_limits<double>::infinity());
    CHECK(std::isnan(v["c"].get<double>()));
}

TEST_CASE("yaml: a 0-prefixed number is octal as docker compose reads file modes") {
    auto p = parse("mode: 0440\nother: 089\n");
    CHECK(p.value()["mode"] == 288);
    CHECK(p.value()["other"] == 89);
}

TEST_CASE("yaml: quoted scalars, block scalars and !!str stay strings") {
    auto p = parse("a: \"42\"\nb: 'true'\nc: !!str 12\nd: \"\"\ne: |\n  7\nf: 'null'\n");
    CHECK(p.value() == Json::parse(R"({"a":"42","b":"true","c":"12","d":"","e":"7\n","f":"null"})"));
}

TEST_CASE("yaml: !!int, !!float, !!bool and !!null check their value") {
    auto good = parse("a: !!int 12\nb: !!float 3\nc: !!bool true\nd: !!null ~\n");
    CHECK(good.value() == Json::parse(R"({"a":12,"b":3.0,"c":true,"d":null})"));
    CHECK(good.value()["b"].is_number_float());
    auto bad = parse("a: !!int twelve\n");
    CHECK(bad.error() == "compose.yaml:1:4: a: \"twelve\" is not a valid !!int value");
}

TEST_CASE("yaml: keys are strings as written, whatever they look like") {
    auto p = parse("1: a\ntrue: b\nnull_ish: c\n0x10: d\n");
    CHECK(p.value() == Json::parse(R"({"1":"a","true":"b","null_ish":"c","0x10":"d"})"));
}

// ---------------------------------------------------------------- interpolation

TEST_CASE("yaml: values are interpolated before typing, keys never") {
    Environment env({{"PORT", "8080"}, {"FLAG", "true"}, {"NAME", "web"}, {"ZEROS", "007"}});
    auto p = parse("${NAME}: $NAME\nport: ${PORT}\nquoted: \"${PORT}\"\nflag: $FLAG\nmixed: a-${PORT}\n"
                   "zeros: ${ZEROS}\nescaped: $${NAME}\n",
                   &env);
    const Json& v = p.value();
    CHECK(v["${NAME}"] == "web");
    CHECK(v["port"] == 8080);
    CHECK(v["quoted"] == "8080");
    CHECK(v["flag"] == true);
    CHECK(v["mixed"] == "a-8080");
    CHECK(v["zeros"] == "007");  // a variable's leading zeros are kept
    CHECK(v["escaped"] == "${NAME}");
}

TEST_CASE("yaml: an interpolated value that reads as null stays text") {
    Environment env(std::map<std::string, std::string>{{"N", "null"}});
    auto p = parse("a: ${N}\nb: ${UNSET:-}\n", &env);
    CHECK(p.value() == Json::parse(R"({"a":"null","b":""})"));
}

TEST_CASE("yaml: without an environment nothing is interpolated (--no-interpolate)") {
    auto p = parse("a: ${X:-1}\nb: $$y\n");
    CHECK(p.value() == Json::parse(R"({"a":"${X:-1}","b":"$$y"})"));
}

TEST_CASE("yaml: an unset variable warns once with its place and becomes empty") {
    Environment env;
    auto p = parse("a: ${MISSING}\nb: x${MISSING}\n", &env);
    CHECK(p.value() == Json::parse(R"({"a":"","b":"x"})"));  // empty from a variable: a string, not null
    auto w = p.warnings();
    REQUIRE(w.size() == 1);
    CHECK(w[0] == "compose.yaml:1:4: warning: a: The \"MISSING\" variable is not set. Defaulting to a blank string.");
}

TEST_CASE("yaml: interpolation errors carry the scalar's mark and path") {
    Environment env;
    auto p = parse("services:\n  web:\n    image: \"${TAG:?set TAG}\"\n    command: ${oops\n", &env);
    auto errors = p.errors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "compose.yaml:3:12: services.web.image: required variable TAG is missing a value: set TAG");
    CHECK(errors[1].rfind("compose.yaml:4:14: services.web.command: invalid interpolation format for \"${oops\"", 0) ==
          0);
    CHECK_FALSE(p.result.ok());
}

TEST_CASE("yaml: a shared Interpolator warns once across files and gathers variables") {
    Environment env;
    Diagnostics diagnostics;
    Interpolator interpolator(env, diagnostics);
    ParseOptions options;
    options.interpolator = &interpolator;
    REQUIRE(parse_documents("a: $X\n", "one.yaml", options, diagnostics).ok());
    REQUIRE(parse_documents("b: $X\nc: ${Y:-1}\n", "two.yaml", options, diagnostics).ok());
    CHECK(diagnostics.items().size() == 1);
    CHECK(interpolator.variables_seen() == std::set<std::string>{"X", "Y"});
}

TEST_CASE("yaml: values inside aliases and merges are interpolated") {
    Environment env(std::map<std::string, std::string>{{"TAG", "2"}});
    auto p = parse("x: &x {image: \"app:${TAG}\"}\ny:\n  <<: *x\nz: *x\n", &env);
    CHECK(p.value()["y"]["image"] == "app:2");
    CHECK(p.value()["z"]["image"] == "app:2");
}

// ---------------------------------------------------------------- bad input

TEST_CASE("yaml: a syntax error names file, line and column") {
    auto p = parse("services:\n  web:\n    image: [a, b\n");
    std::string e = p.error();
    CHECK(e.rfind("compose.yaml:", 0) == 0);
    CHECK(e.find("YAML syntax error") != std::string::npos);
    REQUIRE(p.errors().size() == 1);
}

TEST_CASE("yaml: a tab used for indentation gets a clear message at the tab") {
    CHECK(parse("services:\n\tweb:\n\t\timage: x\n").error() ==
          "compose.yaml:2:1: tab character used for indentation; YAML needs spaces");
    CHECK(parse("services:\n  web:\n\timage: x\n").error() ==
          "compose.yaml:3:1: tab character used for indentation; YAML needs spaces");
    CHECK(parse("services:\n  web:\n  \timage: x\n").error() ==
          "compose.yaml:3:3: tab character used for indentation; YAML needs spaces");
}

TEST_CASE("yaml: tabs inside values and block scalars are fine") {
    auto p = parse("a: \"x\\ty\"\nb: |\n  one\n  \ttwo\nc: [1,\t2]\n");
    CHECK(p.value()["b"] == "one\n\ttwo\n");
    CHECK(p.value()["c"] == Json::parse("[1,2]"));
}

TEST_CASE("yaml: a duplicate key is an error naming the first one's line") {
    auto p = parse("services:\n  web:\n    image: a\n    ports: []\n    image: b\n");
    CHECK(p.error() == "compose.yaml:5:5: services.web.image: duplicate key \"image\" (first at line 3)");
}

TEST_CASE("yaml: every error in a file is reported, not only the first") {
    auto p = parse("a: 1\na: 2\nb:\n  c: !weird x\n  c: 3\n");
    CHECK(p.errors().size() == 3);
    CHECK(p.error().find('\n') != std::string::npos);
}

TEST_CASE("yaml: keys that are not scalars are errors") {
    auto p = parse("? [a, b]\n: 1\n? {x: 1}\n: 2\n");
    auto errors = p.errors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "compose.yaml:1:3: mapping keys must be scalars, not a sequence");
    CHECK(errors[1] == "compose.yaml:3:3: mapping keys must be scalars, not a mapping");
    CHECK(parse(": no key\n").error() == "compose.yaml:1:1: a mapping key must not be empty or null");
}

TEST_CASE("yaml: an unterminated quote is an error") {
    CHECK(parse("services:\n  web:\n    image: \"nginx\n").error() ==
          "compose.yaml:3:12: services.web.image: unterminated quoted string (the closing quote is missing)");
    CHECK(parse("a: 'it''s\n").error() ==
          "compose.yaml:1:4: a: unterminated quoted string (the closing quote is missing)");
    CHECK(parse("a: \"esc \\\" still open\n").result.ok() == false);
    CHECK(parse("a: 'it''s'\nb: \"q\\\"\"\n").value() == Json::parse(R"({"a":"it's","b":"q\""})"));
}

TEST_CASE("yaml: binary garbage and invalid UTF-8 are 'not a text file'") {
    CHECK(parse(std::string_view("a: 1\nb: \0x\n", 10)).error() == "compose.yaml:2:4: not a text file (NUL byte)");
    CHECK(parse("a: \x01\n").error() == "compose.yaml:1:4: not a text file (control byte 0x01)");
    CHECK(parse("a: caf\xC3\n").error() == "compose.yaml:1:7: not a text file (invalid UTF-8)");
    CHECK(parse("a: \xC0\xAF\n").error() == "compose.yaml:1:4: not a text file (invalid UTF-8)");
    CHECK(parse("a: \xED\xA0\x80\n").error() == "compose.yaml:1:4: not a text file (invalid UTF-8)");
    CHECK(parse(std::string_view("\xFF\xFE" "a\0:\0", 6)).error().find("UTF-16") != std::string::npos);
    std::string garbage;
    uint32_t state = 12345;
    for (int i = 0; i < 4096; ++i) {
        state = state * 1103515245u + 12345u;
        garbage += char(state >> 24);
    }
    CHECK(parse(garbage).error().find("not a text file") != std::string::npos);
}

TEST_CASE("yaml: valid UTF-8 and a BOM are accepted") {
    auto p = parse("\xEF\xBB\xBF" "name: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xB3\n");
    CHECK(p.value()["name"] == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xB3");
}

TEST_CASE("yaml: a file over max_bytes is refused with its size") {
    ParseOptions options;
    options.max_bytes = 100;
    std::string big(101, '#');
    auto p = parse(big, nullptr, options);
    CHECK(p.error() == "compose.yaml: the file is 101 bytes, larger than the limit of 100 bytes");
}

TEST_CASE("yaml: nesting deeper than 256 levels is refused, not a stack overflow") {
    std::string flow(100000, '[');
    CHECK(parse(flow).error().rfind("compose.yaml:1:", 0) == 0);
    CHECK(parse(flow).error().find("nesting deeper than 256 levels (aliases included)") != std::string::npos);
    std::string block;
    for (int i = 0; i < 300; ++i) block += std::string(size_t(i) * 2, ' ') + "k:\n";
    CHECK(parse(block).error().find("nesting deeper than 256 levels") != std::string::npos);
    std::string ok_depth(200, '[');
    ok_depth += std::string(200, ']');
    CHECK(parse(ok_depth).result.ok());
}

TEST_CASE("yaml: aliases cannot build nesting deeper than the limit") {
    std::string text = "a0: &a0 [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n";
    for (int i = 1; i < 10; ++i) {
        text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a" +
                std::to_string(i - 1) + "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n";
    }
    CHECK(parse(text).error().find("nesting deeper than 256 levels") != std::string::npos);
}

TEST_CASE("yaml: an alias bomb is refused quickly without expanding it") {
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 12; ++i) {
        std::string prev = "*a" + std::to_string(i - 1);
        bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
        for (int k = 0; k < 9; ++k) bomb += ", " + prev;
        bomb += "]\n";
    }
    auto start = std::chrono::steady_clock::now();
    auto p = parse(bomb);
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(p.error().find("expands to more than 1000000 nodes") != std::string::npos);
    CHECK(elapsed < std::chrono::seconds(1));
}

TEST_CASE("yaml: merge-key bombs are bounded too") {
    std::string bomb = "m0: &m0 {k0: 1, k1: 2, k2: 3, k3: 4, k4: 5, k5: 6, k6: 7, k7: 8, k8: 9, k9: 10}\n";
    for (int i = 1; i < 12; ++i) {
        std::string prev = "*m" + std::to_string(i - 1);
        bomb += "m" + std::to_string(i) + ": &m" + std::to_string(i) + " {<<: [" + prev;
        for (int k = 0; k < 9; ++k) bomb += ", " + prev;
        bomb += "], x: [" + prev + ", " + prev + "]}\n";
    }
    auto p = parse(bomb);
    CHECK(p.error().find("expands to more than") != std::string::npos);
}

// ---------------------------------------------------------------- files

TEST_CASE("yaml: load_documents reads a file and reports a missing one") {
    auto dir = std::filesystem::temp_directory_path() / "hako-yaml-test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "compose.yaml") << "services:\n  web:\n    image: x\n";
    Diagnostics diagnostics;
    auto docs = load_documents(dir / "compose.yaml", {}, diagnostics);
    REQUIRE(docs.ok());
    REQUIRE(docs->size() == 1);
    CHECK((*docs)[0].file == (dir / "compose.yaml").string());
    CHECK(*(*docs)[0].marks.find("services.web.image").file == (dir / "compose.yaml").string());
    auto missing = load_documents(dir / "nope.yaml", {}, diagnostics);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("nope.yaml") != std::string::npos);
    CHECK(diagnostics.has_errors());
    ParseOptions small;
    small.max_bytes = 10;
    auto big = load_documents(dir / "compose.yaml", small, diagnostics);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().message.find("larger than the limit") != std::string::npos);
    std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------- scale

namespace {

// The same shape as tests/bench/gen_compose.py: anchors, merge keys,
// interpolation, healthchecks, a depends_on chain, ports, volumes, networks.
std::string generate_services(int count) {
    std::string out =
        "name: bench\n"
        "x-common: &common\n"
        "  image: ${BASE_IMAGE:-busybox}:${BASE_TAG:-latest}\n"
        "  restart: unless-stopped\n"
        "  environment: &env\n"
        "    LOG_LEVEL: ${LOG_LEVEL:-info}\n"
        "    REGION: \"${REGION:-eu-west-1}\"\n"
        "  healthcheck: &hc\n"
        "    test: [\"CMD-SHELL\", \"wget -q -O- http://localhost:8080/health || exit 1\"]\n"
        "    interval: 10s\n"
        "    timeout: 3s\n"
        "    retries: 3\n"
        "  networks: [front, back]\n"
        "services:\n";
    for (int i = 0; i < count; ++i) {
        std::string n = std::to_string(i);
        out += "  svc" + n + ":\n    <<: *common\n    command: [\"sh\", \"-c\", \"echo svc" + n +
               " && sleep 3600\"]\n    environment:\n      <<: *env\n      SERVICE_INDEX: \"" + n +
               "\"\n      DB_URL: postgres://user:$${PASSWORD}@db" + std::to_string(i % 10) +
               ":5432/app\n    ports:\n      - \"" + std::to_string(10000 + i) +
               ":8080\"\n      - target: 9090\n        published: \"" + std::to_string(20000 + i) +
               "\"\n        protocol: tcp\n    volumes:\n      - data" + std::to_string(i % 20) +
               ":/var/lib/data\n      - ./conf/svc" + n +
               ":/etc/svc:ro\n      - type: tmpfs\n        target: /tmp\n        tmpfs:\n          size: 1048576\n"
               "    labels:\n      - com.example.index=" + n + "\n      - com.example.tier=${TIER:-backend}\n";
        if (i > 0) {
            out += "    depends_on:\n      svc" + std::to_string(i - 1) + ":\n        condition: service_" +
                   (i % 2 ? "healthy" : "started") + "\n";
        }
    }
    out += "networks:\n  front: {}\n  back:\n    internal: true\n";
    return out;
}

}  // namespace

TEST_CASE("yaml: a generated 500-service file decodes with merges and interpolation applied") {
    std::string text = generate_services(500);
    Environment env(std::map<std::string, std::string>{{"TIER", "api"}});
    auto p = parse(text, &env);
    const Json& services = p.value()["services"];
    REQUIRE(services.size() == 500);
    const Json& last = services["svc499"];
    CHECK(last["image"] == "busybox:latest");
    CHECK(last["environment"]["LOG_LEVEL"] == "info");
    CHECK(last["environment"]["SERVICE_INDEX"] == "499");
    CHECK(last["environment"]["DB_URL"] == "postgres://user:${PASSWORD}@db9:5432/app");
    CHECK(last["healthcheck"]["retries"] == 3);
    CHECK(last["labels"][1] == "com.example.tier=api");
    CHECK(last["depends_on"]["svc498"]["condition"] == "service_healthy");
    CHECK(mark_of(p.doc(), "services.svc499.image") == "3:3");
    CHECK(p.warnings().empty());
}

TEST_CASE("yaml benchmark: time to decode a generated 500-service file", "[.bench]") {
    std::string text = generate_services(500);
    Environment env;
    double best = 1e9;
    for (int run = 0; run < 5; ++run) {
        Diagnostics diagnostics;
        ParseOptions options;
        options.environment = &env;
        auto start = std::chrono::steady_clock::now();
        auto docs = parse_documents(text, "bench.yaml", options, diagnostics);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        REQUIRE(docs.ok());
        best = std::min(best, ms);
    }
    WARN("500 services, " << text.size() << " bytes: best of 5 parse_documents = " << best << " ms");
}

TEST_CASE("yaml: malformed input on which yaml-cpp emits endless null events fails instead of hanging") {
    // Found by tests/fuzz/loader_fuzz: yaml-cpp 0.7 loops on this text.
    auto text = hako::sys::read_file(std::string(HAKO_TEST_DATA) + "/fuzz/yaml-cpp-endless-nulls.yaml");
    REQUIRE(text.ok());
    hako::project::Diagnostics diagnostics;
    hako::project::ParseOptions options;
    auto documents = hako::project::parse_documents(text.value(), "endless.yaml", options, diagnostics);
    REQUIRE_FALSE(documents.ok());
    REQUIRE(diagnostics.has_errors());
    CHECK(diagnostics.items().front().str().rfind("endless.yaml:", 0) == 0);
}
