// This file implements image references as Docker writes them, name[:tag][@digest],
// and their normalisation: "busybox" is "docker.io/library/busybox:latest".
#pragma once

#include <string>
#include <string_view>

#include "engine/sys/error.h"

namespace hako::image {

inline constexpr const char* kDefaultDomain = "docker.io";
inline constexpr const char* kDefaultTag = "latest";

struct Reference {
    std::string domain;  // "docker.io", "localhost:5000", "ghcr.io"
    std::string path;    // "library/busybox"
    std::string tag;     // empty when none was given (see with_default_tag)
    std::string digest;  // "sha256:<hex>" or empty

    // "docker.io/library/busybox"
    std::string name() const { return domain + "/" + path; }
    // The full normalised form: "docker.io/library/busybox:latest[@sha256:…]".
    std::string str() const;
    // The short form Docker shows: "busybox", "user/app", "localhost:5000/app".
    std::string familiar_name() const;
    // familiar_name() + ":" + tag (and "@digest" when set).
    std::string familiar() const;
};

// Parses and normalises `text`; bad names (upper case, bad characters, a tag that is
// too long, a bad digest) are errors naming the reference.
Result<Reference> parse_reference(std::string_view text);
// As parse_reference, then adds the "latest" tag when neither tag nor digest is set.
Result<Reference> parse_reference_with_default_tag(std::string_view text);
// The familiar form of a normalised repository name ("docker.io/library/x" → "x").
std::string familiar_name(std::string_view name);

}  // namespace hako::image
