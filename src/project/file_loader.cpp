// This file implements the loading of one compose file (see file_loader.h).
#include "src/project/file_loader.h"

#include <memory>

#include "src/project/schema.h"

namespace hako::project {

Result<std::vector<Document>> load_compose_file(const std::string& file, const ParseOptions& parse,
                                                const LoadOptions& options, Diagnostics& diagnostics) {
    size_t errors_before = diagnostics.error_count();
    auto report = [&](Error error) -> Error {
        // Errors the decoder did not place itself (an unreadable file) are
        // placed at the file, so the final report names it.
        if (diagnostics.error_count() == errors_before)
            diagnostics.error(Mark{std::make_shared<const std::string>(file), 0, 0}, "", error.message);
        return error;
    };

    Result<std::vector<Document>> documents = Error("not loaded");
    if (file == "-") {
        if (!options.read_stdin) return report(Error("reading the compose file from stdin is not available here"));
        auto text = options.read_stdin();
        if (!text.ok()) return report(std::move(text).error().context("reading stdin"));
        documents = parse_documents(text.value(), file, parse, diagnostics);
    } else {
        documents = load_documents(file, parse, diagnostics);
    }
    if (!documents.ok()) return report(std::move(documents).error());
    for (const auto& document : documents.value()) validate_schema(document, diagnostics);
    return documents;
}

}  // namespace hako::project
