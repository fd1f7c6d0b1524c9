#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "src/project/extends.h"
#include "src/project/yaml_document.h"

using namespace hako::project;
namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(HAKO_TEST_DATA) + "/extends";

Document parse(const std::string& text, const std::string& file = "compose.yaml") {
    Diagnostics diagnostics;
    auto documents = parse_documents(text, file, ParseOptions{}, diagnostics);
    REQUIRE(documents.ok());
    REQUIRE(documents.value().size() == 1);
    return std::move(documents.value()[0]);
}

Document load(const std::string& file) {
    Diagnostics diagnostics;
    auto documents = load_documents(file, ParseOptions{}, diagnostics);
    REQUIRE(documents.ok());
    REQUIRE(documents.value().size() == 1);
    return std::move(documents.value()[0]);
}

ExtendsOptions options_for(const fs::path& base_dir, Diagnostics& diagnostics) {
    ExtendsOptions options;
    options.base_dir = base_dir;
    options.load_file = [&diagnostics](const fs::path& file) {
        return load_documents(file, ParseOptions{}, diagnostics);
    };
    return options;
}

std::vector<std::string> errors(const Diagnostics& diagnostics) {
    std::vector<std::string> out;
    for (const auto& d : diagnostics.items()) {
        if (d.severity == Severity::Error) out.push_back(d.str());
    }
    return out;
}

}  // namespace

TEST_CASE("extends: a service takes its base from the same file, over several levels") {
    Document doc = parse(R"(services:
  base:
    image: busybox
    environment:
      A: "1"
      B: "2"
    ports: ["80:80"]
    command: ["base"]
  mid:
    extends: base
    environment:
      B: "3"
    ports: ["81:81"]
  web:
    extends:
      service: mid
    command: ["web"]
    labels: {tier: web}
)");
    Diagnostics diagnostics;
    apply_extends(doc, options_for("/project", diagnostics), diagnostics);
    REQUIRE(errors(diagnostics).empty());
    const Json& web = doc.value["services"]["web"];
    CHECK_FALSE(web.contains("extends"));
    CHECK(web["image"] == "busybox");
    CHECK(web["environment"]["A"] == "1");
    CHECK(web["environment"]["B"] == "3");
    CHECK(web["ports"] == Json::array({"80:80", "81:81"}));
    CHECK(web["command"] == Json::array({"web"}));  // replaced, not appended
    CHECK(web["labels"]["tier"] == "web");
    CHECK_FALSE(doc.value["services"]["mid"].contains("extends"));
    // Inherited values point where they are written.
    CHECK(doc.marks.find("services.web.image").str() == "compose.yaml:3:5");
    CHECK(doc.marks.find("services.web.environment.B").str() == "compose.yaml:12:7");
    CHECK(doc.marks.find("services.web.command").str() == "compose.yaml:17:5");
}

TEST_CASE("extends: the local service's !reset drops what the base had") {
    Document doc = parse(R"(services:
  base:
    image: busybox
    ports: ["80:80"]
  web:
    extends: base
    ports: !reset []
)");
    Diagnostics diagnostics;
    apply_extends(doc, options_for("/project", diagnostics), diagnostics);
    REQUIRE(errors(diagnostics).empty());
    const Json& web = doc.value["services"]["web"];
    CHECK(web["image"] == "busybox");
    CHECK((!web.contains("ports") || web["ports"].empty()));
    CHECK(doc.value["services"]["base"]["ports"].size() == 1);
}

TEST_CASE("extends: a base from another file keeps its paths relative to its own folder") {
    std::string file = kData + "/other_file/compose.yaml";
    Document doc = load(file);
    Diagnostics diagnostics;
    apply_extends(doc, options_for(kData + "/other_file", diagnostics), diagnostics);
    REQUIRE(errors(diagnostics).empty());
    const Json& web = doc.value["services"]["web"];
    const std::string common = kData + "/other_file/common";
    CHECK_FALSE(web.contains("extends"));
    CHECK(web["image"] == "core-image");  // from core, two levels down
    CHECK(web["labels"]["layer"] == "core");  // from core/core.yaml, three levels down
    CHECK(web["healthcheck"]["interval"] == "5s");
    CHECK(web["environment"]["MODE"] == "web");
    CHECK(web["environment"]["LEVEL"] == "app");
    CHECK(web["command"] == Json::array({"serve", "--web"}));
    CHECK(web["ports"] == Json::array({"8080:80"}));
    // The base's relative paths were written for common/.
    Json build = web["build"];
    std::string context = build.is_object() ? build["context"].get<std::string>() : build.get<std::string>();
    CHECK(context == common + "/app");
    Json env_file = web["env_file"];
    std::string env_path = env_file.is_array() ? env_file[0].get<std::string>() : env_file.get<std::string>();
    CHECK(env_path == common + "/app.env");
    REQUIRE(web["volumes"].size() == 2);
    CHECK(web["volumes"][0] == common + "/data:/data");
    CHECK(web["volumes"][1] == "cache:/cache");  // a named volume is not a path
    // Marks of inherited values point into the files that wrote them.
    CHECK(doc.marks.find("services.web.labels.layer").str() == kData + "/other_file/core/core.yaml:4:7");
    CHECK(doc.marks.find("services.web.image").str() == common + "/base.yaml:17:5");
    CHECK(doc.marks.find("services.web.environment.MODE").str() == file + ":7:7");
}

TEST_CASE("extends: a cycle in one file is one error naming the chain") {
    Document doc = parse(R"(services:
  a:
    extends: b
  b:
    extends: a
  c:
    extends:
      service: c
  d:
    extends: a
)");
    Diagnostics diagnostics;
    apply_extends(doc, options_for("/project", diagnostics), diagnostics);
    auto found = errors(diagnostics);
    REQUIRE(found.size() == 2);
    CHECK(found[0] == "compose.yaml:5:5: services.b.extends: extends cycle: a -> b -> a");
    CHECK(found[1] == "compose.yaml:7:5: services.c.extends: extends cycle: c -> c");
}

TEST_CASE("extends: a cycle across files names the services and their files") {
    std::string file = kData + "/cycle_files/compose.yaml";
    Document doc = load(file);
    Diagnostics diagnostics;
    apply_extends(doc, options_for(kData + "/cycle_files", diagnostics), diagnostics);
    auto found = errors(diagnostics);
    REQUIRE(found.size() == 1);
    CHECK(found[0] == kData + "/cycle_files/other.yaml:3:5: services.b.extends: extends cycle: a (compose.yaml) -> "
                              "b (other.yaml) -> a (compose.yaml)");
}

TEST_CASE("extends: a missing base service or file is reported at the extends that names it") {
    std::string file = kData + "/missing/compose.yaml";
    Document doc = load(file);
    Diagnostics diagnostics;
    apply_extends(doc, options_for(kData + "/missing", diagnostics), diagnostics);
    auto found = errors(diagnostics);
    REQUIRE(found.size() == 2);
    // Services are resolved in name order: api, then web.
    CHECK(found[0] == file + ":8:7: services.api.extends.file: cannot extend service \"api\": " + kData +
                          "/missing/absent.yaml not found");
    CHECK(found[1] == file + ":5:7: services.web.extends.service: cannot extend service \"web\": service \"nope\" "
                             "not found in " + kData + "/missing/base.yaml");
}

TEST_CASE("extends: a base service missing from the same file is an error") {
    Document doc = parse("services:\n  web:\n    image: x\n    extends: nothing\n");
    Diagnostics diagnostics;
    apply_extends(doc, options_for("/project", diagnostics), diagnostics);
    auto found = errors(diagnostics);
    REQUIRE(found.size() == 1);
    CHECK(found[0] == "compose.yaml:4:5: services.web.extends: cannot extend service \"web\": service \"nothing\" "
                      "not found");
}

TEST_CASE("extends: a malformed extends is an error, not a crash") {
    Document doc = parse("services:\n  web:\n    extends: [a, b]\n  api:\n    extends: {file: 3, service: x}\n");
    Diagnostics diagnostics;
    apply_extends(doc, options_for("/project", diagnostics), diagnostics);
    CHECK(errors(diagnostics).size() == 2);
}

TEST_CASE("extends: a very long chain is refused rather than exhausting the stack") {
    // s1000 extends s1001 … extends s1500: resolving s1000 first goes 500 deep.
    std::string text = "services:\n  s1500:\n    image: x\n";
    for (int i = 1000; i < 1500; ++i) {
        text += "  s" + std::to_string(i) + ":\n    extends: s" + std::to_string(i + 1) + "\n";
    }
    Document doc = parse(text);
    Diagnostics diagnostics;
    apply_extends(doc, options_for("/project", diagnostics), diagnostics);
    auto found = errors(diagnostics);
    REQUIRE_FALSE(found.empty());
    CHECK(found[0].find("extends chain deeper than") != std::string::npos);
}

TEST_CASE("paths: relative paths of a model become absolute, names and remote contexts stay") {
    Json model = Json::parse(R"({
      "services": {
        "web": {
          "build": {"context": "./app", "additional_contexts": {"a": "../lib", "b": "docker-image://x", "c": "service:base"}},
          "env_file": ["a.env", {"path": "./b.env", "required": false}, "/abs.env"],
          "label_file": "labels",
          "volumes": ["./data:/data:ro", "named:/n", "/host:/h", {"type": "bind", "source": "src", "target": "/s"},
                      {"type": "volume", "source": "vol", "target": "/v"}],
          "develop": {"watch": [{"path": "./src", "action": "sync"}]}
        },
        "remote": {"build": "https://github.com/x/y.git"},
        "home": {"build": "~/app"}
      },
      "secrets": {"s": {"file": "./secret.txt"}, "e": {"environment": "X"}},
      "configs": {"c": {"file": "c.conf"}},
      "include": ["inc.yaml", {"path": ["a.yaml", "/b.yaml"], "project_directory": "..", "env_file": "x.env"}]
    })");
    make_paths_absolute(model, "/p/q");
    const Json& web = model["services"]["web"];
    CHECK(web["build"]["context"] == "/p/q/app");
    CHECK(web["build"]["additional_contexts"]["a"] == "/p/lib");
    CHECK(web["build"]["additional_contexts"]["b"] == "docker-image://x");
    CHECK(web["build"]["additional_contexts"]["c"] == "service:base");
    CHECK(web["env_file"][0] == "/p/q/a.env");
    CHECK(web["env_file"][1]["path"] == "/p/q/b.env");
    CHECK(web["env_file"][2] == "/abs.env");
    CHECK(web["label_file"] == "/p/q/labels");
    CHECK(web["volumes"][0] == "/p/q/data:/data:ro");
    CHECK(web["volumes"][1] == "named:/n");
    CHECK(web["volumes"][2] == "/host:/h");
    CHECK(web["volumes"][3]["source"] == "/p/q/src");
    CHECK(web["volumes"][4]["source"] == "vol");
    CHECK(web["develop"]["watch"][0]["path"] == "/p/q/src");
    CHECK(model["services"]["remote"]["build"] == "https://github.com/x/y.git");
    CHECK(model["services"]["home"]["build"] == "~/app");
    CHECK(model["secrets"]["s"]["file"] == "/p/q/secret.txt");
    CHECK(model["configs"]["c"]["file"] == "/p/q/c.conf");
    CHECK(model["include"][0] == "/p/q/inc.yaml");
    CHECK(model["include"][1]["path"] == Json::array({"/p/q/a.yaml", "/b.yaml"}));
    CHECK(model["include"][1]["project_directory"] == "/p");
    CHECK(model["include"][1]["env_file"] == "/p/q/x.env");
}

TEST_CASE("extends: an empty base service leaves the local service as written") {
    Document doc = parse("services:\n  base:\n  web:\n    extends: base\n    image: nginx\n");
    Diagnostics diagnostics;
    apply_extends(doc, options_for("/project", diagnostics), diagnostics);
    REQUIRE(errors(diagnostics).empty());
    CHECK(doc.value["services"]["web"] == Json{{"image", "nginx"}});
}

TEST_CASE("extends: another file is read once however many services extend from it") {
    std::string dir = kData + "/other_file";
    Document doc = parse(R"(services:
  one:
    extends: {file: common/base.yaml, service: app}
  two:
    extends: {file: common/base.yaml, service: core}
  three:
    extends: {file: ./common/../common/base.yaml, service: app}
)",
                         dir + "/compose.yaml");
    Diagnostics diagnostics;
    std::map<std::string, int> reads;
    ExtendsOptions options;
    options.base_dir = dir;
    options.load_file = [&](const fs::path& file) {
        ++reads[fs::path(file).filename().string()];
        return load_documents(file, ParseOptions{}, diagnostics);
    };
    apply_extends(doc, options, diagnostics);
    REQUIRE(errors(diagnostics).empty());
    CHECK(reads["base.yaml"] == 1);
    CHECK(reads["core.yaml"] == 1);
    CHECK(doc.value["services"]["one"]["image"] == "core-image");
    CHECK(doc.value["services"]["two"]["image"] == "core-image");
    CHECK(doc.value["services"]["three"]["labels"]["layer"] == "core");
}
