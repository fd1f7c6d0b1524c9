// Tests for src/project/config_hash.cpp: the hash changes exactly when the
// container would differ, not with key order, syntax or build-only fields.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "src/project/config_hash.h"
#include "src/project/normalize.h"
#include "tests/unit/project/yaml_test_support.h"

using namespace hako::project;
using hako::project::testing::make_project;

namespace {

Json normalized_service(const std::string& yaml, const std::string& name = "app") {
    Project project = make_project(yaml);
    Diagnostics diagnostics;
    auto result = normalize(project, diagnostics);
    INFO((result.ok() ? std::string() : result.error().message));
    REQUIRE(result.ok());
    return project.model["services"][name];
}

std::string hash_of(const std::string& yaml) { return config_hash(normalized_service(yaml)); }

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

const std::string base = "services: {app: {image: example/app:1, environment: {MODE: prod}, ports: ['8080:80']}}";

}  // namespace

TEST_CASE("config_hash: is the sha256 of the compact sorted JSON of the hashed fields") {
    CHECK(config_hash(Json::object()) == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    const std::string hash = hash_of(base);
    CHECK(hash.size() == 64);
    CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(hash == hash_of(base));
}

TEST_CASE("config_hash: key order does not matter") {
    CHECK(hash_of(base) ==
          hash_of("services: {app: {ports: ['8080:80'], environment: {MODE: prod}, image: example/app:1}}"));
}

TEST_CASE("config_hash: short and long syntax give the same hash") {
    const std::string dir = std::string(HAKO_TEST_DATA) + "/normalize/hash/";
    const Json short_form = normalized_service(read_text(dir + "short.yaml"));
    const Json long_form = normalized_service(read_text(dir + "long.yaml"));
    INFO(hashed_config(short_form).dump(2) << "\n---\n" << hashed_config(long_form).dump(2));
    CHECK(config_hash(short_form) == config_hash(long_form));
}

TEST_CASE("config_hash: a changed image, environment, port or command changes it") {
    const std::string hash = hash_of(base);
    CHECK(hash != hash_of("services: {app: {image: example/app:2, environment: {MODE: prod}, ports: ['8080:80']}}"));
    CHECK(hash != hash_of("services: {app: {image: example/app:1, environment: {MODE: dev}, ports: ['8080:80']}}"));
    CHECK(hash != hash_of("services: {app: {image: example/app:1, environment: {MODE: prod}, ports: ['8081:80']}}"));
    CHECK(hash != hash_of("services: {app: {image: example/app:1, environment: {MODE: prod}, ports: ['8080:80'],"
                          " command: run}}"));
    CHECK(hash != hash_of("services: {app: {image: example/app:1, environment: {MODE: prod}, ports: ['8080:80'],"
                          " labels: {x-team: a}}}"));
}

TEST_CASE("config_hash: build-only and orchestration-only fields do not change it") {
    const std::string hash = hash_of(base);
    CHECK(hash == hash_of("services: {app: {image: example/app:1, environment: {MODE: prod}, ports: ['8080:80'],"
                          " build: ./app, pull_policy: always, scale: 3, profiles: [debug],"
                          " depends_on: {db: {condition: service_healthy, restart: true}},"
                          " develop: {watch: [{path: ./src, action: sync, target: /src}]},"
                          " x-owner: me}, db: {image: postgres}}"));
    CHECK(hash == hash_of("services: {app: {image: example/app:1, environment: {MODE: prod}, ports: ['8080:80'],"
                          " deploy: {replicas: 4}}}"));
    CHECK(hash != hash_of("services: {app: {image: example/app:1, environment: {MODE: prod}, ports: ['8080:80'],"
                          " deploy: {replicas: 4, resources: {limits: {memory: 1g}}}}}"));
}

TEST_CASE("config_hash: extension keys are dropped everywhere but inside user maps") {
    Json service = Json::parse(R"({"image":"a","x-top":1,"healthcheck":{"test":["NONE"],"x-note":"n"},
                                   "environment":{"x-keep":"1"}})");
    CHECK(hashed_config(service) == Json::parse(R"({"image":"a","healthcheck":{"test":["NONE"]},
                                                    "environment":{"x-keep":"1"}})"));
}
