// libFuzzer target for the project loader: the input is one compose file read
// from "stdin", run through the whole load (YAML, merge keys, interpolation,
// schema, extends, include, profiles, normalisation). Any crash, hang, leak or
// sanitizer report is a finding; errors are expected and fine. Each decoded
// document is also checked by QuickSchema and valijson: a different verdict
// is a finding too (abort).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "src/project/project.h"
#include "src/project/schema.h"
#include "src/project/yaml_document.h"

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

    hako::project::Diagnostics decoded;
    auto documents = hako::project::parse_documents(text, "-", hako::project::ParseOptions{}, decoded);
    if (documents.ok()) {
        for (const auto& document : documents.value()) {
            auto verdicts = hako::project::schema_verdicts(document.value);
            if (verdicts.quick_available && verdicts.quick != verdicts.valijson) {
                std::fprintf(stderr, "QuickSchema says %d, valijson %d on %s\n", verdicts.quick, verdicts.valijson,
                             document.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
                std::abort();
            }
        }
    }
    return 0;
}
