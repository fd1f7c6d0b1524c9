// This file declares hako's self-description: a plain model of the CLI11 tree
// (every verb, noun, flag and argument that is not hidden) and the renderers that
// turn it into the Markdown reference, the man page, shell completions and JSON.
#pragma once

#include <string>
#include <vector>

#include "src/cli/context.h"

namespace hako::cli {

// The hidden `hako __docs markdown|man|bash|zsh|json` verb. Nothing is built
// unless it is chosen: the walk happens in its callback.
void add_docs_command(CLI::App& app, Context& ctx);

namespace docs {

struct OptionDoc {
    std::vector<std::string> names;   // "-d", "--detach" (short names first)
    std::string value_name;           // "" for a flag that takes no value
    std::vector<std::string> choices;  // from an IsMember check, else empty
    std::string description;
    std::string default_value;  // as CLI11 shows it; "" when none is declared
    std::string environment;    // the variable CLI11 reads it from, if any
    std::string group;          // "Options", "Global flags", "Devices", …
    bool required = false;
    bool repeatable = false;
};

struct ArgumentDoc {
    std::string name;  // SERVICE, IMAGE, … (the value name, else the upper-cased name)
    std::string description;
    bool required = false;
    bool repeatable = false;
};

struct CommandDoc {
    std::vector<std::string> path;  // {} for hako itself, {"container", "run"}
    std::vector<std::string> aliases;
    std::string description;
    std::vector<OptionDoc> options;      // -h/--help and --version left out
    std::vector<ArgumentDoc> arguments;  // positionals in order
    bool takes_command = false;          // the words after the arguments are a command (run, exec)
    std::vector<CommandDoc> subcommands;  // sorted by name

    std::string full_name() const;  // "hako container run"
    std::string usage() const;      // "hako container run [OPTIONS] IMAGE [COMMAND [ARG...]]"
};

// Walks `app` (the top-level app: its own options are the global flags).
CommandDoc describe(const CLI::App& app);

std::string render_markdown(const CommandDoc& root);
std::string render_man_page(const CommandDoc& root);
std::string render_bash_completion(const CommandDoc& root);
std::string render_zsh_completion(const CommandDoc& root);
std::string render_json(const CommandDoc& root);

}  // namespace docs
}  // namespace hako::cli
