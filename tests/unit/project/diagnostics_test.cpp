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

namespace {
// services: {web: {ports: [80]}, "a.b": 1}, as the decoder records it.
std::shared_ptr<const MarkTable> sample_table() {
    auto table = std::make_shared<MarkTable>(std::make_shared<const std::string>("c.yaml"));
    table->open_key({}, 1, 1);
    table->open_key("services", 1, 1);
    table->open_key("web", 2, 3);
    table->open_key("ports", 3, 5);
    table->open_index(0, 4, 9);
    table->close();
    table->close();
    table->close();
    table->open_key("a.b", 5, 3);
    table->close();
    table->close();
    table->close();
    return table;
}
}  // namespace

TEST_CASE("source map: a mark table answers exact paths and falls back to ancestors") {
    SourceMap sm;
    sm.set_table(sample_table());
    CHECK(sm.find("services.web.ports[0]").line == 4);
    CHECK(sm.find("services.web.ports[0]").column == 9);
    CHECK(*sm.find("services.web.ports[0]").file == "c.yaml");
    CHECK(sm.find("services.web.ports[1]").line == 3);       // the list
    CHECK(sm.find("services.web.image").line == 2);          // the service
    CHECK(sm.find("services.webx").line == 1);               // not a prefix at a step: the parent
    CHECK(sm.find("services.a.b").line == 5);                // a key with a dot
    CHECK(sm.find("volumes").line == 1);                     // the root
    CHECK(sm.find_exact("services.web.ports[0]").has_value());
    CHECK_FALSE(sm.find_exact("services.web.ports[1]").has_value());
}

TEST_CASE("source map: marks set over a table win at the same depth, the deeper one wins otherwise") {
    SourceMap sm;
    sm.set_table(sample_table());
    Mark set{std::make_shared<const std::string>("o.yaml"), 40, 2};
    sm.set("services.web", set);
    CHECK(sm.find("services.web").line == 40);
    CHECK(sm.find("services.web.image").line == 40);
    CHECK(sm.find("services.web.ports").line == 3);  // the table's deeper mark
    sm.set("services.web.ports[0].target", set);
    CHECK(sm.find("services.web.ports[0].target").line == 40);
    CHECK(sm.find_exact("services.web")->line == 40);
}

TEST_CASE("source map: copy_subtree copies a table's subtree and the marks set over it") {
    SourceMap source;
    source.set_table(sample_table());
    source.set("services.web.ports[0]", Mark{std::make_shared<const std::string>("o.yaml"), 9, 9});
    SourceMap target;
    target.copy_subtree("services.web", "services.api", source);
    CHECK(target.find_exact("services.api")->line == 2);
    CHECK(target.find_exact("services.api.ports")->line == 3);
    CHECK(target.find_exact("services.api.ports[0]")->line == 9);
    CHECK_FALSE(target.find_exact("services.a.b").has_value());
    CHECK_FALSE(target.find_exact("services").has_value());
}
