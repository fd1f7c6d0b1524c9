// Tests of the fast YAML event source: on everything it accepts its events and
// marks equal yaml-cpp's, it accepts the shapes compose files are made of, and
// it declines what it leaves to yaml-cpp.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/project/test_yaml_files.h"
#include "tests/unit/project/yaml_event_log.h"

using hako::project::testing::fast_events;
using hako::project::testing::yaml_cpp_events;

namespace {

void require_same(const std::string& text) {
    INFO("input:\n" << text);
    auto fast = fast_events(text);
    REQUIRE(fast.has_value());
    auto slow = yaml_cpp_events(text);
    REQUIRE(slow.has_value());
    CHECK(*fast == *slow);
}

}  // namespace

TEST_CASE("fast yaml: the shapes of compose files give yaml-cpp's events") {
    const char* cases[] = {
        "a: b\n",
        "a:\n",
        "a:\nb: c\n",
        "services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n      - 443:443\n",
        "a:\n- x\n- y\nb: z\n",
        "a:\n  - x\n  -\n  - y\n",
        "k:\n  - a\n  - b\n",
        "k:\n  -\n  - b\n",
        "k:\n  - a: 1\n    b: 2\n  - c: 3\n",
        "k:\n  - - a\n    - b\n  - c\n",
        "a: [x, y, \"z\"]\n",
        "a: []\nb: {}\n",
        "a: {x: 1, y: [2, 3]}\n",
        "test: [\"CMD\", \"curl\", \"-f\", \"http://localhost\"]\n",
        "a: 'it''s'\nb: \"q\\\"t\\n\\t\\u00e9\"\n",
        "x-base: &base\n  image: busybox\n  restart: always\nservices:\n  a:\n    <<: *base\n    command: x\n",
        "a: &v 1\nb: *v\n",
        "a: !reset []\nb: !override\n  - x\nc: !reset\n",
        "a: !reset\n",
        "a: null\nb: ~\nc: Null\nnull: x\n",
        "# comment\na: b # trailing\n\n# more\nc: d#not\n",
        "a: |\n  line1\n  line2\nb: x\n",
        "a: |-\n  line1\n\n  line3\n\nb: x\n",
        "a: >\n  folded\n  text\n\n  para\nb: x\n",
        "a: >-\n  one\n  two\n",
        "cmd: |\n  #!/bin/sh\n  echo hi\n",
        "a:\n    deep:\n        deeper: 1\n    back: 2\nz: 3\n",
        "a: b c d\n",
        "a: -1\nb: :x\nc: x:y\nd: http://x/y?z=1\n",
        "'quoted key': 1\n\"dq key\": 2\n",
        "a:\n  b:\n  c: 1\n",
        "a: 1\n\n\n",
        "environment:\n  - A=1\n  - B=${X:-y}\n",
        "a: [1, [2, [3]], {b: c}]\n",
        "a: \"\"\nb: ''\n",
        "k:\n  - &x a\n  - *x\n",
        "a: &m\n  k: v\nb: *m\n",
        "a: !!str 1\n",
        "k:\n  - |\n    x\n  - y\n",
        "a:\n  - b: 1\n    c:\n      - d\n  - e\n",
    };
    for (const char* text : cases) require_same(text);
}

TEST_CASE("fast yaml: declines what it leaves to yaml-cpp") {
    const char* cases[] = {
        "a:\tb\n",                 // tabs
        "---\na: b\n",             // document markers
        "a: b\n---\nc: d\n",       // several documents
        "%YAML 1.2\n---\na: b\n",  // directives
        "? complex\n: key\n",      // complex keys
        "a: b\n  continued\n",     // multi-line plain scalar
        "a: \"two\n  lines\"\n",   // multi-line quoted
        "a: [1,\n  2]\n",          // multi-line flow
        "a: b: c\n",               // an error: yaml-cpp reports it
        "a: *missing\n",           // an error
        "a: |2\n   x\n",           // indentation indicator
        "a: caf\xc3\xa9\n",        // non-ASCII
        "a: b\r\n",                // CR
        "a: [x, ]\n",              // trailing comma
        "- a\n- b\n",              // a root that is not a mapping
        "a: b",                    // no final line break
        "a: |+\n  keep\n\n",       // keep chomping
    };
    for (const char* text : cases) {
        INFO("input:\n" << text);
        CHECK_FALSE(fast_events(text).has_value());
    }
}

TEST_CASE("fast yaml: every YAML file of the test data either is declined or gives yaml-cpp's events") {
    int accepted = 0, files = 0;
    for (const auto& [path, text] : hako::project::testing::test_yaml_files()) {
        ++files;
        auto fast = fast_events(text);
        if (!fast) continue;
        ++accepted;
        INFO(path);
        auto slow = yaml_cpp_events(text);
        REQUIRE(slow.has_value());
        CHECK(*fast == *slow);
    }
    INFO(accepted << " of " << files << " files accepted");
    CHECK(accepted * 2 > files);  // the fast path must carry most real files
}
