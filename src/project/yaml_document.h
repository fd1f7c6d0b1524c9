// This file declares the compose-file decoder: YAML text → Documents (JSON
// values with the mark of every node), with anchors, aliases and `<<` merge
// keys applied, !reset/!override recorded, values interpolated, then typed.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"
#include "src/project/diagnostics.h"
#include "src/project/environment.h"
#include "src/project/project.h"

namespace hako::project {

class Interpolator;

struct ParseOptions {
    // nullptr (and no interpolator): values are not interpolated (--no-interpolate).
    const Environment* environment = nullptr;
    // When set, used instead of `environment`: share one Interpolator across a
    // project's files so that each unset variable warns once per project.
    Interpolator* interpolator = nullptr;
    size_t max_bytes = 16u << 20;  // larger files are refused
    // Hostile-input bounds: nesting depth and nodes after alias and merge
    // expansion (checked before anything is expanded, so an alias bomb costs
    // nothing).
    size_t max_depth = 256;
    size_t max_nodes = 1'000'000;
    // Parse the common subset with fast_yaml.h (the same events as yaml-cpp);
    // false: always yaml-cpp (tests compare the two).
    bool fast_path = true;
};

// Decodes one compose file; every `---` document that is not empty becomes a
// Document (an empty file gives none).
//  - YAML through yaml-cpp's event parser, with marks: 1-based line and
//    column; a mapping entry's path gets the KEY's position; the root is "".
//  - anchors and aliases; `<<` merge keys (value: a mapping or a sequence of
//    mappings; explicit keys win, earlier mappings in the sequence win;
//    merges nest);
//  - `!reset` / `!override` recorded in Document::tags, the value kept;
//  - scalar values (never keys) interpolated, then plain scalars typed by the
//    YAML 1.2 core schema (null/~/empty; true/false in three casings; ints,
//    0x and 0o, and 0-prefixed octal as docker compose reads `mode: 0440`;
//    floats with .inf/.nan; yes/no/on/off stay strings); quoted and block
//    scalars and !!str stay strings; !!int/!!float/!!bool/!!null check.
// Every error goes to `diagnostics` as file:line:col: path: message (syntax
// errors, tab indentation, duplicate keys, bad merge values, unknown tags,
// non-scalar keys, binary files, size, depth and node limits, interpolation
// errors), all of them, then an Error listing them is returned. Interpolation
// warnings go to `diagnostics` as well.
Result<std::vector<Document>> parse_documents(std::string_view text, const std::string& file,
                                              const ParseOptions& options, Diagnostics& diagnostics);

// Reads `file` (refusing it beyond options.max_bytes) and parses it;
// Document::file is `file` as given.
Result<std::vector<Document>> load_documents(const std::filesystem::path& file, const ParseOptions& options,
                                             Diagnostics& diagnostics);

}  // namespace hako::project
