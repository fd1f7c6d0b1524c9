// Differential fuzz target: whenever the fast YAML event source accepts an
// input, its events (and marks) must equal yaml-cpp's, and yaml-cpp must not
// have rejected the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/unit/project/yaml_event_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 4096) return 0;
    std::string text(reinterpret_cast<const char*>(data), size);
    auto fast = hako::project::testing::fast_events(text);
    if (!fast) return 0;
    auto slow = hako::project::testing::yaml_cpp_events(text);
    if (!slow || *slow != *fast) {
        std::fprintf(stderr, "fast path differs from yaml-cpp\n--- fast\n%s--- yaml-cpp\n%s", fast->c_str(),
                     slow ? slow->c_str() : "(error)\n");
        std::abort();
    }
    return 0;
}
