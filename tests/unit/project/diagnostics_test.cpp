#include <catch2/catch.hpp>

#include "src/project/diagnostics.h"

using namespace hako::project;

TEST_CASE("diagnostics: an error prints file:line:col: path: message") {
    Diagnostics d;
    Mark m{std::make_shared<const std::string>("compose.yaml"), 12, 7};
    d.error(m, "services.web.ports[0]", "invalid port");
    REQUIRE(d.has_errors());
    CHECK(d.items()[0].str() == "compose.yaml:12:7: services.web.ports[0]: invalid port");
}

TEST_CASE("source map: lookups fall back to the nearest ancestor") {
    SourceMap sm;
    Mark m{std::make_shared<const std::string>("a.yaml"), 3, 5};
    sm.set("services.web", m);
    CHECK(sm.find("services.web.ports[2].target").line == 3);
    CHECK_FALSE(sm.find("volumes.x").known());
}
