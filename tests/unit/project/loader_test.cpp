#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>

#include "src/project/project.h"
#include "tests/unit/project/temp_folder.h"

using namespace hako::project;
using hako::project::testing::TempFolder;
namespace fs = std::filesystem;

namespace {

const fs::path kProjects = fs::path(HAKO_TEST_DATA) / "projects";

LoadOptions options_in(const fs::path& dir) {
    LoadOptions options;
    options.working_directory = dir;
    options.normalize = false;  // these tests look at the merged model as written
    return options;
}

std::string error_of(const LoadOptions& options) {
    Diagnostics d;
    auto project = load(options, d);
    REQUIRE_FALSE(project.ok());
    return project.error().message;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("loader: a web + api + PostgreSQL + Redis project loads with its .env") {
    Diagnostics d;
    auto project = load(options_in(kProjects / "webstack"), d);
    REQUIRE(project.ok());
    CHECK(project->name == "webstack");
    CHECK(project->working_dir == kProjects / "webstack");
    CHECK(project->config_files == Names{(kProjects / "webstack/compose.yaml").string()});
    CHECK(project->service_names() == Names{"api", "cache", "db", "web"});
    CHECK(project->environment.get("POSTGRES_PASSWORD") == "s3cret");
    const Json& model = project->model;
    CHECK(model["services"]["web"]["ports"][0] == "8081:80");
    CHECK(model["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == "s3cret");
    CHECK(model["services"]["api"]["depends_on"]["db"]["condition"] == "service_healthy");
    CHECK(model["services"]["api"]["healthcheck"]["retries"] == 10);
    CHECK(model.contains("x-healthcheck-defaults"));
    // Marks point into the file.
    CHECK(contains(project->marks.find("services.api.depends_on.db").str(), "webstack/compose.yaml:"));
}

TEST_CASE("loader: the OS environment wins over .env") {
    LoadOptions options = options_in(kProjects / "webstack");
    options.os_environment = {{"WEB_PORT", "9999"}};
    Diagnostics d;
    auto project = load(options, d);
    REQUIRE(project.ok());
    CHECK(project->model["services"]["web"]["ports"][0] == "9999:80");
}

TEST_CASE("loader: the whole pipeline, normalisation included, accepts the realistic projects") {
    for (const char* name : {"webstack", "overrides", "combined", "gpu"}) {
        CAPTURE(name);
        LoadOptions options = options_in(kProjects / name);
        options.normalize = true;
        Diagnostics d;
        auto project = load(options, d);
        if (!project.ok()) FAIL(project.error().message);
        CHECK_FALSE(project->service_names().empty());
    }
}

TEST_CASE("loader: discovery takes compose.yaml and its override (the dev setup)") {
    Diagnostics d;
    auto project = load(options_in(kProjects / "overrides"), d);
    REQUIRE(project.ok());
    CHECK(project->config_files == Names{(kProjects / "overrides/compose.yaml").string(),
                                         (kProjects / "overrides/compose.override.yaml").string()});
    CHECK(project->name == "overrides");
    const Json& app = project->model["services"]["app"];
    CHECK(app["command"] == Json::parse(R"(["flask","run","--reload"])"));
    CHECK(app["environment"] == Json::parse(R"({"APP_ENV":"dev","SHARED":"1","DEBUG":"1"})"));
    REQUIRE(app["ports"].size() == 2);  // the long 8000 entry took the place of "8000:8000"
    CHECK(app["ports"][0]["target"] == 8000);
    CHECK(app["ports"][1] == "5678:5678");
    REQUIRE(app["volumes"].size() == 1);  // same target: the override's bind mount wins
    CHECK(app["volumes"][0] == "./src:/var/lib/app");
    CHECK(app["labels"] == Json::parse(R"({"team":"platform","dev":"true"})"));
    CHECK(app["build"] == ".");  // only the override has it: taken as written
    // The override's values point at the override file.
    CHECK(contains(project->marks.find("services.app.ports[1]").str(), "compose.override.yaml:"));
    CHECK(contains(project->marks.find("services.app.image").str(), "overrides/compose.yaml:"));
}

TEST_CASE("loader: -f base -f prod applies !reset, !override and depends_on merging") {
    LoadOptions options = options_in(kProjects / "overrides");
    options.files = {"compose.yaml", "compose.prod.yaml"};
    Diagnostics d;
    auto project = load(options, d);
    REQUIRE(project.ok());
    const Json& app = project->model["services"]["app"];
    CHECK(app["image"] == "example/app:1.4.2");
    CHECK_FALSE(app.contains("ports"));
    CHECK(app["cap_add"] == Json::parse(R"(["CHOWN"])"));
    CHECK(app["environment"]["APP_ENV"] == "prod");
    CHECK(app["depends_on"]["db"]["condition"] == "service_healthy");
    CHECK(app["deploy"]["replicas"] == 3);
    CHECK(project->model["services"]["db"]["healthcheck"]["interval"] == "5s");
}

TEST_CASE("loader: include, extends and profiles together") {
    Diagnostics d;
    auto project = load(options_in(kProjects / "combined"), d);
    if (!project.ok()) FAIL(project.error().message);
    CHECK(project->service_names() == Names{"queue", "scheduler", "worker"});
    CHECK(project->disabled_services == Names{"debugger", "migrate"});
    CHECK(project->all_profiles == Names{"debug", "tools"});
    CHECK(project->active_profiles.empty());
    const Json& worker = project->model["services"]["worker"];
    CHECK(worker["image"] == "python:3.12-slim");
    CHECK(worker["command"] == Json::parse(R"(["python","-m","worker"])"));
    CHECK(project->model["services"]["scheduler"]["image"] == "python:3.12-slim");
    CHECK(contains(project->config_files.back(), "shared/compose.yaml"));
}

TEST_CASE("loader: --profile and COMPOSE_PROFILES turn profiled services on") {
    LoadOptions options = options_in(kProjects / "combined");
    options.profiles = {"debug"};
    Diagnostics d;
    auto project = load(options, d);
    REQUIRE(project.ok());
    CHECK(project->service_names() == Names{"debugger", "queue", "scheduler", "worker"});
    CHECK(project->active_profiles == Names{"debug"});

    LoadOptions from_env = options_in(kProjects / "combined");
    from_env.os_environment = {{"COMPOSE_PROFILES", "tools,debug"}};
    Diagnostics d2;
    auto both = load(from_env, d2);
    REQUIRE(both.ok());
    CHECK(both->disabled_services.empty());
    CHECK(both->active_profiles == Names{"debug", "tools"});
}

TEST_CASE("loader: naming a profiled service turns it on") {
    LoadOptions options = options_in(kProjects / "combined");
    options.services = {"migrate"};
    Diagnostics d;
    auto project = load(options, d);
    REQUIRE(project.ok());
    CHECK(project->disabled_services == Names{"debugger"});
}

TEST_CASE("loader: a GPU service keeps its device reservation") {
    Diagnostics d;
    auto project = load(options_in(kProjects / "gpu"), d);
    REQUIRE(project.ok());
    const Json& devices = project->model["services"]["inference"]["deploy"]["resources"]["reservations"]["devices"];
    CHECK(devices[0]["driver"] == "nvidia");
    CHECK(devices[0]["count"] == 1);
    CHECK(project->model["services"]["monitor"]["gpus"] == "all");
}

TEST_CASE("loader: project name comes from -p, COMPOSE_PROJECT_NAME, name:, then the folder") {
    TempFolder t;
    t.write("My Stack/compose.yaml", "services:\n  web:\n    image: nginx\n");
    LoadOptions options = options_in(t.path() / "My Stack");
    Diagnostics d1;
    CHECK(load(options, d1)->name == "mystack");

    t.write("My Stack/.env", "COMPOSE_PROJECT_NAME=fromdotenv\n");
    Diagnostics d2;
    auto from_env = load(options, d2);
    CHECK(from_env->name == "fromdotenv");
    CHECK(from_env->model["name"] == "fromdotenv");

    options.project_name = "flag";
    Diagnostics d3;
    CHECK(load(options, d3)->name == "flag");
}

TEST_CASE("loader: an invalid name is an error naming where it came from") {
    LoadOptions options = options_in(kProjects / "bad");
    options.files = {"bad-name.yaml"};
    std::string message = error_of(options);
    CHECK(contains(message, "bad-name.yaml:1:"));
    CHECK(contains(message, "invalid project name \"My_Project\""));

    options.project_name = "Not Valid";
    CHECK(contains(error_of(options), "-p/--project-name: invalid project name \"Not Valid\""));
}

TEST_CASE("loader: depends_on an unknown service is an error at its place") {
    LoadOptions options = options_in(kProjects / "bad");
    options.files = {"unknown-dependency.yaml"};
    std::string message = error_of(options);
    CHECK(contains(message, "unknown-dependency.yaml:5:"));
    CHECK(contains(message, "service \"web\" depends on undefined service \"db\""));
}

TEST_CASE("loader: depending on a service disabled by profiles is an error naming both") {
    LoadOptions options = options_in(kProjects / "bad");
    options.files = {"disabled-dependency.yaml"};
    options.profiles = {"debug"};
    Diagnostics d;
    auto project = load(options, d);
    REQUIRE_FALSE(project.ok());
    CHECK(contains(project.error().message, "service \"web\" depends on service \"db\", which is disabled"));
    CHECK_FALSE(contains(project.error().message, "\"tools\""));  // required: false only warns
    bool warned = false;
    for (const auto& item : d.items()) warned |= item.severity == Severity::Warning && contains(item.message, "tools");
    CHECK(warned);
}

TEST_CASE("loader: undefined networks, volumes, secrets, configs and services are all reported") {
    LoadOptions options = options_in(kProjects / "bad");
    options.files = {"undefined-resources.yaml"};
    std::string message = error_of(options);
    CHECK(contains(message, "refers to undefined network \"back\""));
    CHECK(contains(message, "refers to undefined volume \"data\""));
    CHECK(contains(message, "refers to undefined secret \"token\""));
    CHECK(contains(message, "refers to undefined config \"nginx_conf\""));
    CHECK(contains(message, "refers to undefined service \"sidecar\""));
    CHECK_FALSE(contains(message, "\"./html\""));
}

TEST_CASE("loader: errors in several files are all reported at once") {
    LoadOptions options = options_in(kProjects / "bad");
    options.files = {"errors-a.yaml", "errors-b.yaml"};
    Diagnostics d;
    auto project = load(options, d);
    REQUIRE_FALSE(project.ok());
    CHECK(contains(project.error().message, "errors-a.yaml:"));
    CHECK(contains(project.error().message, "errors-b.yaml:"));
    CHECK(d.error_count() >= 2);
}

TEST_CASE("loader: a missing -f file is an error naming it") {
    LoadOptions options = options_in(kProjects / "bad");
    options.files = {"does-not-exist.yaml"};
    CHECK(contains(error_of(options), (kProjects / "bad/does-not-exist.yaml").string()));
}

TEST_CASE("loader: a missing --env-file is an error, a missing .env is not") {
    LoadOptions options = options_in(kProjects / "gpu");
    options.env_files = {"missing.env"};
    CHECK(contains(error_of(options), "env file " + (kProjects / "gpu/missing.env").string() + " not found"));
}

TEST_CASE("loader: no compose file anywhere is an error saying where it looked") {
    LoadOptions options = options_in("/");
    options.working_directory = "/proc/self";  // no compose file there nor in /proc or /
    CHECK(contains(error_of(options), "no configuration file provided"));
}

TEST_CASE("loader: -f - reads stdin, the project folder is the working folder") {
    TempFolder t;
    LoadOptions options = options_in(t.path());
    options.files = {"-"};
    options.read_stdin = []() -> hako::Result<std::string> { return std::string("services:\n  s:\n    image: x\n"); };
    Diagnostics d;
    auto project = load(options, d);
    REQUIRE(project.ok());
    CHECK(project->working_dir == t.path());
    CHECK(project->config_files == Names{"-"});
    CHECK(project->service_names() == Names{"s"});
}

TEST_CASE("loader: `version` is dropped with a warning, x- keys stay") {
    TempFolder t;
    t.write("compose.yaml", "version: '3.8'\nx-meta: {owner: me}\nservices:\n  s:\n    image: x\n");
    Diagnostics d;
    auto project = load(options_in(t.path()), d);
    REQUIRE(project.ok());
    CHECK_FALSE(project->model.contains("version"));
    CHECK(project->model["x-meta"]["owner"] == "me");
    REQUIRE_FALSE(d.items().empty());
    CHECK(d.items()[0].severity == Severity::Warning);
}

TEST_CASE("loader: 500 services with an override load quickly", "[.bench]") {
    TempFolder t;
    std::string base = "x-common: &common\n  restart: unless-stopped\n  healthcheck:\n    test: [CMD, \"true\"]\n"
                       "services:\n";
    std::string over = "services:\n";
    for (int i = 0; i < 500; ++i) {
        std::string n = std::to_string(i);
        base += "  s" + n + ":\n    <<: *common\n    image: app:${TAG:-1}\n    ports: [\"" + std::to_string(10000 + i) +
                ":80\"]\n    environment: [A=1, B=" + n + "]\n    volumes: [data:/data]\n    networks: [front, back]\n";
        if (i > 0) base += "    depends_on: [s" + std::to_string(i - 1) + "]\n";
        over += "  s" + n + ":\n    environment: {B: x}\n    ports: [{target: 80, published: \"" +
                std::to_string(10000 + i) + "\"}]\n";
    }
    base += "networks: {front: {}, back: {}}\nvolumes: {data: {}}\n";
    t.write("compose.yaml", base);
    t.write("compose.override.yaml", over);
    LoadOptions options = options_in(t.path());
    options.normalize = std::getenv("HAKO_BENCH_NO_NORMALIZE") == nullptr;
    auto start = std::chrono::steady_clock::now();
    Diagnostics d;
    auto project = load(options, d);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!project.ok()) FAIL(project.error().message.substr(0, 2000));
    CHECK(project->service_names().size() == 500);
    WARN("500 services + override: " << ms << " ms");
}
