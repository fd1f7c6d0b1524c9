// Tests for src/graph: edges from the model, start/stop order, levels, cycle
// messages and the DOT output.
#include <catch2/catch.hpp>

#include "src/graph/graph.h"

using namespace hako;
using namespace hako::graph;
using project::Json;

namespace {

project::Project make_project(Json services, Json extra = Json::object()) {
    project::Project p;
    p.name = "demo";
    p.model = {{"name", "demo"}, {"services", std::move(services)}};
    for (auto it = extra.begin(); it != extra.end(); ++it) p.model[it.key()] = it.value();
    return p;
}

Json dep(const char* condition, bool required = true) {
    return {{"condition", condition}, {"required", required}};
}

ProjectGraph build_ok(const project::Project& p) {
    auto result = build_graph(p);
    if (!result) FAIL(result.error().message);
    return std::move(result).value();
}

}  // namespace

TEST_CASE("graph: depends_on orders start, levels group what can start together") {
    auto p = make_project({
        {"web", {{"depends_on", {{"api", dep("service_started")}}}}},
        {"api", {{"depends_on", {{"db", dep("service_healthy")}, {"cache", dep("service_started")}}}}},
        {"db", Json::object()},
        {"cache", Json::object()},
        {"worker", {{"depends_on", {{"db", dep("service_healthy")}}}}},
    });
    ProjectGraph g = build_ok(p);
    using Names = std::vector<std::string>;
    REQUIRE(g.levels().size() == 3);
    CHECK(g.levels()[0] == Names{"cache", "db"});
    CHECK(g.levels()[1] == Names{"api", "worker"});
    CHECK(g.levels()[2] == Names{"web"});
    CHECK(g.start_order() == Names{"cache", "db", "api", "worker", "web"});
    CHECK(g.stop_order() == Names{"web", "worker", "api", "db", "cache"});
    CHECK(g.dependencies("api") == Names{"cache", "db"});
    CHECK(g.dependents("db") == Names{"api", "worker"});
    auto edges = g.service_edges("api");
    REQUIRE(edges.size() == 2);
    bool saw_healthy = false;
    for (const auto& e : edges) saw_healthy |= (e.condition == "service_healthy" && e.path == "services.api.depends_on.db");
    CHECK(saw_healthy);
}

TEST_CASE("graph: links, network_mode, volumes_from, ipc and pid order services too") {
    auto p = make_project({
        {"a", {{"links", {"b:alias"}}}},
        {"b", {{"network_mode", "service:c"}}},
        {"c", {{"volumes_from", {"d:ro", "container:outside"}}}},
        {"d", {{"ipc", "service:e"}}},
        {"e", {{"pid", "service:f"}}},
        {"f", Json::object()},
    });
    ProjectGraph g = build_ok(p);
    CHECK(g.start_order() == std::vector<std::string>{"f", "e", "d", "c", "b", "a"});
    CHECK(g.levels().size() == 6);
}

TEST_CASE("graph: short depends_on syntax is read as service_started") {
    auto p = make_project({{"web", {{"depends_on", {"db"}}}}, {"db", Json::object()}});
    ProjectGraph g = build_ok(p);
    CHECK(g.start_order() == std::vector<std::string>{"db", "web"});
    REQUIRE(g.service_edges("web").size() == 1);
    CHECK(g.service_edges("web")[0].condition == "service_started");
}

TEST_CASE("graph: networks and named volumes become vertices; binds do not") {
    auto p = make_project(
        {
            {"web",
             {{"networks", {{"front", nullptr}}},
              {"volumes",
               {{{"type", "volume"}, {"source", "data"}, {"target", "/data"}},
                {{"type", "bind"}, {"source", "/srv"}, {"target", "/srv"}},
                {{"type", "volume"}, {"target", "/anon"}},
                "cache:/cache"}}}},
            {"db", Json::object()},  // no networks: joins "default"
            {"host", {{"network_mode", "host"}}},
        },
        {{"networks", {{"front", Json::object()}, {"unused", Json::object()}}},
         {"volumes", {{"data", Json::object()}}}});
    ProjectGraph g = build_ok(p);
    CHECK(g.find(VertexKind::Network, "front"));
    CHECK(g.find(VertexKind::Network, "unused"));
    CHECK(g.find(VertexKind::Network, "default"));
    CHECK(g.find(VertexKind::Volume, "data"));
    CHECK(g.find(VertexKind::Volume, "cache"));
    CHECK_FALSE(g.find(VertexKind::Volume, "/srv"));
    CHECK(boost::num_vertices(g.graph()) == 3 + 3 + 2);
    auto host = *g.find(VertexKind::Service, "host");
    CHECK(boost::out_degree(host, g.graph()) == 0);
    // Resource use does not order services.
    CHECK(g.levels().size() == 1);
}

TEST_CASE("graph: a cycle is an error naming the cycle and where it was written") {
    auto p = make_project({
        {"a", {{"depends_on", {{"b", dep("service_started")}}}}},
        {"b", {{"depends_on", {{"c", dep("service_started")}}}}},
        {"c", {{"depends_on", {{"a", dep("service_healthy")}}}}},
    });
    p.marks.set("services.c.depends_on.a", project::Mark{std::make_shared<const std::string>("compose.yaml"), 9, 9});
    auto result = build_graph(p);
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "compose.yaml:9:9: services.c.depends_on.a: dependency cycle: a -> b -> c -> a");
    CHECK(result.error().exit_code == ExitCode::Failure);
}

TEST_CASE("graph: a service that depends on itself is a cycle") {
    auto p = make_project({{"a", {{"links", {"a"}}}}});
    auto result = build_graph(p);
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "services.a.links[0]: dependency cycle: a -> a");
}

TEST_CASE("graph: depending on an undefined service is an error unless not required") {
    auto p = make_project({
        {"web", {{"depends_on", {{"ghost", dep("service_started")}, {"maybe", dep("service_started", false)}}},
                 {"links", {"phantom"}}}},
    });
    auto result = build_graph(p);
    REQUIRE_FALSE(result);
    CHECK(result.error().message ==
          "services.web.depends_on.ghost: depends_on: service \"ghost\" is not defined\n"
          "services.web.links[0]: links: service \"phantom\" is not defined");

    p.model["services"]["web"].erase("links");
    p.model["services"]["web"]["depends_on"].erase("ghost");
    auto relaxed = build_graph(p);
    REQUIRE(relaxed);
    CHECK(relaxed->service_edges("web").empty());
}

TEST_CASE("graph: a dependency on a service switched off by profiles says so") {
    auto p = make_project({{"web", {{"depends_on", {{"debug", dep("service_started")}}}}}});
    p.disabled_services = {"debug"};
    auto result = build_graph(p);
    REQUIRE_FALSE(result);
    CHECK(result.error().message ==
          "services.web.depends_on.debug: depends_on: service \"debug\" is not enabled by the active profiles");
}

TEST_CASE("graph: an empty project has no levels") {
    auto p = make_project(Json::object());
    ProjectGraph g = build_ok(p);
    CHECK(g.levels().empty());
    CHECK(g.start_order().empty());
}

TEST_CASE("graph: DOT output shapes vertices by kind and labels edges by condition") {
    auto p = make_project(
        {
            {"web", {{"depends_on", {{"db", dep("service_healthy")}, {"opt", dep("service_started", false)}}},
                     {"links", {"db"}},
                     {"networks", {{"front", nullptr}}}}},
            {"db", {{"networks", {{"front", nullptr}}},
                    {"volumes", {{{"type", "volume"}, {"source", "pgdata"}, {"target", "/var/lib/postgresql"}}}}}},
            {"opt", {{"network_mode", "none"}}},
        },
        {{"networks", {{"front", Json::object()}}}, {"volumes", {{"pgdata", Json::object()}}}});
    std::string dot = to_dot(build_ok(p));
    CHECK(dot.rfind("digraph G {", 0) == 0);
    CHECK(dot.find("rankdir=LR;") != std::string::npos);
    CHECK(dot.find("\"service:web\"[label=\"web\", shape=box];") != std::string::npos);
    CHECK(dot.find("\"network:front\"[label=\"front\", shape=ellipse];") != std::string::npos);
    CHECK(dot.find("\"volume:pgdata\"[label=\"pgdata\", shape=cylinder];") != std::string::npos);
    CHECK(dot.find("\"service:web\"->\"service:db\" [label=\"service_healthy\"];") != std::string::npos);
    CHECK(dot.find("\"service:web\"->\"service:opt\" [label=\"service_started\", style=dotted];") != std::string::npos);
    CHECK(dot.find("\"service:web\"->\"service:db\" [label=\"links\"];") != std::string::npos);
    CHECK(dot.find("\"service:db\"->\"volume:pgdata\" [style=dashed];") != std::string::npos);
    CHECK(dot.find("\"service:db\"->\"network:front\" [style=dashed];") != std::string::npos);
}
