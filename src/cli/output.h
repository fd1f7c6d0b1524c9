// This file declares how verbs hand results to the user: errors and loader
// warnings on stderr, aligned tables, and output to stdout or an atomically
// written file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"
#include "src/project/diagnostics.h"

namespace hako::cli {

// Logs every warning in `diagnostics` ("hako: warning: file:line:col: path: msg").
void print_warnings(const project::Diagnostics& diagnostics);

// Prints a failed verb's error on stderr, each line prefixed "hako: ", and
// returns the exit status it carries (0 when `result` succeeded).
int report(const Result<void>& result);

// Rows of cells as columns aligned with two spaces, one row per line; the first
// row is usually the header.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

// Writes `text` to stdout, or atomically to `file` when one is given.
Result<void> write_output(const std::optional<std::string>& file, std::string_view text);

}  // namespace hako::cli
