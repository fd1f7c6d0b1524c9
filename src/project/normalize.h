// This file declares normalize, which rewrites a loaded Compose model from the
// short syntaxes people write into the one long form `docker compose config`
// prints, so every later stage (hash, graph, reconcile) reads one shape.
#pragma once

#include "engine/sys/error.h"
#include "src/project/diagnostics.h"
#include "src/project/project.h"

namespace hako::project {

// Rewrites project.model in place: ports, volumes, environment + env_file,
// depends_on, networks, build, gpus, secrets, configs, ulimits, extra_hosts,
// labels, sysctls, command/entrypoint, healthcheck, sizes, durations; adds the
// implicit `default` network and every top-level resource's `name`. Relative
// and `~` paths are made absolute against project.working_dir and HOME from
// project.environment. Every mistake goes into `diagnostics` at its mark; after
// the whole model is walked, returns diagnostics.to_error() if there were any.
// Normalising a normalised model changes nothing.
// Whether relative paths (build contexts, bind sources, env files…) become
// absolute against the project folder (config --no-path-resolution keeps them).
enum class PathResolution { Absolute, Keep };
struct NormalizeOptions {
    PathResolution paths = PathResolution::Absolute;
    // False after --no-interpolate: values may still hold ${VAR}, so short
    // syntax that holds a variable is kept as written instead of parsed.
    bool interpolated = true;
};
Result<void> normalize(Project& project, Diagnostics& diagnostics, const NormalizeOptions& options = {});

}  // namespace hako::project
