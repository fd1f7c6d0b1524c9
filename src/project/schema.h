// This file declares the check of one compose file against the Compose JSON
// Schema (schema/compose.schema.json, embedded in the binary).
#pragma once

#include <thread>

#include "src/project/diagnostics.h"
#include "src/project/project.h"

namespace hako::project {

// Checks document.value against the Compose schema. Every violation becomes
// one error at the mark of its path ("services.web.ports[0]: must be a string
// or a number"); an unknown key is reported at the key itself. Errors are
// added sorted by position. Each file is checked on its own, before merging,
// so partial services (an override without `image`) pass.
void validate_schema(const Document& document, Diagnostics& diagnostics);

// QuickSchema's verdict on `value` beside valijson's (x- keys taken out, as
// validate_schema does), for the tests and the fuzz target that hold them equal.
struct SchemaVerdicts {
    bool quick_available = false;
    bool quick = false;
    bool valijson = false;
};
SchemaVerdicts schema_verdicts(const Json& value);

// Parses the embedded schema on a thread of its own while the caller reads
// and parses its files, so that the first validate_schema finds it ready;
// waits for that thread when it goes.
class SchemaPreparation {
public:
    SchemaPreparation();
    ~SchemaPreparation();
    SchemaPreparation(const SchemaPreparation&) = delete;
    SchemaPreparation& operator=(const SchemaPreparation&) = delete;

private:
    std::thread thread_;
};

}  // namespace hako::project
