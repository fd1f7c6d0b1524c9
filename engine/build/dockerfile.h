// This file implements the Dockerfile parser: parser directives (# syntax=,
// # escape=), line continuations with comments inside, heredocs, instruction flags,
// the exec/shell forms, and the split into stages. Errors name the Dockerfile line.
#pragma once

#include <memory>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::build {

struct Flag {
    std::string name;   // without the leading "--"
    std::string value;  // "" for a flag given without "=" (e.g. --link)
    bool has_value = false;
};

struct Heredoc {
    std::string name;     // the delimiter word
    std::string content;  // the lines between, each ending with "\n"
    bool expand = true;   // false when the delimiter was quoted ("EOF" or 'EOF')
    bool strip_tabs = false;  // <<-EOF
};

struct Instruction {
    std::string keyword;  // upper case: RUN, COPY, …
    int line = 0;         // first line, 1-based
    std::string text;     // the instruction's arguments as written, continuations joined (flags included)
    std::vector<Flag> flags;
    std::string args;       // the arguments after the flags, trimmed
    bool exec_form = false;  // args is a JSON array of strings (in `words`)
    // Exec form: the array. Otherwise args split at unquoted whitespace, quotes and
    // escapes kept (substitution removes them).
    std::vector<std::string> words;
    std::vector<Heredoc> heredocs;
    std::shared_ptr<Instruction> onbuild;  // ONBUILD's trigger

    const Flag* flag(std::string_view name) const;
    // All values of a repeatable flag (--mount, --exclude).
    std::vector<std::string> flag_values(std::string_view name) const;
    // "RUN apt-get update" with the keyword upper case, as history shows it.
    std::string source() const { return keyword + " " + text; }
};

struct Dockerfile {
    std::map<std::string, std::string> directives;  // lower-case keys: syntax, escape, check
    char escape = '\\';
    std::vector<Instruction> instructions;
};

// Parses a Dockerfile. `name` prefixes errors ("Dockerfile:12: unknown instruction:
// FOO"); every error in the file is reported, one per line, in one Error.
Result<Dockerfile> parse_dockerfile(std::string_view text, std::string_view name = "Dockerfile");

struct Stage {
    int index = 0;
    std::string name;      // "AS name", lower case; "" when unnamed
    std::string base;      // FROM's image (before substitution)
    std::string platform;  // --platform (before substitution)
    int line = 0;
    Instruction from;
    std::vector<Instruction> instructions;  // after FROM
};

struct StagePlan {
    std::vector<Instruction> global_args;  // ARGs before the first FROM
    std::vector<Stage> stages;
};

// Splits the instructions into stages: ARG before the first FROM is global, anything
// else before it is an error; stage names are unique.
Result<StagePlan> split_stages(const Dockerfile& dockerfile, std::string_view name = "Dockerfile");

// The JSON array of strings `text`, or nullopt when it is not one (shell form).
std::optional<std::vector<std::string>> parse_exec_form(std::string_view text);

}  // namespace hako::build
