// This file implements the top-level `include`: other Compose projects loaded
// with their own project folder and variables, whose services, networks,
// volumes, secrets and configs join the including project.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "src/project/diagnostics.h"
#include "src/project/environment.h"
#include "src/project/project.h"
#include "src/project/yaml_document.h"

namespace hako::project {

struct IncludeOptions {
    // The including project's folder: relative include `path`,
    // `project_directory` and `env_file` are resolved against it.
    std::filesystem::path project_dir;
    // The including project's variables (OS over .env); null = --no-interpolate.
    const Environment* environment = nullptr;
    // Limits for reading included files, as for -f files; its `environment`
    // and `interpolator` are ignored (each included project has its own).
    ParseOptions parse;
    // Optional: run on every included file after parsing (the loader passes
    // validate_schema), so included files are checked like -f files.
    std::function<void(const Document&, Diagnostics&)> check_file;
};

// Applies the `include` list of `doc`, in place, as compose-go does:
//  - an entry is a path string, or {path: string | [strings], project_directory,
//    env_file: string | [strings]}; several paths are merged in order like -f files;
//  - the included project's folder is `project_directory` (relative to the
//    including folder) or else the folder of its first file;
//  - its variables: the including project's variables, over those of its
//    `env_file`s (relative to the including folder; missing is an error) or
//    else of `.env` in its folder when present; its files are interpolated
//    with them (so the loader must not interpolate included values again);
//  - includes nest (each level relative to its own folder); a file that
//    includes itself, directly or not, is an error naming the chain;
//  - `extends` inside the included project is applied there, file by file
//    before its files merge (as for -f files), and its relative paths are made
//    absolute against its folder;
//  - its services, networks, volumes, secrets and configs are added to `doc`
//    with their marks; a name already defined (by `doc` or by an earlier
//    include) with a different definition is an error naming both places;
//    identical definitions are accepted;
//  - the `include` key is removed.
// Errors go into `diagnostics` at the mark of the include entry concerned.
//
// The loader calls it on each -f document right after parsing (before
// apply_extends and the multi-file merge), with the main project's folder and
// environment, then checks diagnostics.has_errors(). Every file loaded this way
// is appended to `loaded_files` (absolute paths) when it is not null.
void apply_include(Document& doc, const IncludeOptions& options, Diagnostics& diagnostics,
                   std::vector<std::string>* loaded_files = nullptr);

}  // namespace hako::project
