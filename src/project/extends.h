// This file implements `extends`: a service takes another service's definition
// (from the same file or another file, recursively) as its base, merged under
// its own by the Compose merge rules; cycles are reported with the chain.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "src/project/diagnostics.h"
#include "src/project/project.h"

namespace hako::project {

// Reads one compose file (parsed, anchors and merge keys applied, interpolated
// with the project's variables). The loader passes a lambda around
// load_documents(path, parse_options, diagnostics); a file of several YAML
// documents is merged in order.
using FileLoader = std::function<Result<std::vector<Document>>(const std::filesystem::path&)>;

struct ExtendsOptions {
    // Folder against which a relative `extends.file` written in `doc` is
    // resolved: the project folder (as docker compose does for -f files).
    // Inside a file reached through `extends.file`, that file's own folder is used.
    std::filesystem::path base_dir;
    FileLoader load_file;
};

// Resolves `extends` of every service in `doc`, in place, as compose-go does:
//  - `extends: base` or `extends: {service: base, file: other.yaml}`;
//  - the base may itself extend (any depth, across files);
//  - the merge is the multi-file Compose merge (the local service wins,
//    mappings merge, sequences append, command/entrypoint/healthcheck.test are
//    replaced, environment merged by key, ports/volumes/expose/secrets/configs
//    unique); like compose-go v2, nothing of the base is dropped (depends_on,
//    links, volumes_from are inherited too);
//  - a base taken from another file has its relative paths (build context,
//    env_file, label_file, bind sources, secrets/configs files, develop.watch
//    paths, extends.file) made absolute against that file's folder, so they
//    still point where its author meant; the local service's own relative
//    paths are left for the loader's normalisation;
//  - the `extends` key is removed; the marks of inherited values point into
//    the base's file.
// Errors (missing base service, missing or unreadable file, a cycle printed as
// "a -> b -> a" with file names when files differ) go into `diagnostics`, at the
// mark of the `extends` that cannot be resolved; every service is tried, then
// the caller checks diagnostics.has_errors().
//
// The loader calls it on each -f document right after parsing (and
// apply_include), BEFORE the multi-file merge, as compose-go does (it applies
// extends per file, then merges): a service of compose.yaml that extends
// `base` then gets compose.yaml's `base`, and an override file's change to
// `base` does not reach it, exactly as with docker compose. (Calling it once
// on the merged document would let overrides of a base leak into the services
// that extend it, and would let a service extend one from another -f file,
// which docker compose refuses.)
void apply_extends(Document& doc, const ExtendsOptions& options, Diagnostics& diagnostics);

// Makes the relative paths of a compose model absolute against `dir` (the list
// above, plus `include` entries' path/project_directory/env_file). Short volume
// syntax is handled: "./data:/data" becomes "/dir/data:/data", a named volume
// ("data:/data") is left alone; remote build contexts (URLs, git) are left alone.
// Used for bases from other files and for included projects; the loader may use
// it for the main project too.
void make_paths_absolute(Json& model, const std::filesystem::path& dir);

}  // namespace hako::project
