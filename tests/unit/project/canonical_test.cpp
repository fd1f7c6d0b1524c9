// Tests for src/project/canonical.cpp: the printed YAML is canonical (sorted
// keys, 2-space indentation, minimal quoting) and loads back to the same model.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

#include "src/project/canonical.h"
#include "src/project/normalize.h"
#include "tests/unit/project/yaml_test_support.h"

using namespace hako::project;
using hako::project::testing::make_project;
using hako::project::testing::parse_yaml;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

Json normalized_data_project(const std::string& folder) {
    const std::string dir = std::string(HAKO_TEST_DATA) + "/normalize/" + folder;
    Project project = make_project(read_text(dir + "/compose.yaml"), dir);
    Diagnostics diagnostics;
    auto result = normalize(project, diagnostics);
    INFO((result.ok() ? std::string() : result.error().message));
    REQUIRE(result.ok());
    return project.model;
}

}  // namespace

TEST_CASE("canonical: strings that would read back as another type are quoted") {
    for (const char* text : {"8080", "-1", "+5", "1.5", "1e3", ".5", "0x1F", "0o17", "1_000", "1:30", "56:56", ".inf", "-.Inf",
                             ".NaN", "true", "False", "TRUE", "null", "Null", "~", "yes", "No", "on", "OFF",
                             "", "<<", "="})
        CHECK(yaml_needs_quotes(text));
}

TEST_CASE("canonical: strings with YAML indicators or separators are quoted") {
    for (const char* text : {": x", "- x", "-", "? x", "*alias", "&anchor", "!tag", "|", ">", "%x", "@x", "`x",
                             "'x", "\"x", "#x", "[a]", "{a}", ",a", "a: b", "a #b", "a:", " lead", "trail ",
                             "---", "...", "tab\there", "bell\x07"})
        CHECK(yaml_needs_quotes(text));
}

TEST_CASE("canonical: ordinary strings stay plain") {
    for (const char* text : {"nginx:1.25", "/usr/share/nginx", "8080:80", "a:b", "-Xmx512m", "1m30s", "web-1",
                             "http://api:3000", "a#b", "CMD-SHELL", "x=y", "1.2.3.4", "1.2.3", "é", "y", "N", "8080:80:80", "1:60"})
        CHECK_FALSE(yaml_needs_quotes(text));
}

TEST_CASE("canonical: YAML output has sorted keys, indented sequences and minimal quoting") {
    Json model = Json::parse(R"({
        "services": {"web": {"ports": [{"target": 80, "published": "8080", "mode": "ingress"}],
                             "image": "nginx", "command": ["sh", "-c", "a: b"], "environment": {"EMPTY": "", "N": "1"},
                             "networks": {"default": null}, "volume": {}, "list": [], "ratio": 0.5, "on": true}},
        "name": "demo"})");
    CHECK(to_yaml(model) ==
          "name: demo\n"
          "services:\n"
          "  web:\n"
          "    command:\n"
          "      - sh\n"
          "      - -c\n"
          "      - \"a: b\"\n"
          "    environment:\n"
          "      EMPTY: \"\"\n"
          "      N: \"1\"\n"
          "    image: nginx\n"
          "    list: []\n"
          "    networks:\n"
          "      default: null\n"
          "    \"on\": true\n"
          "    ports:\n"
          "      - mode: ingress\n"
          "        published: \"8080\"\n"
          "        target: 80\n"
          "    ratio: 0.5\n"
          "    volume: {}\n");
}

TEST_CASE("canonical: multi-line strings print as literal blocks with the right chomping") {
    Json model = {{"clip", "a\nb\n"}, {"keep", "a\n\n"}, {"strip", "a\nb"}, {"list", {"x\ny"}}};
    CHECK(to_yaml(model) ==
          "clip: |\n"
          "  a\n"
          "  b\n"
          "keep: |+\n"
          "  a\n"
          "\n"
          "list:\n"
          "  - |-\n"
          "    x\n"
          "    y\n"
          "strip: |-\n"
          "  a\n"
          "  b\n");
    CHECK(parse_yaml(to_yaml(model)) == model);
}

TEST_CASE("canonical: tricky strings, numbers and nesting read back unchanged") {
    Json model = Json::parse(R"({
        "strings": ["", " lead", "trail ", "8080", "true", "null", "a: b", "#c", "quote\"back\\slash", "tab\tx",
                    "\u0001ctl", "  indented\nblock\n", "\nleading newline", "x\r\ny", "é ü", "- dash", "<<"],
        "numbers": [0, -1, 1.5, 1e20, -0.25, 18446744073709551615],
        "nested": [[1, [2, []]], [{"a": {"b": []}}], {}],
        "keys": {"8080": 1, "true": 2, "": 3, "a: b": 4, "- x": 5}
    })");
    const std::string yaml = to_yaml(model);
    INFO(yaml);
    CHECK(parse_yaml(yaml) == model);
}

TEST_CASE("canonical: JSON output is sorted and indented by two spaces") {
    Json model = Json::parse(R"({"b": [1, {"d": null, "c": "x"}], "a": true})");
    CHECK(to_json(model) == "{\n  \"a\": true,\n  \"b\": [\n    1,\n    {\n      \"c\": \"x\",\n      \"d\": null\n    }\n  ]\n}\n");
    CHECK(to_json(model, false) == R"({"a":true,"b":[1,{"c":"x","d":null}]})");
}

TEST_CASE("canonical: the realistic test projects round-trip through YAML and JSON") {
    for (const char* folder : {"webstack", "gpu"}) {
        INFO(folder);
        const Json model = normalized_data_project(folder);
        const std::string yaml = to_yaml(model);
        INFO(yaml);
        CHECK(parse_yaml(yaml) == model);
        CHECK(Json::parse(to_json(model)) == model);
        // Normalising the printed output again gives the same model.
        Project again = make_project(yaml, "/elsewhere");
        Diagnostics diagnostics;
        REQUIRE(normalize(again, diagnostics).ok());
        again.model["name"] = model["name"];
        CHECK(again.model == model);
    }
}

TEST_CASE("canonical: the webstack project prints in long syntax") {
    const Json model = normalized_data_project("webstack");
    const std::string yaml = to_yaml(model);
    CHECK_THAT(yaml, Catch::Contains("      - mode: ingress\n"
                                     "        protocol: tcp\n"
                                     "        published: \"8080\"\n"
                                     "        target: 80\n"));
    CHECK_THAT(yaml, Catch::Contains("    test:\n        - CMD-SHELL\n        - curl -fsS http://localhost/ || exit 1\n"));
    CHECK_THAT(yaml, Catch::Contains("      WORKERS: \"4\"\n"));
    CHECK_THAT(yaml, Catch::Contains("x-notes: |\n  Two lines\n  of notes.\n"));
}

TEST_CASE("canonical: normalising 500 services takes a few milliseconds", "[.bench]") {
    const std::string dir = std::string(HAKO_TEST_DATA) + "/normalize/webstack";
    Project project = make_project(read_text(dir + "/compose.yaml"), dir);
    const Json api = project.model["services"]["api"];
    for (int i = 0; i < 500; ++i) project.model["services"]["api-" + std::to_string(i)] = api;
    Diagnostics diagnostics;
    auto start = std::chrono::steady_clock::now();
    REQUIRE(normalize(project, diagnostics).ok());
    auto done = std::chrono::steady_clock::now();
    using ms = std::chrono::duration<double, std::milli>;
    WARN("normalize: " << ms(done - start).count() << " ms for 504 services");
}

TEST_CASE("canonical: printing 500 services takes a few milliseconds", "[.bench]") {
    Json model = normalized_data_project("webstack");
    const Json api = model["services"]["api"];
    for (int i = 0; i < 500; ++i) model["services"]["api-" + std::to_string(i)] = api;
    auto start = std::chrono::steady_clock::now();
    std::string yaml = to_yaml(model);
    auto yaml_done = std::chrono::steady_clock::now();
    std::string json = to_json(model);
    auto json_done = std::chrono::steady_clock::now();
    using ms = std::chrono::duration<double, std::milli>;
    WARN("to_yaml: " << ms(yaml_done - start).count() << " ms for " << yaml.size() << " bytes; to_json: "
                     << ms(json_done - yaml_done).count() << " ms");
    CHECK(ms(yaml_done - start).count() < 100);
}
