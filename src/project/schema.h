// This file declares the check of one compose file against the Compose JSON
// Schema (schema/compose.schema.json, embedded in the binary).
#pragma once

#include "src/project/diagnostics.h"
#include "src/project/project.h"

namespace hako::project {

// Checks document.value against the Compose schema. Every violation becomes
// one error at the mark of its path ("services.web.ports[0]: must be a string
// or a number"); an unknown key is reported at the key itself. Errors are
// added sorted by position. Each file is checked on its own, before merging,
// so partial services (an override without `image`) pass.
void validate_schema(const Document& document, Diagnostics& diagnostics);

}  // namespace hako::project
