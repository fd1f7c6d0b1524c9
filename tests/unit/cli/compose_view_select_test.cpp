// Tests for src/cli/compose_select.cpp and src/cli/compose_ps_format.cpp:
// choosing a project's containers by labels, and docker's words for them.
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/container/container_store.h"
#include "engine/sys/tempdir.h"
#include "src/cli/compose_ps_format.h"
#include "src/cli/compose_select.h"

using namespace hako;
using namespace hako::cli;

namespace {

struct Store {
    sys::TempDir dir = std::move(sys::TempDir::create(std::filesystem::temp_directory_path(), "hako-select-").value());
    container::ContainerStore store = std::move(container::ContainerStore::open(dir.path()).value());
    int next = 0;

    void add(const std::string& project, const std::string& service, int number, bool oneoff = false,
             const std::string& status = "exited") {
        container::ContainerRecord r;
        char id[65];
        std::snprintf(id, sizeof id, "%064d", ++next);
        r.id = id;
        r.name = project + "-" + service + "-" + std::to_string(number);
        r.image = "busybox";
        r.cmd = {"sh", "-c", "echo hello from a long command line"};
        r.labels = {{"hako.project", project},
                    {"hako.service", service},
                    {"hako.container-number", std::to_string(number)},
                    {"hako.oneoff", oneoff ? "True" : "False"}};
        REQUIRE(store.create(r).ok());
        container::ContainerState state;
        state.status = status;
        state.exit_code = 3;
        state.finished_at = "2026-01-01T00:00:00.000000000Z";
        REQUIRE(store.write_state(r.id, state).ok());
    }
    std::vector<std::string> names(const ProjectTarget& target, const Selection& selection) {
        auto selected = select_containers(store, target, selection);
        REQUIRE(selected.ok());
        std::vector<std::string> out;
        for (const auto& c : *selected) out.push_back(c.record.name);
        return out;
    }
};

}  // namespace

TEST_CASE("select: a project's containers by label, ordered by service and number, one-offs left out") {
    Store s;
    s.add("p", "web", 2);
    s.add("p", "web", 1);
    s.add("p", "db", 1);
    s.add("other", "web", 1);
    s.add("p", "web", 3, true);
    ProjectTarget target{"p", std::nullopt};
    CHECK(s.names(target, {}) == std::vector<std::string>{"p-db-1", "p-web-1", "p-web-2"});
    Selection with_oneoff;
    with_oneoff.include_oneoff = true;
    CHECK(s.names(target, with_oneoff) == std::vector<std::string>{"p-db-1", "p-web-1", "p-web-2", "p-web-3"});
    Selection web;
    web.services = {"web"};
    web.index = 2;
    CHECK(s.names(target, web) == std::vector<std::string>{"p-web-2"});
}

TEST_CASE("select: --index naming no container and running-only selection") {
    Store s;
    s.add("p", "web", 1);
    ProjectTarget target{"p", std::nullopt};
    Selection index;
    index.services = {"web"};
    index.index = 4;
    auto missing = select_containers(s.store, target, index);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "service \"web\" is not running container #4");
    Selection running;
    running.include_stopped = false;
    CHECK(s.names(target, running).empty());
    Selection unknown;
    unknown.services = {"nope"};
    auto none = select_containers(s.store, target, unknown);
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message == "no such service: nope");
}

TEST_CASE("select: with a loaded project, an unknown service is an error") {
    Store s;
    ProjectTarget target{"p", project::Project{}};
    target.project->model = {{"services", {{"web", project::Json::object()}}}};
    Selection selection;
    selection.services = {"nope"};
    auto result = select_containers(s.store, target, selection);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "no such service: nope");
    CHECK(target.knows_service("web"));
}

TEST_CASE("ps format: docker's durations, status, command and ports") {
    CHECK(human_duration(0) == "Less than a second");
    CHECK(human_duration(1) == "1 second");
    CHECK(human_duration(59) == "59 seconds");
    CHECK(human_duration(90) == "About a minute");
    CHECK(human_duration(600) == "10 minutes");
    CHECK(human_duration(3600) == "About an hour");
    CHECK(human_duration(5 * 3600) == "5 hours");
    CHECK(human_duration(3 * 86400) == "3 days");
    CHECK(epoch_seconds("1970-01-01T00:01:00.5Z") == 60);
    CHECK(epoch_seconds("0001-01-01T00:00:00Z") == 0);

    Store s;
    s.add("p", "web", 1);
    auto selected = select_containers(s.store, ProjectTarget{"p", std::nullopt}, {});
    REQUIRE(selected.ok());
    ServiceContainer c = selected->front();
    CHECK(c.short_name("p") == "web-1");
    int64_t finished = epoch_seconds(c.state.finished_at);
    CHECK(status_text(c, false, finished + 180) == "Exited (3) 3 minutes ago");
    c.state.status = "running";
    c.state.started_at = c.state.finished_at;
    c.state.health_status = "healthy";
    CHECK(status_text(c, false, finished + 5) == "Up 5 seconds (healthy)");
    CHECK(status_text(c, true, finished + 5) == "Up 5 seconds (Paused)");
    CHECK(state_name(c, true) == "paused");
    c.state.health_status = "starting";
    CHECK(status_text(c, false, finished + 5) == "Up 5 seconds (health: starting)");
    CHECK(command_text(c.record, false) == "\"sh -c echo hello fr…\"");
    CHECK(command_text(c.record, true) == "\"sh -c echo hello from a long command line\"");

    CHECK(ports_text({{"0.0.0.0", 80, 8080, "tcp"}, {"", 443, 0, "tcp"}, {"::", 53, 5353, "udp"}}) ==
          "0.0.0.0:8080->80/tcp, 443/tcp, [::]:5353->53/udp");
    c.record.networking = {{"ports", {{{"target", 80}, {"published", "8080"}, {"host_ip", ""}, {"protocol", "tcp"}}}},
                           {"expose", {"9000/udp"}}};
    auto publishers = publishers_of(s.dir.path().string(), c);
    REQUIRE(publishers.size() == 2);
    CHECK(publishers[0].target_port == 80);
    CHECK(publishers[0].published_port == 8080);
    CHECK(publishers[0].url == "0.0.0.0");
    CHECK(publishers[1].target_port == 9000);
    CHECK(publishers[1].protocol == "udp");
    CHECK(publishers[1].published_port == 0);

    PsRow row{&c, "p", false, publishers};
    auto json = ps_json(row, finished + 5, false);
    CHECK(json["ID"] == c.record.id);
    CHECK(json["Name"] == "p-web-1");
    CHECK(json["Service"] == "web");
    CHECK(json["Project"] == "p");
    CHECK(json["State"] == "running");
    CHECK(json["Health"] == "starting");
    CHECK(json["ExitCode"] == 3);
    CHECK(json["Publishers"][0] ==
          nlohmann::ordered_json({{"URL", "0.0.0.0"}, {"TargetPort", 80}, {"PublishedPort", 8080}, {"Protocol", "tcp"}}));
    CHECK(json["Labels"] == "hako.container-number=1,hako.oneoff=False,hako.project=p,hako.service=web");
}
