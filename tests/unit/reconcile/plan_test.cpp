// Tests of the planner (src/reconcile/plan.cpp): printed plans for a first up,
// a second up with nothing changed, changed services, images, scale, orphans
// and the recreate flags.
#include <catch2/catch.hpp>

#include "src/reconcile/plan.h"
#include "src/reconcile/service_spec.h"
#include "src/project/config_hash.h"

#include <set>

using namespace hako;
using namespace hako::reconcile;

namespace {

project::Project load(const std::string& yaml, std::vector<std::string> profiles = {}) {
    project::LoadOptions options;
    options.files = {"-"};
    options.read_stdin = [yaml]() -> Result<std::string> { return yaml; };
    options.working_directory = "/tmp";
    options.project_name = "demo";
    options.profiles = std::move(profiles);
    project::Diagnostics diagnostics;
    auto loaded = project::load(options, diagnostics);
    if (!loaded.ok()) FAIL(loaded.error().message);
    return std::move(loaded).value();
}

// What the engine holds after a plan ran: every container running, images present.
PlanInput after(const Plan& plan, PlanInput input = {}) {
    for (const auto& [step, request] : plan.networks)
        if (step.create) input.observed.networks.push_back({request.name, request.labels});
    for (const auto& [step, request] : plan.volumes)
        if (step.create) input.observed.volumes.push_back({request.name, request.labels});
    for (const auto& image : plan.images) input.image_ids[image.reference] = "sha256:" + image.reference;
    std::vector<ObservedContainer> kept;
    std::set<std::string> removed;
    for (const auto& step : plan.orphans) removed.insert(step.existing_id);
    for (const auto& service : plan.services)
        for (const auto& step : service.steps)
            if (step.action == Action::Remove || step.action == Action::Recreate) removed.insert(step.existing_id);
    for (const auto& container : input.observed.containers)
        if (!removed.count(container.id)) kept.push_back(container);
    int next = 100;
    for (const auto& service : plan.services)
        for (const auto& step : service.steps) {
            if (step.action != Action::Create && step.action != Action::Recreate) {
                for (auto& container : kept)
                    if (container.id == step.existing_id && service.start) container.status = "running";
                continue;
            }
            ObservedContainer container;
            container.id = "c" + std::to_string(next++);
            container.name = step.name;
            container.labels = step.request.labels;
            container.service = service.service;
            container.number = step.number;
            container.config_hash = step.request.labels.at(kConfigHashLabel);
            container.image_id = input.image_ids[step.request.image];
            container.status = service.start ? "running" : "created";
            kept.push_back(container);
        }
    input.observed.containers = kept;
    return input;
}

std::string print(const project::Project& project, const PlanInput& input, const PlanOptions& options = {}) {
    auto result = plan(project, input, options);
    if (!result.ok()) return "error: " + result.error().message;
    return result->print();
}

Plan make(const project::Project& project, const PlanInput& input, const PlanOptions& options = {}) {
    auto result = plan(project, input, options);
    REQUIRE(result.ok());
    return std::move(result).value();
}

const char* kStack = R"(
services:
  db:
    image: busybox
    healthcheck: {test: ["CMD", "true"]}
  api:
    image: busybox
    command: ["sleep", "100"]
    depends_on: {db: {condition: service_healthy}}
  web:
    image: busybox
    depends_on: [api]
    volumes: [data:/data]
volumes:
  data: {}
)";

}  // namespace

TEST_CASE("plan: a first up creates networks, volumes, images and every container in dependency order") {
    auto project = load(kStack);
    CHECK(print(project, {}) ==
          "network demo_default: create\n"
          "volume demo_data: create\n"
          "image busybox: pull (db)\n"
          "container demo-db-1: create\n"
          "container demo-api-1: create after db:service_healthy\n"
          "container demo-web-1: create after api:service_started\n");
}

TEST_CASE("plan: a second up with nothing changed has nothing to do") {
    auto project = load(kStack);
    auto first = make(project, {});
    auto state = after(first);
    auto second = make(project, state);
    CHECK(second.nothing_to_do());
    CHECK(second.print() ==
          "network demo_default: exists\n"
          "volume demo_data: exists\n"
          "container demo-db-1: running\n"
          "container demo-api-1: running\n"
          "container demo-web-1: running\n");
}

TEST_CASE("plan: changing one service recreates exactly its container") {
    auto state = after(make(load(kStack), {}));
    std::string changed = kStack;
    changed.replace(changed.find("\"sleep\", \"100\""), 14, "\"sleep\", \"200\"");
    auto plan_text = print(load(changed), state);
    CHECK(plan_text ==
          "network demo_default: exists\n"
          "volume demo_data: exists\n"
          "container demo-db-1: running\n"
          "container demo-api-1: recreate (config changed) after db:service_healthy\n"
          "container demo-web-1: running\n");
}

TEST_CASE("plan: a new image id recreates the containers that run the image") {
    auto project = load(kStack);
    auto state = after(make(project, {}));
    state.image_ids["busybox"] = "sha256:newer";
    auto text = print(project, state);
    CHECK(text.find("container demo-db-1: recreate (image changed)") != std::string::npos);
    CHECK(text.find("container demo-web-1: recreate (image changed)") != std::string::npos);
}

TEST_CASE("plan: a stopped container is started, not recreated") {
    auto project = load(kStack);
    auto state = after(make(project, {}));
    for (auto& container : state.observed.containers)
        if (container.service == "web") container.status = "exited";
    CHECK(print(project, state).find("container demo-web-1: start after api:service_started\n") != std::string::npos);
}

TEST_CASE("plan: scale up adds the lowest free numbers, scale down removes the highest") {
    auto project = load("services:\n  w:\n    image: busybox\n    scale: 3\n");
    auto state = after(make(project, {}));
    REQUIRE(state.observed.containers.size() == 3);
    PlanOptions down;
    down.scale["w"] = 1;
    CHECK(print(project, state, down) ==
          "network demo_default: exists\n"
          "container demo-w-2: remove (scale down)\n"
          "container demo-w-3: remove (scale down)\n"
          "container demo-w-1: running\n");
    // A gap (number 2 removed by hand) is filled first.
    state.observed.containers.erase(state.observed.containers.begin() + 1);
    PlanOptions up;
    up.scale["w"] = 4;
    CHECK(print(project, state, up) ==
          "network demo_default: exists\n"
          "container demo-w-1: running\n"
          "container demo-w-2: create\n"
          "container demo-w-3: running\n"
          "container demo-w-4: create\n");
}

TEST_CASE("plan: orphans are reported, and removed with --remove-orphans") {
    auto state = after(make(load(kStack), {}));
    auto smaller = load("services:\n  db:\n    image: busybox\n    healthcheck: {test: [\"CMD\", \"true\"]}\n");
    auto text = print(smaller, state);
    CHECK(text.find("warning: Found orphan containers ([demo-api-1])") != std::string::npos);
    CHECK(text.find("remove (orphan)") == std::string::npos);
    PlanOptions options;
    options.remove_orphans = true;
    text = print(smaller, state, options);
    CHECK(text.find("container demo-api-1: remove (orphan)\n") != std::string::npos);
    CHECK(text.find("container demo-web-1: remove (orphan)\n") != std::string::npos);
}

TEST_CASE("plan: a service switched off by a profile is not an orphan") {
    const char* yaml = "services:\n  a:\n    image: busybox\n  b:\n    image: busybox\n    profiles: [extra]\n";
    auto state = after(make(load(yaml, {"extra"}), {}));
    CHECK(print(load(yaml), state).find("orphan") == std::string::npos);
}

TEST_CASE("plan: --force-recreate recreates everything, --no-recreate nothing") {
    auto project = load(kStack);
    auto state = after(make(project, {}));
    PlanOptions force;
    force.force_recreate = true;
    auto text = print(project, state, force);
    CHECK(text.find("container demo-db-1: recreate (forced)\n") != std::string::npos);
    CHECK(text.find("container demo-web-1: recreate (forced) after api:service_started\n") != std::string::npos);
    std::string changed = kStack;
    changed.replace(changed.find("\"sleep\", \"100\""), 14, "\"sleep\", \"200\"");
    PlanOptions no_recreate;
    no_recreate.no_recreate = true;
    CHECK(make(load(changed), state, no_recreate).nothing_to_do());
}

TEST_CASE("plan: --no-deps acts on the named service alone; --always-recreate-deps recreates its dependencies") {
    auto project = load(kStack);
    PlanOptions no_deps;
    no_deps.services = {"web"};
    no_deps.no_deps = true;
    CHECK(print(project, {}, no_deps) ==
          "network demo_default: create\n"
          "volume demo_data: create\n"
          "image busybox: pull (web)\n"
          "container demo-web-1: create\n");
    auto state = after(make(project, {}));
    PlanOptions deps;
    deps.services = {"api"};
    deps.always_recreate_deps = true;
    CHECK(print(project, state, deps) ==
          "network demo_default: exists\n"
          "container demo-db-1: recreate (forced)\n"
          "container demo-api-1: running\n");
}

TEST_CASE("plan: a service sharing a namespace or volumes_from with a recreated one is recreated") {
    const char* before = R"(
services:
  a: {image: busybox, command: ["sleep", "1"]}
  b: {image: busybox, network_mode: "service:a"}
  c: {image: busybox, volumes_from: [a]}
  d: {image: busybox}
)";
    auto state = after(make(load(before), {}));
    std::string changed = before;
    changed.replace(changed.find("\"1\""), 3, "\"2\"");
    auto text = print(load(changed), state);
    CHECK(text.find("container demo-a-1: recreate (config changed)\n") != std::string::npos);
    CHECK(text.find("container demo-b-1: recreate (shares with a, which is recreated)") != std::string::npos);
    CHECK(text.find("container demo-c-1: recreate (shares with a, which is recreated)") != std::string::npos);
    CHECK(text.find("container demo-d-1: running\n") != std::string::npos);
}

TEST_CASE("plan: depends_on restart: true restarts the dependent when its dependency is recreated") {
    const char* before = R"(
services:
  db: {image: busybox, command: ["sleep", "1"]}
  app:
    image: busybox
    depends_on: {db: {condition: service_started, restart: true}}
  other:
    image: busybox
    depends_on: [db]
)";
    auto state = after(make(load(before), {}));
    std::string changed = before;
    changed.replace(changed.find("\"1\""), 3, "\"2\"");
    auto text = print(load(changed), state);
    CHECK(text.find("container demo-app-1: restart (restart with db) after db:service_started\n") != std::string::npos);
    CHECK(text.find("container demo-other-1: running\n") != std::string::npos);
}

TEST_CASE("plan: a changed network definition is reported, not silently applied") {
    const char* yaml = "services:\n  a:\n    image: busybox\nnetworks:\n  default:\n    ipam: {config: [{subnet: 10.203.9.0/24}]}\n";
    auto state = after(make(load(yaml), {}));
    std::string changed = yaml;
    changed.replace(changed.find("10.203.9.0"), 10, "10.203.8.0");
    auto text = print(load(changed), state);
    CHECK(text.find("network demo_default: exists (changed") != std::string::npos);
    CHECK(text.find("warning: network demo_default has changed") != std::string::npos);
}

TEST_CASE("plan: the container request carries the labels and record sections") {
    auto project = load(R"(
services:
  web:
    image: busybox
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo hi"]
    stop_signal: SIGKILL
    ports: ["8080:80"]
    networks: {front: {aliases: [www]}}
    volumes: [data:/data, /anon]
    healthcheck: {test: "true", interval: 2s}
networks:
  front: {}
volumes:
  data: {}
)");
    auto request = container_request(project, "web", 2, false);
    REQUIRE(request.ok());
    CHECK(request->name == "demo-web-2");
    CHECK(request->entrypoint == std::optional<std::string>("/bin/sh"));
    CHECK(request->args == std::vector<std::string>{"-c", "echo hi"});
    CHECK(request->stop_signal == "SIGKILL");
    CHECK(request->labels.at("hako.project") == "demo");
    CHECK(request->labels.at("hako.container-number") == "2");
    CHECK(request->labels.at("hako.oneoff") == "False");
    CHECK(request->labels.at("hako.config-hash") == project::config_hash(project.service("web")));
    CHECK(request->networking["mode"] == "bridge");
    CHECK(request->networking["endpoints"]["demo_front"]["aliases"] == Json::array({"web", "www"}));
    CHECK(request->networking["ports"][0]["published"] == "8080");
    CHECK(request->mounts[0]["source"] == "demo_data");
    CHECK(request->mounts[1]["source"] == "");
    CHECK(request->health["interval"] == 2000000000LL);
}

TEST_CASE("plan: an unknown service or negative scale is an error naming it") {
    auto project = load(kStack);
    PlanOptions named;
    named.services = {"nope"};
    CHECK(print(project, {}, named) == "error: no such service: nope");
    PlanOptions scale;
    scale.scale["db"] = -1;
    CHECK(print(project, {}, scale).find("db") != std::string::npos);
}
