// This file implements .dockerignore: patterns as Go's filepath.Match with `**`,
// `!` exceptions, and the last matching pattern deciding, as moby/patternmatcher.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::build {

class IgnoreMatcher {
public:
    // Parses the file's text: one pattern a line, "#" comments, blank lines skipped,
    // patterns cleaned (leading "/" and "./" dropped, "a//b" → "a/b").
    static IgnoreMatcher parse(std::string_view text);
    // Reads CONTEXT/DOCKERFILE.dockerignore when it exists, else CONTEXT/.dockerignore;
    // none is an empty matcher.
    static Result<IgnoreMatcher> load(const std::filesystem::path& context, const std::filesystem::path& dockerfile);

    // Whether `path` (relative to the context, "/"-separated) is excluded. A folder's
    // pattern also excludes what it holds.
    bool excluded(std::string_view path) const;
    // Whether some "!" pattern could re-include something below the excluded folder
    // `dir` (the walk must then descend into it).
    bool may_include_below(std::string_view dir) const;
    bool empty() const { return patterns_.empty(); }
    // The patterns as cleaned, for the cache key.
    std::string fingerprint() const;

private:
    struct Pattern {
        std::string text;
        bool exclusion = false;  // "!pattern"
        std::vector<std::string> parts;
    };
    std::vector<Pattern> patterns_;
};

}  // namespace hako::build
