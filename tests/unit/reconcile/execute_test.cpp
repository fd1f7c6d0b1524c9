// Tests of the executor (src/reconcile/execute.cpp) against the fake engine: the
// networks' activation runs beside the creates, every start waits for it, and its
// failure fails the up without starting anything; stop tells down when every
// container has stopped.
#include <catch2/catch.hpp>

#include <algorithm>

#include "src/reconcile/execute.h"
#include "src/reconcile/fake_engine.h"

using namespace hako;
using namespace hako::reconcile;

namespace {

project::Project load(const std::string& yaml) {
    project::LoadOptions options;
    options.files = {"-"};
    options.read_stdin = [yaml]() -> Result<std::string> { return yaml; };
    options.working_directory = "/tmp";
    options.project_name = "demo";
    project::Diagnostics diagnostics;
    auto loaded = project::load(options, diagnostics);
    if (!loaded.ok()) FAIL(loaded.error().message);
    return std::move(loaded).value();
}

const char* kTwo = R"(
services:
  a: {image: busybox}
  b: {image: busybox}
)";

Result<void> run(FakeEngine& engine, const std::string& yaml) {
    auto project = load(yaml);
    auto planned = plan(project, PlanInput{}, PlanOptions{});
    REQUIRE(planned.ok());
    return execute(*planned, engine, ExecuteOptions{}, [](const Event&) {});
}

long position(const std::vector<std::string>& calls, const std::string& prefix) {
    auto it = std::find_if(calls.begin(), calls.end(), [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
    return it == calls.end() ? -1 : it - calls.begin();
}

}  // namespace

TEST_CASE("execute: the networks are activated once, after they are created and before any container starts") {
    FakeEngine engine;
    REQUIRE(run(engine, kTwo).ok());
    auto calls = engine.calls();
    long created = position(calls, "create network demo_default");
    long activated = position(calls, "activate networks");
    long started = position(calls, "start ");
    REQUIRE(created >= 0);
    REQUIRE(activated > created);
    REQUIRE(started > activated);
    CHECK(std::count(calls.begin(), calls.end(), "activate networks") == 1);
    CHECK(std::count_if(calls.begin(), calls.end(), [](const std::string& c) { return c.rfind("start ", 0) == 0; }) == 2);
}

TEST_CASE("execute: a failed network activation fails the up with its message and starts nothing") {
    FakeEngine engine;
    engine.activation_error = "nftables: table is busy";
    auto result = run(engine, kTwo);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message.find("networks") != std::string::npos);
    CHECK(result.error().message.find("nftables: table is busy") != std::string::npos);
    CHECK(position(engine.calls(), "start ") == -1);
}

namespace {

ObservedContainer running(const std::string& id, const std::string& service) {
    ObservedContainer container;
    container.id = id;
    container.name = "demo-" + service + "-1";
    container.service = service;
    container.number = 1;
    container.status = "running";
    return container;
}

}  // namespace

TEST_CASE("stop: on_all_stopped runs once, after every container has stopped, before down's removals end") {
    FakeEngine engine;
    StopRequest request;
    for (const char* service : {"a", "b", "c"}) {
        engine.add_container(running(std::string("id-") + service, service));
        request.containers.push_back(running(std::string("id-") + service, service));
    }
    request.remove = true;
    int called = 0;
    std::vector<std::string> seen;
    request.on_all_stopped = [&] {
        ++called;
        seen = engine.calls();
    };
    REQUIRE(stop(request, engine, [](const Event&) {}).ok());
    CHECK(called == 1);
    CHECK(std::count_if(seen.begin(), seen.end(), [](const std::string& c) { return c.rfind("stop ", 0) == 0; }) == 3);
    auto calls = engine.calls();
    CHECK(std::count_if(calls.begin(), calls.end(), [](const std::string& c) { return c.rfind("remove ", 0) == 0; }) == 3);
}

TEST_CASE("stop: on_all_stopped is not called when a container fails to stop") {
    FakeEngine engine;
    StopRequest request;
    engine.add_container(running("id-a", "a"));
    request.containers.push_back(running("id-a", "a"));
    request.containers.push_back(running("id-gone", "b"));  // the engine knows no such container
    request.remove = true;
    int called = 0;
    request.on_all_stopped = [&] { ++called; };
    auto result = stop(request, engine, [](const Event&) {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message.find("demo-b-1") != std::string::npos);
    CHECK(called == 0);
}
