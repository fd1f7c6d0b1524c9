#include <catch2/catch.hpp>

#include "src/project/references.h"

using namespace hako::project;

namespace {

std::vector<std::string> messages(const Diagnostics& d) {
    std::vector<std::string> out;
    for (const auto& item : d.items()) out.push_back(item.message);
    return out;
}

}  // namespace

TEST_CASE("references: depends_on, links, volumes_from and network_mode name known services") {
    Json model = Json::parse(R"({"services":{
        "web":{"depends_on":["db","ghost"],"links":["cache:c"],"volumes_from":["store:ro","container:abc"],
               "network_mode":"service:proxy"},
        "db":{},"store":{}}})");
    SourceMap marks;
    marks.set("services.web.depends_on[1]", Mark{std::make_shared<const std::string>("compose.yaml"), 4, 9});
    Diagnostics d;
    check_references(model, marks, {}, d);
    CHECK(messages(d) == std::vector<std::string>{
                             "service \"web\" depends on undefined service \"ghost\"",
                             "service \"web\" refers to undefined service \"cache\" (links)",
                             "service \"web\" refers to undefined service \"proxy\" (network_mode)"});
    CHECK(d.items()[0].str() == "compose.yaml:4:9: services.web.depends_on[1]: " + d.items()[0].message);
}

TEST_CASE("references: services switched off by profiles are left to the profile check") {
    Json model = Json::parse(R"({"services":{"web":{"depends_on":{"db":{"condition":"service_started"}}}}})");
    Diagnostics d;
    check_references(model, {}, {"db"}, d);
    CHECK_FALSE(d.has_errors());
}

TEST_CASE("references: networks, named volumes, secrets and configs must be declared at the top level") {
    Json model = Json::parse(R"({"services":{"web":{
        "networks":{"default":null,"front":{},"back":{}},
        "volumes":["data:/data","./html:/html","/anon","~/x:/x",{"type":"volume","source":"logs","target":"/l"},
                   {"type":"bind","source":"rel","target":"/r"},{"type":"volume","target":"/anon2"},"cache:/cache"],
        "secrets":["token",{"source":"key"}],"configs":["conf"]}},
        "networks":{"front":{}},"volumes":{"cache":{}},"secrets":{"key":{"file":"k"}}})");
    Diagnostics d;
    check_references(model, {}, {}, d);
    CHECK(messages(d) == std::vector<std::string>{
                             "service \"web\" refers to undefined network \"back\"",
                             "service \"web\" refers to undefined volume \"data\"",
                             "service \"web\" refers to undefined volume \"logs\"",
                             "service \"web\" refers to undefined secret \"token\"",
                             "service \"web\" refers to undefined config \"conf\""});
    CHECK(d.items()[1].path == "services.web.volumes[0]");
}

TEST_CASE("references: service_references reads short and long depends_on and required: false") {
    auto refs = service_references(Json::parse(R"({"depends_on":{"a":{"required":false},"b":{}}})"), "services.x");
    REQUIRE(refs.size() == 2);
    CHECK(refs[0].service == "a");
    CHECK_FALSE(refs[0].required);
    CHECK(refs[1].path == "services.x.depends_on.b");
    CHECK(refs[1].required);
}
