// This file implements `--change` instructions of `hako image import` (and commit):
// Dockerfile-like lines (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, VOLUME,
// STOPSIGNAL, ONBUILD) applied to an image's container defaults.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/image/oci.h"
#include "engine/sys/error.h"

namespace hako::image {

// Applies one instruction, e.g. `CMD ["sh"]`, `ENV A=1 B="x y"`, `EXPOSE 80 53/udp`.
// CMD and ENTRYPOINT in shell form become ["/bin/sh", "-c", "…"]. An unknown or
// malformed instruction is an error that quotes it.
Result<void> apply_change(ContainerDefaults& config, std::string_view instruction);

// Splits `text` into words as a Dockerfile does for ENV and LABEL: whitespace
// separates, '…' and "…" quote, a backslash escapes the next character.
Result<std::vector<std::string>> split_words(std::string_view text);

}  // namespace hako::image
