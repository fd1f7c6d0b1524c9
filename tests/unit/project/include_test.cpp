#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "src/project/include.h"
#include "src/project/yaml_document.h"

using namespace hako::project;
namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(HAKO_TEST_DATA) + "/include";

Document load(const std::string& file, const Environment& environment) {
    Diagnostics diagnostics;
    ParseOptions parse;
    parse.environment = &environment;
    auto documents = load_documents(file, parse, diagnostics);
    REQUIRE(documents.ok());
    REQUIRE(documents.value().size() == 1);
    return std::move(documents.value()[0]);
}

std::vector<std::string> errors(const Diagnostics& diagnostics) {
    std::vector<std::string> out;
    for (const auto& d : diagnostics.items()) {
        if (d.severity == Severity::Error) out.push_back(d.str());
    }
    return out;
}

struct Included {
    Document doc;
    Diagnostics diagnostics;
    std::vector<std::string> files;
};

Included include(const std::string& project, const Environment& environment = {}) {
    Included out;
    std::string dir = kData + "/" + project;
    out.doc = load(dir + "/compose.yaml", environment);
    IncludeOptions options;
    options.project_dir = dir;
    options.environment = &environment;
    apply_include(out.doc, options, out.diagnostics, &out.files);
    return out;
}

}  // namespace

TEST_CASE("include: included projects keep their folder, variables and extends") {
    Included result = include("basic");
    REQUIRE(errors(result.diagnostics).empty());
    const std::string dir = kData + "/basic";
    const Json& model = result.doc.value;
    const Json& services = model["services"];
    CHECK_FALSE(model.contains("include"));
    CHECK(services.contains("web"));

    // db/compose.yaml: its own .env, paths against db/.
    CHECK(services["db"]["image"] == "postgres:16");
    CHECK(services["db"]["volumes"][0] == dir + "/db/data:/var/lib/postgresql/data");
    CHECK(model["volumes"].contains("dbdata"));
    CHECK(model["networks"].contains("backend"));  // defined identically twice: fine

    // api/compose.yaml: env_file given relative to the including folder; its
    // extends base is read with the same variables and its own paths.
    const Json& api = services["api"];
    CHECK(api["image"] == "api:v1.2");
    CHECK_FALSE(api.contains("extends"));
    CHECK(api["environment"]["API_TAG_SEEN"] == "v1.2");
    Json build = api["build"];
    CHECK((build.is_object() ? build["context"] : build) == dir + "/api/src");
    Json env_file = api["env_file"];
    CHECK((env_file.is_array() ? env_file[0] : env_file) == dir + "/api/api-service.env");

    // tools: two files merged, relative paths against project_directory.
    const Json& tools = services["tools"];
    CHECK(tools["image"] == "tools:2");
    Json tools_build = tools["build"];
    CHECK((tools_build.is_object() ? tools_build["context"] : tools_build) == dir + "/tools/root");
    CHECK(tools["volumes"][0] == dir + "/tools/root/cache:/cache");

    // Marks point into the included files.
    CHECK(result.doc.marks.find("services.db.image").str() == dir + "/db/compose.yaml:3:5");
    CHECK(result.doc.marks.find("services.tools.image").str() == dir + "/tools/compose.override.yaml:3:5");

    for (const char* file : {"/db/compose.yaml", "/api/compose.yaml", "/api/base.yaml", "/tools/compose.yaml",
                             "/tools/compose.override.yaml"}) {
        INFO(file);
        CHECK(std::find(result.files.begin(), result.files.end(), dir + file) != result.files.end());
    }
}

TEST_CASE("include: the including project's variables win over the included env files") {
    Environment environment;
    environment.set("API_TAG", "from-os");
    Included result = include("basic", environment);
    REQUIRE(errors(result.diagnostics).empty());
    CHECK(result.doc.value["services"]["api"]["image"] == "api:from-os");
    CHECK(result.doc.value["services"]["db"]["image"] == "postgres:16");
}

TEST_CASE("include: includes nest, each relative to its own folder") {
    Included result = include("nested");
    REQUIRE(errors(result.diagnostics).empty());
    const Json& services = result.doc.value["services"];
    REQUIRE(services.size() == 3);
    Json a = services["a"]["build"], b = services["b"]["build"];
    CHECK((a.is_object() ? a["context"] : a) == kData + "/nested/a");
    CHECK((b.is_object() ? b["context"] : b) == kData + "/nested/b");
}

TEST_CASE("include: a cycle is an error at the include that closes it") {
    Included result = include("cycle");
    auto found = errors(result.diagnostics);
    REQUIRE(found.size() == 1);
    const std::string dir = kData + "/cycle";
    CHECK(found[0] == dir + "/x/compose.yaml:2:5: include[0]: include cycle: " + dir + "/compose.yaml -> " + dir +
                          "/x/compose.yaml -> " + dir + "/compose.yaml");
}

TEST_CASE("include: a name defined differently on both sides is an error naming both places") {
    Included result = include("clash");
    auto found = errors(result.diagnostics);
    REQUIRE(found.size() == 1);  // networks.shared is identical on both sides
    const std::string dir = kData + "/clash";
    CHECK(found[0] == dir + "/compose.yaml:4:3: services.web: also defined, differently, by the project included "
                            "in include[0] (" + dir + "/other/compose.yaml:2:3)");
}

TEST_CASE("include: a missing file or env file is reported at the include entry") {
    Environment environment;
    Diagnostics parse_diagnostics;
    ParseOptions parse;
    parse.environment = &environment;
    auto documents = parse_documents(R"(include:
  - nowhere/compose.yaml
  - path: ../nested/b/compose.yaml
    env_file: missing.env
services:
  web:
    image: nginx
)",
                                     kData + "/basic/main.yaml", parse, parse_diagnostics);
    REQUIRE(documents.ok());
    Document doc = std::move(documents.value()[0]);
    IncludeOptions options;
    options.project_dir = kData + "/basic";
    options.environment = &environment;
    Diagnostics diagnostics;
    apply_include(doc, options, diagnostics);
    auto found = errors(diagnostics);
    REQUIRE(found.size() == 2);
    CHECK(found[0] == kData + "/basic/main.yaml:2:5: include[0]: cannot include " + kData +
                          "/basic/nowhere/compose.yaml: not found");
    CHECK(found[1] == kData + "/basic/main.yaml:4:5: include[1].env_file: env file " + kData +
                          "/basic/missing.env not found");
}

TEST_CASE("include: a malformed include list is an error, not a crash") {
    Environment environment;
    for (const char* text : {"include: 3\n", "include:\n  - {project_directory: x}\n", "include:\n  - [a]\n",
                             "include:\n  - path: [1]\n"}) {
        INFO(text);
        Diagnostics parse_diagnostics;
        auto documents = parse_documents(text, "compose.yaml", ParseOptions{}, parse_diagnostics);
        REQUIRE(documents.ok());
        IncludeOptions options;
        options.project_dir = kData;
        options.environment = &environment;
        Diagnostics diagnostics;
        apply_include(documents.value()[0], options, diagnostics);
        CHECK(errors(diagnostics).size() == 1);
    }
}

TEST_CASE("include: repeated includes without a cycle stop at a bound on files read") {
    // level0 includes level1 twice, level1 includes level2 twice, …: 2^12 reads.
    fs::path dir = fs::temp_directory_path() / ("hako-include-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (int level = 0; level < 12; ++level) {
        std::string next = "level" + std::to_string(level + 1) + ".yaml";
        std::ofstream(dir / ("level" + std::to_string(level) + ".yaml"))
            << "include:\n  - " << next << "\n  - " << next << "\nservices:\n  s" << level << ":\n    image: x\n";
    }
    std::ofstream(dir / "level12.yaml") << "services:\n  last:\n    image: x\n";
    Environment environment;
    Document doc = load((dir / "level0.yaml").string(), environment);
    IncludeOptions options;
    options.project_dir = dir;
    options.environment = &environment;
    Diagnostics diagnostics;
    apply_include(doc, options, diagnostics);
    fs::remove_all(dir);
    auto found = errors(diagnostics);
    REQUIRE_FALSE(found.empty());
    CHECK(found[0].find("more than 1000 included files") != std::string::npos);
}

TEST_CASE("include: without interpolation the included values stay as written") {
    Document doc = load(kData + "/basic/compose.yaml", Environment{});
    IncludeOptions options;
    options.project_dir = kData + "/basic";
    options.environment = nullptr;  // --no-interpolate
    Diagnostics diagnostics;
    apply_include(doc, options, diagnostics);
    REQUIRE(errors(diagnostics).empty());
    CHECK(doc.value["services"]["db"]["image"] == "${DB_IMAGE}");
    CHECK(doc.value["services"]["api"]["image"] == "api:${API_TAG}");
}
