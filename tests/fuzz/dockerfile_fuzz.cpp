// libFuzzer target for the Dockerfile parser: the input is a Dockerfile, parsed,
// split into stages, and every word of every instruction run through variable
// substitution; the first bytes also feed .dockerignore matching. Any crash, hang,
// leak or sanitizer report is a finding; errors are expected and fine.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/build/dockerfile.h"
#include "engine/build/dockerignore.h"
#include "engine/build/substitution.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    static const hako::build::Environment env = {{"A", "apple"}, {"P", "/usr/local/bin"}, {"E", ""}};
    auto parsed = hako::build::parse_dockerfile(text);
    if (parsed.ok()) {
        auto stages = hako::build::split_stages(*parsed);
        (void)stages.ok();
        for (const auto& in : parsed->instructions) {
            for (const auto& word : in.words) {
                auto expanded = hako::build::expand_word(word, env, parsed->escape);
                (void)expanded.ok();
            }
            (void)hako::build::referenced_variables(in.args);
        }
    }
    auto matcher = hako::build::IgnoreMatcher::parse(text.substr(0, 256));
    (void)matcher.excluded(text.size() > 256 ? text.substr(256, 64) : "a/b/c");
    return 0;
}
