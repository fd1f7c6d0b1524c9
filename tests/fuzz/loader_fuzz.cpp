// libFuzzer target for the project loader: the input is one compose file read
// from "stdin", run through the whole load (YAML, merge keys, interpolation,
// schema, extends, include, profiles, normalisation). Any crash, hang, leak or
// sanitizer report is a finding; errors are expected and fine.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "src/project/project.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::filesystem::path dir = [] {
        auto d = std::filesystem::temp_directory_path() / "hako-fuzz-project";
        std::filesystem::create_directories(d);
        return d;
    }();
    std::string text(reinterpret_cast<const char*>(data), size);
    hako::project::LoadOptions options;
    options.files = {"-"};
    options.working_directory = dir;
    options.project_directory = dir;
    options.os_environment = {{"HOME", "/root"}, {"USER", "fuzz"}, {"TAG", "1.0"}};
    options.read_stdin = [&text]() -> hako::Result<std::string> { return text; };
    hako::project::Diagnostics diagnostics;
    auto project = hako::project::load(options, diagnostics);
    (void)project.ok();
    return 0;
}
