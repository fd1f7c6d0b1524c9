#include <catch2/catch.hpp>

#include "src/project/profiles.h"

using namespace hako::project;

namespace {

const char* kModel = R"({"services":{
    "web":{"image":"nginx","depends_on":["api"]},
    "api":{"image":"api"},
    "debug":{"image":"busybox","profiles":["debug"],"depends_on":{"api":{"condition":"service_started"}}},
    "migrate":{"image":"api","profiles":["tools","ops"]},
    "seed":{"image":"api","profiles":["tools"]}}})";

std::vector<std::string> names(const Json& model) {
    std::vector<std::string> out;
    for (auto it = model["services"].begin(); it != model["services"].end(); ++it) out.push_back(it.key());
    return out;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("profiles: services without profiles are always on, others only with an active profile") {
    Json model = Json::parse(kModel);
    Diagnostics d;
    auto selection = apply_profiles(model, {}, {}, {}, true, d);
    CHECK_FALSE(d.has_errors());
    CHECK(names(model) == Names{"api", "web"});
    CHECK(selection.disabled == Names{"debug", "migrate", "seed"});
    CHECK(selection.all == Names{"debug", "ops", "tools"});
    CHECK(selection.active.empty());
}

TEST_CASE("profiles: a service is on when one of its profiles is active") {
    Json model = Json::parse(kModel);
    Diagnostics d;
    auto selection = apply_profiles(model, {}, {"ops"}, {}, true, d);
    CHECK(names(model) == Names{"api", "migrate", "web"});
    CHECK(selection.active == Names{"ops"});
}

TEST_CASE("profiles: \"*\" turns every profile on") {
    Json model = Json::parse(kModel);
    Diagnostics d;
    auto selection = apply_profiles(model, {}, {"*"}, {}, true, d);
    CHECK(names(model).size() == 5);
    CHECK(selection.active == Names{"debug", "ops", "tools"});
    CHECK(selection.disabled.empty());
}

TEST_CASE("profiles: naming a service on the command line turns it and its profiles on") {
    Json model = Json::parse(kModel);
    Diagnostics d;
    auto selection = apply_profiles(model, {}, {}, {"seed"}, true, d);
    CHECK_FALSE(d.has_errors());
    CHECK(names(model) == Names{"api", "migrate", "seed", "web"});
    CHECK(selection.active == Names{"tools"});
}

TEST_CASE("profiles: naming a service that does not exist is an error") {
    Json model = Json::parse(kModel);
    Diagnostics d;
    apply_profiles(model, {}, {}, {"nope"}, true, d);
    REQUIRE(d.has_errors());
    CHECK(d.items()[0].message == "no such service: \"nope\"");
}

TEST_CASE("profiles: depending on a service that is off is an error naming both") {
    Json model = Json::parse(R"({"services":{"web":{"image":"x","depends_on":{"db":{"condition":"service_healthy"}}},
                                 "db":{"image":"pg","profiles":["database"]}}})");
    SourceMap marks;
    marks.set("services.web.depends_on.db", Mark{std::make_shared<const std::string>("compose.yaml"), 5, 7});
    Diagnostics d;
    apply_profiles(model, marks, {}, {}, true, d);
    REQUIRE(d.error_count() == 1);
    CHECK(d.items()[0].str() ==
          "compose.yaml:5:7: services.web.depends_on.db: service \"web\" depends on service \"db\", which is "
          "disabled; enable it with one of its profiles: database");
}

TEST_CASE("profiles: a disabled dependency with required: false is dropped with a warning") {
    Json model = Json::parse(R"({"services":{"web":{"image":"x","depends_on":{"db":{"condition":"service_started",
                                 "required":false},"api":{"condition":"service_started"}}},
                                 "api":{"image":"a"},"db":{"image":"pg","profiles":["database"]}}})");
    Diagnostics d;
    apply_profiles(model, {}, {}, {}, true, d);
    CHECK_FALSE(d.has_errors());
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].severity == Severity::Warning);
    CHECK(model["services"]["web"]["depends_on"] == Json::parse(R"({"api":{"condition":"service_started"}})"));
}

TEST_CASE("profiles: links, volumes_from and network_mode to a disabled service are errors too") {
    Json model = Json::parse(R"({"services":{"web":{"image":"x","links":["db:database"],"volumes_from":["db:ro"],
                                 "network_mode":"service:db"},"db":{"image":"pg","profiles":["database"]}}})");
    Diagnostics d;
    apply_profiles(model, {}, {}, {}, true, d);
    CHECK(d.error_count() == 3);
}

TEST_CASE("profiles: without remove_disabled every service stays and nothing is checked") {
    Json model = Json::parse(R"({"services":{"web":{"image":"x","depends_on":["db"]},
                                 "db":{"image":"pg","profiles":["database"]}}})");
    Diagnostics d;
    auto selection = apply_profiles(model, {}, {}, {}, false, d);
    CHECK_FALSE(d.has_errors());
    CHECK(names(model) == Names{"db", "web"});
    CHECK(selection.disabled == Names{"db"});
}

TEST_CASE("profiles: comma lists are split and trimmed") {
    CHECK(split_comma_list(" a, b,,c ") == Names{"a", "b", "c"});
    CHECK(split_comma_list("").empty());
}
