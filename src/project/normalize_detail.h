// This file declares what the normalize_*.cpp files share: the walk's context
// (project, diagnostics, path helpers) and the value parsers for the Compose
// scalar syntaxes (durations, byte sizes, shell words, port specs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/project/diagnostics.h"
#include "src/project/normalize.h"
#include "src/project/project.h"

namespace hako::project::detail {

// The walk's state: where errors go and how relative paths are resolved.
struct NormalizeContext {
    Project& project;
    Diagnostics& diagnostics;
    NormalizeOptions options;

    // True when `text` still holds a variable because interpolation was off.
    bool uninterpolated(const std::string& text) const {
        return !options.interpolated && text.find('$') != std::string::npos;
    }

    void error(const std::string& path, std::string message) {
        diagnostics.error_at(project.marks, path, std::move(message));
    }
    // "~", "~/x", "./x", "x" → absolute, lexically cleaned; absolute paths are
    // kept as written (compose does not clean them either).
    std::string absolute_path(const std::string& path) const;
    std::string expand_home(const std::string& path) const;
};

// Go's path.Clean: "a/../b/" → "b", "" → ".", "/x/./y" → "/x/y".
std::string clean_path(std::string_view path);

// A Compose duration ("1m30s", "10s", "500ms", "1.5h", "2d", "0") in
// nanoseconds; nullopt when it is not one.
std::optional<int64_t> parse_duration(std::string_view text);
// Go's time.Duration.String(): 90s → "1m30s", 1h → "1h0m0s", 0 → "0s".
std::string format_duration(int64_t nanoseconds);

// A byte size as docker reads it ("512m", "1g", "1.5GB", "100k", "2048", "-1";
// binary multiples) in bytes; nullopt when it is not one.
std::optional<int64_t> parse_size(std::string_view text);

// Splits a command line into words as a POSIX shell would, without expansion:
// whitespace separates, '…' is literal, "…" and \ escape. nullopt on an
// unterminated quote.
std::optional<std::vector<std::string>> split_shell_words(std::string_view text);

// A scalar as the string compose prints for string-valued maps (environment,
// labels, sysctls): 8080 → "8080", true → "true", 1.5 → "1.5"; null stays null.
Json scalar_to_string(const Json& value);

// A list of "KEY=VALUE" strings or a map → a map whose values are strings; a
// list entry with no '=' gets `bare` (null for environment, "" for labels).
Json list_or_map_to_map(NormalizeContext& context, const Json& value, const std::string& path, const Json& bare);

// Normalises a service's environment and env_file (normalize_environment.cpp).
void normalize_environment(NormalizeContext& context, Json& service, const std::string& path);
// Normalises services.<name>.ports; entries that fail are reported at their mark.
Json normalize_ports(NormalizeContext& context, Json ports, const std::string& path);
// Normalises one services.<name>.volumes entry (short string or long map).
Json normalize_volume(NormalizeContext& context, Json volume, const std::string& path);
// Normalises one service in place (everything but the implicit networks).
void normalize_service(NormalizeContext& context, const std::string& name, Json& service);

}  // namespace hako::project::detail
