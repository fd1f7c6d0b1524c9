// This file implements the loading of one compose file as the loader and
// its helpers (include, extends) need it: read (or stdin), decode, check
// against the schema.
#pragma once

#include <string>
#include <vector>

#include "src/project/project.h"
#include "src/project/yaml_document.h"

namespace hako::project {

// Reads `file` (an absolute path, or "-" for options.read_stdin), decodes it
// with `parse` and checks every document with validate_schema. Every problem
// goes into `diagnostics`. The documents come back even when the schema check
// found errors, so the caller can go on with the next file and stop once; an
// Error comes back only when the file could not be read or decoded (and that
// error is in `diagnostics` too).
Result<std::vector<Document>> load_compose_file(const std::string& file, const ParseOptions& parse,
                                                const LoadOptions& options, Diagnostics& diagnostics);

}  // namespace hako::project
