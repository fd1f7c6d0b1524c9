// This file implements the Compose multi-file merge: a later document is laid
// over an earlier one (mappings merge, sequences append, scalars are replaced,
// with the per-field rules docker compose applies), and the marks of every
// value travel along so errors still point at the file that wrote it.
#pragma once

#include <string>
#include <string_view>

#include "src/project/project.h"

namespace hako::project {

// Lays `overlay` over `base`, in place. Rules (compose-go's override package):
// - mappings merge recursively, sequences append, scalars are replaced, and a
//   null in the overlay keeps the base value;
// - `command`, `entrypoint`, `healthcheck.test` are replaced;
// - `environment`, `labels`, `annotations`, `extra_hosts`, `sysctls`,
//   `build.args`, `build.labels`, `deploy.labels` and resource `labels` merge as
//   mappings whichever form (list of "K=V" or map) each side used;
// - `depends_on` and service `networks` lists become maps before merging;
// - `ulimits.*` entries and `logging` with a different driver are replaced;
// - `ports` stay unique by (host_ip, published, target, protocol) compared in a
//   normalised form, `volumes`/`devices`/`secrets`/`configs` by target, and
//   `cap_add`, `dns`, `profiles`, `expose`, `env_file`, … by value; a later
//   entry takes the place of the earlier one it clashes with;
// - a value tagged `!reset` in the overlay removes the base value, `!override`
//   replaces it instead of merging.
void merge_documents(Document& base, Document&& overlay);

// Removes every value tagged `!reset` from a document that is not laid over
// another one (the first file): `!reset` means "absent" there.
void drop_reset_values(Document& document);

// The identity of a `ports` entry, short or long syntax:
// "host_ip|published|target|protocol" ("8080:80" and {target: 80,
// published: "8080"} give the same key).
std::string port_key(const Json& port);

// The container path a `volumes` or `devices` entry mounts at, short or long.
std::string mount_target(const Json& entry);

// The target of a `secrets`/`configs` entry: its `target`, else
// `default_dir/source` ("/run/secrets" for secrets, "" for configs).
std::string file_mount_target(const Json& entry, std::string_view default_dir);

}  // namespace hako::project
