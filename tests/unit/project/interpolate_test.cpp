#include <catch2/catch.hpp>

#include "src/project/interpolate.h"

using namespace hako::project;

namespace {

struct Fixture {
    Environment env{{{"NAME", "web"}, {"EMPTY", ""}, {"TAG", "1.2"}, {"INNER", "in"}}};
    Diagnostics diagnostics;
    Interpolator interpolator{env, diagnostics};
    Mark mark{std::make_shared<const std::string>("compose.yaml"), 3, 10};

    std::string run(std::string_view text) {
        auto r = interpolator.interpolate(text, mark, "services.web.image");
        if (!r.ok()) FAIL("unexpected error: " << r.error().message);
        return *r;
    }
    std::string error(std::string_view text) {
        auto r = interpolator.interpolate(text, mark, "services.web.image");
        REQUIRE_FALSE(r.ok());
        return r.error().message;
    }
    size_t warnings() const {
        size_t n = 0;
        for (const auto& d : diagnostics.items()) n += d.severity == Severity::Warning;
        return n;
    }
};

}  // namespace

TEST_CASE("interpolation: $VAR and ${VAR} take the variable's value") {
    Fixture f;
    CHECK(f.run("$NAME") == "web");
    CHECK(f.run("${NAME}") == "web");
    CHECK(f.run("img-${NAME}:${TAG}") == "img-web:1.2");
    CHECK(f.run("$NAME.$TAG") == "web.1.2");
    CHECK(f.run("no variables here") == "no variables here");
}

TEST_CASE("interpolation: a set but empty variable gives the empty string without a warning") {
    Fixture f;
    CHECK(f.run("[${EMPTY}]") == "[]");
    CHECK(f.warnings() == 0);
}

TEST_CASE("interpolation: an unset variable becomes empty and warns once per name") {
    Fixture f;
    CHECK(f.run("a${MISSING}b") == "ab");
    CHECK(f.run("$MISSING") == "");
    CHECK(f.run("${OTHER}") == "");
    REQUIRE(f.warnings() == 2);
    const auto& w = f.diagnostics.items()[0];
    CHECK(w.message == "The \"MISSING\" variable is not set. Defaulting to a blank string.");
    CHECK(w.path == "services.web.image");
    CHECK(w.mark.line == 3);
    CHECK_FALSE(f.diagnostics.has_errors());
}

TEST_CASE("interpolation: ${VAR:-default} uses the default when unset or empty") {
    Fixture f;
    CHECK(f.run("${MISSING:-dflt}") == "dflt");
    CHECK(f.run("${EMPTY:-dflt}") == "dflt");
    CHECK(f.run("${NAME:-dflt}") == "web");
    CHECK(f.run("${MISSING:-}") == "");
    CHECK(f.warnings() == 0);
}

TEST_CASE("interpolation: ${VAR-default} uses the default only when unset") {
    Fixture f;
    CHECK(f.run("${MISSING-dflt}") == "dflt");
    CHECK(f.run("${EMPTY-dflt}") == "");
    CHECK(f.run("${NAME-dflt}") == "web");
}

TEST_CASE("interpolation: ${VAR:?msg} fails with msg when VAR is unset or empty") {
    Fixture f;
    CHECK(f.error("${MISSING:?set it in .env}") == "required variable MISSING is missing a value: set it in .env");
    CHECK(f.error("${EMPTY:?need it}") == "required variable EMPTY is missing a value: need it");
    CHECK(f.error("${MISSING:?}") == "required variable MISSING is missing a value");
    CHECK(f.run("${NAME:?need it}") == "web");
}

TEST_CASE("interpolation: ${VAR?msg} fails only when VAR is unset") {
    Fixture f;
    CHECK(f.error("${MISSING?gone}") == "required variable MISSING is missing a value: gone");
    CHECK(f.run("[${EMPTY?gone}]") == "[]");
}

TEST_CASE("interpolation: ${VAR:+alt} and ${VAR+alt} give the alternative when set") {
    Fixture f;
    CHECK(f.run("${NAME:+yes}") == "yes");
    CHECK(f.run("${EMPTY:+yes}") == "");
    CHECK(f.run("${MISSING:+yes}") == "");
    CHECK(f.run("${EMPTY+yes}") == "yes");
    CHECK(f.run("${MISSING+yes}") == "");
    CHECK(f.warnings() == 0);
}

TEST_CASE("interpolation: defaults and alternatives may nest further substitutions") {
    Fixture f;
    CHECK(f.run("${MISSING:-${NAME}}") == "web");
    CHECK(f.run("${MISSING:-${ALSO_MISSING:-deep-${TAG}}}") == "deep-1.2");
    CHECK(f.run("${NAME:+x-${INNER}-y}") == "x-in-y");
    CHECK(f.run("${MISSING:-a}b}") == "ab}");
    // The branch not taken is not evaluated: no warning for UNUSED.
    CHECK(f.run("${NAME:-${UNUSED}}") == "web");
    CHECK(f.warnings() == 0);
    CHECK(f.interpolator.variables_seen().count("UNUSED") == 1);
}

TEST_CASE("interpolation: $$ is a literal dollar, and a $ before other text is kept") {
    Fixture f;
    CHECK(f.run("$$NAME") == "$NAME");
    CHECK(f.run("$${NAME}") == "${NAME}");
    CHECK(f.run("cost: 5$") == "cost: 5$");
    CHECK(f.run("$1 and $ and $-") == "$1 and $ and $-");
    CHECK(f.run("${MISSING:-$$}") == "$");
}

TEST_CASE("interpolation: invalid syntax is an error naming the text") {
    Fixture f;
    for (std::string bad : {"${", "${VAR", "${ VAR}", "${VAR:x}", "${}", "${VAR:-unclosed", "a ${1X} b", "${VAR x}"}) {
        INFO(bad);
        std::string message = f.error(bad);
        CHECK(message.rfind("invalid interpolation format for \"" + bad + "\"", 0) == 0);
    }
}

TEST_CASE("interpolation: hostile nesting is refused, not a stack overflow") {
    Fixture f;
    std::string text;
    for (int i = 0; i < 10000; ++i) text += "${A:-";
    text += "x";
    for (int i = 0; i < 10000; ++i) text += "}";
    CHECK(f.error(text).find("nested more than") != std::string::npos);
}

TEST_CASE("interpolation: variables_seen lists every name referenced") {
    Fixture f;
    (void)f.run("${NAME} $TAG ${MISSING:-x}");
    const auto& seen = f.interpolator.variables_seen();
    CHECK(seen == std::set<std::string>{"MISSING", "NAME", "TAG"});
}

TEST_CASE("substitute: a custom lookup and unset handler") {
    std::vector<std::string> unset;
    auto r = substitute(
        "${A}-${B}", [](const std::string& n) -> std::optional<std::string> {
            if (n == "A") return std::string("1");
            return std::nullopt;
        },
        [&](const std::string& n) { unset.push_back(n); });
    REQUIRE(r.ok());
    CHECK(*r == "1-");
    CHECK(unset == std::vector<std::string>{"B"});
}

TEST_CASE("list_variables: names, defaults, required and alternatives, nested ones included") {
    auto uses = list_variables("$A ${B:-dflt} ${C?msg} ${D:+alt} ${E:-${F}} $$G ${H}");
    REQUIRE(uses.size() == 7);
    CHECK(uses[0].name == "A");
    CHECK_FALSE(uses[0].default_value);
    CHECK_FALSE(uses[0].required);
    CHECK(uses[1].name == "B");
    CHECK(uses[1].default_value == std::optional<std::string>("dflt"));
    CHECK(uses[2].name == "C");
    CHECK(uses[2].required);
    CHECK(uses[3].name == "D");
    CHECK(uses[3].alternate_value == std::optional<std::string>("alt"));
    CHECK(uses[4].name == "E");
    CHECK(uses[4].default_value == std::optional<std::string>("${F}"));
    CHECK(uses[5].name == "F");
    CHECK(uses[6].name == "H");
}

TEST_CASE("list_variables: stops quietly at invalid syntax") {
    auto uses = list_variables("$A ${ B} $C");
    REQUIRE(uses.size() == 1);
    CHECK(uses[0].name == "A");
}
