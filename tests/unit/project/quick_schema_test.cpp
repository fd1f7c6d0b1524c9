// Tests for QuickSchema (src/project/quick_schema.cpp): it compiles the
// embedded schema, and its verdict is valijson's on every test project and on
// every one-value mutation of them (a wrong type, a duplicate, an unknown key).
#include <catch2/catch.hpp>

#include <functional>

#include "src/project/quick_schema.h"
#include "src/project/schema.h"
#include "src/project/yaml_document.h"
#include "tests/unit/project/test_yaml_files.h"

using namespace hako::project;
using Json = nlohmann::json;

namespace {

std::vector<Json> test_documents() {
    std::vector<Json> out;
    for (const auto& [path, text] : testing::test_yaml_files()) {
        Diagnostics diagnostics;
        auto documents = parse_documents(text, path, ParseOptions{}, diagnostics);
        if (!documents.ok()) continue;
        for (auto& document : documents.value()) out.push_back(std::move(document.value));
    }
    return out;
}

void check_agrees(const Json& value) {
    auto verdicts = schema_verdicts(value);
    REQUIRE(verdicts.quick_available);
    INFO(value.dump());
    CHECK(verdicts.quick == verdicts.valijson);
}

// Calls mutate(place) for every value inside `value` (the root excluded).
void each_place(Json& value, const std::function<void(Json&)>& mutate) {
    if (value.is_object()) {
        for (auto& [key, child] : value.items()) {
            mutate(child);
            each_place(child, mutate);
        }
    } else if (value.is_array()) {
        for (auto& child : value) {
            mutate(child);
            each_place(child, mutate);
        }
    }
}

}  // namespace

TEST_CASE("quick schema: the embedded schema compiles") {
    auto verdicts = schema_verdicts(Json::object());
    CHECK(verdicts.quick_available);
    CHECK(verdicts.quick);
    CHECK(verdicts.valijson);
}

TEST_CASE("quick schema: its verdict is valijson's on every test project and every one-value change of it") {
    auto documents = test_documents();
    REQUIRE(documents.size() > 20);
    size_t checked = 0, invalid = 0;
    const Json replacements[] = {nullptr, Json(7), Json(-2000), Json(1.5), Json("x y"), Json(true),
                                 Json::array(), Json::object(), Json::array({1, 1}), Json::object({{"bogus", 1}})};
    for (Json& document : documents) {
        check_agrees(document);
        size_t round = 0;
        each_place(document, [&](Json& place) {
            // One replacement per place, chosen in turn, keeps the test fast.
            Json saved = place;
            place = replacements[round++ % std::size(replacements)];
            auto verdicts = schema_verdicts(document);
            invalid += verdicts.valijson ? 0 : 1;
            ++checked;
            INFO(document.dump());
            CHECK(verdicts.quick == verdicts.valijson);
            place = std::move(saved);
        });
    }
    INFO(checked << " documents, " << invalid << " invalid");
    CHECK(invalid * 4 > checked);  // the mutations must reach the checks
}

TEST_CASE("quick schema: duplicates, enums, bounds and names as valijson judges them") {
    check_agrees(Json::parse(R"({"services": {"a": {"ports": ["80", "80"]}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"ports": [{"target": 80, "x-a": 1}, {"target": 80}]}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"ports": [{"target": 80}, {"target": 80.0}]}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"expose": [80, "80"]}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"oom_score_adj": -1001}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"oom_score_adj": 1000}}})"));
    check_agrees(Json::parse(R"({"services": {"a b": {"image": "x"}}})"));
    check_agrees(Json::parse(R"({"services": {"x-a b": {"image": 1}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"x-anything": {"deep": [1, 2]}, "image": "x"}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"depends_on": {"b": {"condition": "service_ok"}}}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"depends_on": {"b": {"condition": "service_healthy"}}}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"ulimits": {"NOFILE": 1}}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"pull_policy": "sometimes"}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"gpus": "some"}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"build": {"context": ""}}}})"));
    check_agrees(Json::parse(R"({"services": {"a": {"image": 18446744073709551615}}})"));
}

TEST_CASE("quick schema: strict equality compares numbers as doubles and leaves x- keys out") {
    CHECK(strictly_equal(Json(1), Json(1.0)));
    CHECK_FALSE(strictly_equal(Json(1), Json("1")));
    CHECK_FALSE(strictly_equal(Json(nullptr), Json(false)));
    CHECK(strictly_equal(Json::parse(R"({"a": 1, "x-b": 2})"), Json::parse(R"({"a": 1})")));
    CHECK_FALSE(strictly_equal(Json::parse(R"({"a": 1})"), Json::parse(R"({"b": 1})")));
    CHECK_FALSE(strictly_equal(Json::parse("[1, 2]"), Json::parse("[2, 1]")));
}
