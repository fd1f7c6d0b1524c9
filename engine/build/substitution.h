// This file implements Dockerfile variable substitution as BuildKit's shell lexer
// does it: $v, ${v}, ${v:-w} ${v-w} ${v:+w} ${v+w} ${v:?m} ${v?m}, ${v#p} ${v##p}
// ${v%p} ${v%%p}, ${v/p/r} ${v//p/r}, with quote removal and the escape character.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "engine/sys/error.h"

namespace hako::build {

using Environment = std::map<std::string, std::string>;

// Expands one word (quotes and escapes removed). `used` collects the names of the
// variables the word refers to, set or not (the build cache keys on them).
// An unclosed ${, a bad modifier or ${v:?msg} with v unset is an error.
Result<std::string> expand_word(std::string_view word, const Environment& env, char escape = '\\',
                                std::set<std::string>* used = nullptr);

// The names of the variables `text` refers to, without expanding it (RUN's shell
// text: the cache keys on the build ARGs it may see).
std::set<std::string> referenced_variables(std::string_view text);

// Shell-style glob match (fnmatch) of `pattern` against the whole of `text`.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace hako::build
