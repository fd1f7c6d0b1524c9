#include <catch2/catch.hpp>

#include "src/project/discovery.h"
#include "tests/unit/project/temp_folder.h"

using namespace hako::project;
using hako::project::testing::TempFolder;
namespace fs = std::filesystem;

TEST_CASE("discovery: compose.yaml wins over the other names, and the first override comes along") {
    TempFolder t;
    t.write("docker-compose.yml", "services: {}\n");
    t.write("compose.yaml", "services: {}\n");
    t.write("docker-compose.override.yml", "services: {}\n");
    t.write("compose.override.yaml", "services: {}\n");
    auto found = discover_compose_files(t.path());
    REQUIRE(found.ok());
    REQUIRE(found.value().size() == 2);
    CHECK(found.value()[0] == t.path() / "compose.yaml");
    CHECK(found.value()[1] == t.path() / "compose.override.yaml");
}

TEST_CASE("discovery: the search goes up through parent folders") {
    TempFolder t;
    t.write("docker-compose.yaml", "services: {}\n");
    fs::create_directories(t.path() / "a/b/c");
    auto found = discover_compose_files(t.path() / "a/b/c");
    REQUIRE(found.ok());
    REQUIRE(found.value().size() == 1);
    CHECK(found.value()[0] == t.path() / "docker-compose.yaml");
}

TEST_CASE("discovery: nothing found is an error saying where it looked") {
    TempFolder t;
    fs::create_directories(t.path() / "empty");
    auto found = discover_compose_files(t.path() / "empty");
    // Some parent of /tmp could hold a compose file on a developer machine;
    // then there is nothing to check.
    if (found.ok()) return;
    CHECK(found.error().message.find("compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml") !=
          std::string::npos);
    CHECK(found.error().message.find((t.path() / "empty").string()) != std::string::npos);
}

TEST_CASE("discovery: COMPOSE_FILE is split on COMPOSE_PATH_SEPARATOR, else ':'") {
    CHECK(split_compose_file_variable("a.yaml:b.yaml", ":") == std::vector<std::string>{"a.yaml", "b.yaml"});
    CHECK(split_compose_file_variable("a.yaml;;b.yaml", ";") == std::vector<std::string>{"a.yaml", "b.yaml"});
    CHECK(split_compose_file_variable("", ":").empty());
}

TEST_CASE("environment: the OS environment wins over .env") {
    TempFolder t;
    t.write(".env", "A=from-file\nB=from-file\nC=${A}-x\n");
    auto env = load_environment({{"A", "from-os"}}, {}, t.path(), t.path());
    REQUIRE(env.ok());
    CHECK(env.value().get("A") == "from-os");
    CHECK(env.value().get("B") == "from-file");
    // Inside .env, keys the file set earlier are seen first (dotenv.h).
    CHECK(env.value().get("C") == "from-file-x");
}

TEST_CASE("environment: --env-file replaces .env, a later file wins, a missing one is an error") {
    TempFolder t;
    t.write(".env", "A=dotenv\n");
    t.write("one.env", "A=one\nB=one\n");
    t.write("two.env", "B=two\n");
    auto env = load_environment({}, {"one.env", "two.env"}, t.path(), t.path());
    REQUIRE(env.ok());
    CHECK(env.value().get("A") == "one");
    CHECK(env.value().get("B") == "two");

    auto missing = load_environment({}, {"nope.env"}, t.path(), t.path());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "env file " + (t.path() / "nope.env").string() + " not found");
}

TEST_CASE("environment: COMPOSE_DISABLE_ENV_FILE skips .env, and a missing .env is fine") {
    TempFolder t;
    CHECK(load_environment({}, {}, t.path(), t.path()).ok());
    t.write(".env", "A=1\n");
    auto env = load_environment({{"COMPOSE_DISABLE_ENV_FILE", "true"}}, {}, t.path(), t.path());
    REQUIRE(env.ok());
    CHECK_FALSE(env.value().has("A"));
}

TEST_CASE("locate: -f files are made absolute and the project folder is the first file's folder") {
    TempFolder t;
    t.write("deploy/base.yaml", "services: {}\n");
    t.write("deploy/.env", "X=deploy\n");
    t.write(".env", "X=cwd\n");
    LoadOptions options;
    options.working_directory = t.path();
    options.files = {"deploy/base.yaml", "-"};
    auto location = locate_project(options);
    REQUIRE(location.ok());
    CHECK(location.value().files == std::vector<std::string>{(t.path() / "deploy/base.yaml").string(), "-"});
    CHECK(location.value().project_dir == t.path() / "deploy");
    CHECK(location.value().environment.get("X") == "deploy");
}

TEST_CASE("locate: COMPOSE_FILE may come from .env; the variables are then read from the project folder") {
    TempFolder t;
    t.write(".env", "COMPOSE_FILE=stack/a.yaml;stack/b.yaml\nCOMPOSE_PATH_SEPARATOR=;\nY=cwd\n");
    t.write("stack/a.yaml", "services: {}\n");
    t.write("stack/b.yaml", "services: {}\n");
    t.write("stack/.env", "Y=stack\n");
    LoadOptions options;
    options.working_directory = t.path();
    auto location = locate_project(options);
    REQUIRE(location.ok());
    CHECK(location.value().files ==
          std::vector<std::string>{(t.path() / "stack/a.yaml").string(), (t.path() / "stack/b.yaml").string()});
    CHECK(location.value().project_dir == t.path() / "stack");
    CHECK(location.value().environment.get("Y") == "stack");
}

TEST_CASE("locate: --project-directory sets the folder and discovery starts there; COMPOSE_ENV_FILES is read") {
    TempFolder t;
    t.write("proj/sub/compose.yml", "services: {}\n");
    t.write("vars.env", "Z=1\n");
    LoadOptions options;
    options.working_directory = t.path();
    options.project_directory = "proj/sub";
    options.os_environment = {{"COMPOSE_ENV_FILES", "vars.env"}};
    auto location = locate_project(options);
    REQUIRE(location.ok());
    CHECK(location.value().files == std::vector<std::string>{(t.path() / "proj/sub/compose.yml").string()});
    CHECK(location.value().project_dir == t.path() / "proj/sub");
    CHECK(location.value().environment.get("Z") == "1");
}
