// This file implements hako's self-description: the hidden `__docs` verb, the
// walk of the CLI11 tree into a CommandDoc, and the Markdown, man page and JSON
// renderers (the shell completions are in cli_completion.cpp).
#include "src/cli/cli_docs.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "src/cli/app.h"

namespace hako::cli {

namespace docs {

namespace {

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

// "{never,always,auto}" (CLI11's IsMember description) → its members.
std::vector<std::string> parse_choice_set(const std::string& text) {
    std::vector<std::string> choices;
    std::string inner = text.substr(1, text.size() - 2);
    std::stringstream stream(inner);
    for (std::string item; std::getline(stream, item, ',');) choices.push_back(item);
    return choices;
}

OptionDoc describe_option(const CLI::Option& option) {
    OptionDoc doc;
    for (const auto& name : option.get_snames()) doc.names.push_back("-" + name);
    for (const auto& name : option.get_lnames()) doc.names.push_back("--" + name);
    doc.description = option.get_description();
    doc.default_value = option.get_default_str();
    doc.environment = option.get_envname();
    doc.group = option.get_group();
    doc.required = option.get_required();
    doc.repeatable = option.get_expected_max() == CLI::detail::expected_max_vector_size;
    if (option.get_expected_max() != 0) {  // a flag expects no value
        // The type name, then one ":description" per validator.
        std::string full = option.get_type_name();
        size_t colon = full.find(':');
        doc.value_name = full.substr(0, colon);
        while (colon != std::string::npos) {
            size_t next = full.find(':', colon + 1);
            std::string part = full.substr(colon + 1, next == std::string::npos ? next : next - colon - 1);
            if (part.size() >= 2 && part.front() == '{' && part.back() == '}') doc.choices = parse_choice_set(part);
            colon = next;
        }
        if (doc.value_name.empty()) doc.value_name = "VALUE";
    }
    return doc;
}

ArgumentDoc describe_argument(const CLI::Option& option) {
    ArgumentDoc doc;
    std::string full = option.get_type_name();
    std::string type_name = full.substr(0, full.find(':'));
    doc.name = (type_name.empty() || type_name == "TEXT") ? upper(option.get_name()) : type_name;
    doc.description = option.get_description();
    doc.required = option.get_required();
    doc.repeatable = option.get_expected_max() == CLI::detail::expected_max_vector_size;
    return doc;
}

bool hidden(const CLI::App& app) { return app.get_group().empty() || app.get_disabled(); }

// Adds `app`'s options (and those of its unnamed option groups) to `doc`.
void add_options(const CLI::App& app, CommandDoc& doc) {
    for (const CLI::Option* option : app.get_options()) {
        if (option == app.get_help_ptr() || option == app.get_help_all_ptr() || option == app.get_version_ptr()) continue;
        if (option->get_group().empty()) continue;  // hidden
        if (option->get_lnames().empty() && option->get_snames().empty()) {
            if (option->get_positional()) doc.arguments.push_back(describe_argument(*option));
        } else {
            doc.options.push_back(describe_option(*option));
        }
    }
    for (const CLI::App* group : app.get_subcommands([](const CLI::App* sub) { return sub->get_name().empty(); })) {
        add_options(*group, doc);
    }
}

CommandDoc describe_command(const CLI::App& app, std::vector<std::string> path) {
    CommandDoc doc;
    doc.path = std::move(path);
    doc.aliases = app.get_aliases();
    doc.description = app.get_description();
    doc.takes_command = app.get_prefix_command();
    add_options(app, doc);
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); })) {
        if (hidden(*sub)) continue;
        std::vector<std::string> sub_path = doc.path;
        sub_path.push_back(sub->get_name());
        doc.subcommands.push_back(describe_command(*sub, std::move(sub_path)));
    }
    std::sort(doc.subcommands.begin(), doc.subcommands.end(),
              [](const CommandDoc& a, const CommandDoc& b) { return a.path.back() < b.path.back(); });
    return doc;
}

// Calls `visit` on every command below `command`, depth first, in name order.
template <typename Visit>
void for_each_command(const CommandDoc& command, const Visit& visit) {
    for (const CommandDoc& sub : command.subcommands) {
        visit(sub);
        for_each_command(sub, visit);
    }
}

std::string option_names(const OptionDoc& option, const std::string& separator) {
    std::string text;
    for (const auto& name : option.names) text += (text.empty() ? "" : separator) + name;
    return text;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : separator) + item;
    return text;
}

// Facts about hako that no flag definition carries, shared by the reference
// and the man page: the environment, the files, the exit statuses.
struct Entry {
    const char* name;
    const char* text;
};

const Entry environment_entries[] = {
    {"HAKO_ROOT", "Engine state root when --root is not given (default /var/lib/hako)."},
    {"HAKO_LOG", "Log level when --log-level is not given: debug, info, warn or error."},
    {"COMPOSE_FILE", "Compose files when -f is not given, separated by COMPOSE_PATH_SEPARATOR (else ':')."},
    {"COMPOSE_PATH_SEPARATOR", "Separator of the COMPOSE_FILE list."},
    {"COMPOSE_PROJECT_NAME", "Project name when -p is not given."},
    {"COMPOSE_PROFILES", "Profiles to enable when --profile is not given (comma-separated)."},
    {"COMPOSE_ENV_FILES", "Environment files when --env-file is not given (comma-separated)."},
    {"COMPOSE_DISABLE_ENV_FILE", "When true, the project's .env file is not read."},
    {"COMPOSE_PROGRESS", "Progress output when --progress is not given: auto, tty, plain, json, quiet."},
    {"NO_COLOR", "When set, logs and progress are printed without colours."},
    {"DOCKER_CONFIG", "Folder of config.json with registry credentials (default ~/.docker)."},
    {"HAKO_CDI_SPEC_DIRS", "CDI spec folders, ':'-separated (default /etc/cdi and /var/run/cdi)."},
    {"HAKO_ADDRESS_POOLS", "Address pools for new networks, \"BASE/N:SIZE,...\" (replaces the default pools)."},
    {"HAKO_RESOLV_CONF", "resolv.conf the DNS responder forwards from (default /etc/resolv.conf)."},
    {"HAKO_NVIDIA_ROOT", "Root folder under which NVIDIA devices and libraries are discovered (default /)."},
};

const Entry file_entries[] = {
    {"compose.yaml", "The project file hako looks for in the working folder and its parents (also compose.yml, "
                     "docker-compose.yml, docker-compose.yaml), with its compose.override.yaml."},
    {".env", "Variables for interpolation, in the project folder."},
    {"/var/lib/hako", "The default state root: images, layers, containers, networks, volumes, build cache."},
    {"/run/hako", "What dies at reboot for the default root (ROOT/run for another --root)."},
    {"/etc/cdi, /var/run/cdi", "CDI device specs."},
    {"~/.docker/config.json", "Registry credentials written by hako login."},
};

const Entry exit_entries[] = {
    {"0", "Success (also --help, --version and hako with no command)."},
    {"1", "The operation failed, or the project has mistakes (each printed as file:line:col: path: message)."},
    {"2", "Usage error: unknown command or flag, bad or missing value; one line on stderr."},
    {"N", "exec, run, container run and container exec exit with the status of the command they ran "
          "(126 not executable, 127 not found); container run exits 125 when the container could not be run."},
};

// ---- Markdown ----

std::string md_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += "<br>";
        else out += c;
    }
    return out;
}

std::string md_code(const std::string& text) { return "`" + md_cell(text) + "`"; }

std::string md_anchor(const CommandDoc& command) {
    std::string anchor = command.full_name();
    std::replace(anchor.begin(), anchor.end(), ' ', '-');
    return anchor;
}

std::string md_value(const OptionDoc& option) {
    if (option.value_name.empty()) return "";
    std::string text = option.choices.empty() ? md_code(option.value_name) : md_code(join(option.choices, "|"));
    if (option.repeatable) text += " (repeatable)";
    return text;
}

void md_options_table(std::ostream& out, const std::vector<OptionDoc>& options) {
    if (options.empty()) return;
    bool any_environment =
        std::any_of(options.begin(), options.end(), [](const OptionDoc& o) { return !o.environment.empty(); });
    out << "| flag | value | default | description |\n|---|---|---|---|\n";
    for (const OptionDoc& option : options) {
        std::string description = md_cell(option.description);
        if (any_environment && !option.environment.empty()) description += " (env " + md_code(option.environment) + ")";
        if (option.required) description += " Required.";
        out << "| " << md_code(option_names(option, ", ")) << " | " << md_value(option) << " | "
            << (option.default_value.empty() ? "" : md_code(option.default_value)) << " | " << description << " |\n";
    }
    out << '\n';
}

void md_command(std::ostream& out, const CommandDoc& command) {
    out << "### " << command.full_name() << "\n\n";
    if (!command.description.empty()) out << command.description << "\n\n";
    out << "```\n" << command.usage() << "\n```\n\n";
    if (!command.aliases.empty()) {
        out << "Also: ";
        for (size_t i = 0; i < command.aliases.size(); ++i) out << (i ? ", " : "") << md_code(command.aliases[i]);
        out << ".\n\n";
    }
    if (!command.arguments.empty()) {
        out << "| argument | description |\n|---|---|\n";
        for (const ArgumentDoc& argument : command.arguments) {
            std::string name = argument.name + (argument.repeatable ? "..." : "");
            out << "| " << md_code(name) << " | " << md_cell(argument.description)
                << (argument.required ? "" : " (optional)") << " |\n";
        }
        out << '\n';
    }
    // Options grouped as the help groups them ("Options" first).
    std::vector<std::string> groups;
    for (const OptionDoc& option : command.options) {
        if (std::find(groups.begin(), groups.end(), option.group) == groups.end()) groups.push_back(option.group);
    }
    for (const std::string& group : groups) {
        std::vector<OptionDoc> members;
        std::copy_if(command.options.begin(), command.options.end(), std::back_inserter(members),
                     [&](const OptionDoc& o) { return o.group == group; });
        if (groups.size() > 1 || group != "Options") out << "**" << group << "**\n\n";
        md_options_table(out, members);
    }
    if (!command.subcommands.empty()) {
        out << "| command | description |\n|---|---|\n";
        for (const CommandDoc& sub : command.subcommands) {
            out << "| [" << md_code(sub.path.back()) << "](#" << md_anchor(sub) << ") | " << md_cell(sub.description)
                << " |\n";
        }
        out << '\n';
    }
}

void md_entries(std::ostream& out, const char* heading, const Entry* begin, const Entry* end) {
    out << "| " << heading << " | meaning |\n|---|---|\n";
    for (const Entry* entry = begin; entry != end; ++entry) {
        out << "| " << md_code(entry->name) << " | " << md_cell(entry->text) << " |\n";
    }
    out << '\n';
}

// ---- man page (roff) ----

// Escapes text for roff: backslashes, a leading '.' or '\'', and every non-ASCII
// character as \[uXXXX] so that groff -Tascii has nothing to warn about.
std::string roff(const std::string& text, bool minus_signs = false) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-' && minus_signs) {
            out += "\\-";
        } else if (c < 0x80) {
            if ((c == '.' || c == '\'') && (out.empty() || out.back() == '\n')) out += "\\&";
            out += static_cast<char>(c);
        } else {
            int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
            unsigned codepoint = c & (0x3F >> extra);
            for (int k = 0; k < extra && i + 1 < text.size(); ++k) codepoint = (codepoint << 6) | (text[++i] & 0x3F);
            if (codepoint == 0x2026) {
                out += "...";  // groff -Tascii has no glyph for it
            } else if (codepoint == 0x2192) {
                out += "\\(->";
            } else if (codepoint == 0x2014) {
                out += "\\(em";
            } else {
                char buffer[16];
                std::snprintf(buffer, sizeof buffer, "\\[u%04X]", codepoint);
                out += buffer;
            }
        }
    }
    return out;
}

void man_option(std::ostream& out, const OptionDoc& option) {
    out << ".TP\n";
    for (size_t i = 0; i < option.names.size(); ++i) out << (i ? ", " : "") << "\\fB" << roff(option.names[i], true) << "\\fR";
    if (!option.value_name.empty()) {
        std::string value = option.choices.empty() ? option.value_name : join(option.choices, "|");
        out << " \\fI" << roff(value) << "\\fR" << (option.repeatable ? " ..." : "");
    }
    out << '\n' << roff(option.description);
    if (!option.default_value.empty()) out << " (default: " << roff(option.default_value) << ")";
    if (!option.environment.empty()) out << " (env " << roff(option.environment) << ")";
    out << '\n';
}

void man_command(std::ostream& out, const CommandDoc& command) {
    out << ".SS \"" << roff(command.full_name()) << "\"\n";
    out << ".B " << roff(command.usage(), true) << "\n.PP\n";
    if (!command.description.empty()) out << roff(command.description) << '\n';
    if (!command.aliases.empty()) out << ".PP\nAlso: " << roff(join(command.aliases, ", ")) << ".\n";
    for (const ArgumentDoc& argument : command.arguments) {
        out << ".TP\n\\fI" << roff(argument.name) << "\\fR" << (argument.repeatable ? " ..." : "") << '\n'
            << roff(argument.description) << (argument.required ? "" : " (optional)") << '\n';
    }
    for (const OptionDoc& option : command.options) man_option(out, option);
    if (!command.subcommands.empty()) {
        out << ".PP\nCommands: " << roff(join([&] {
            std::vector<std::string> names;
            for (const CommandDoc& sub : command.subcommands) names.push_back(sub.path.back());
            return names;
        }(), ", ")) << ".\n";
    }
}

void man_entries(std::ostream& out, const Entry* begin, const Entry* end) {
    for (const Entry* entry = begin; entry != end; ++entry) {
        out << ".TP\n\\fB" << roff(entry->name, true) << "\\fR\n" << roff(entry->text) << '\n';
    }
}

// ---- JSON ----

nlohmann::json json_command(const CommandDoc& command) {
    nlohmann::json options = nlohmann::json::array();
    for (const OptionDoc& option : command.options) {
        options.push_back({{"names", option.names},
                           {"value", option.value_name},
                           {"choices", option.choices},
                           {"description", option.description},
                           {"default", option.default_value},
                           {"environment", option.environment},
                           {"group", option.group},
                           {"required", option.required},
                           {"repeatable", option.repeatable}});
    }
    nlohmann::json arguments = nlohmann::json::array();
    for (const ArgumentDoc& argument : command.arguments) {
        arguments.push_back({{"name", argument.name},
                             {"description", argument.description},
                             {"required", argument.required},
                             {"repeatable", argument.repeatable}});
    }
    nlohmann::json subcommands = nlohmann::json::array();
    for (const CommandDoc& sub : command.subcommands) subcommands.push_back(json_command(sub));
    return {{"path", command.path},          {"aliases", command.aliases},   {"description", command.description},
            {"usage", command.usage()},      {"options", options},           {"arguments", arguments},
            {"takes_command", command.takes_command}, {"subcommands", subcommands}};
}

}  // namespace

std::string CommandDoc::full_name() const {
    std::string name = "hako";
    for (const auto& word : path) name += " " + word;
    return name;
}

std::string CommandDoc::usage() const {
    std::string text = full_name();
    if (path.empty()) text += " [GLOBAL FLAGS]";
    if (!options.empty()) text += " [OPTIONS]";
    if (!subcommands.empty()) text += " COMMAND";
    for (const ArgumentDoc& argument : arguments) {
        std::string word = argument.name + (argument.repeatable ? "..." : "");
        text += argument.required ? " " + word : " [" + word + "]";
    }
    if (takes_command) text += " [COMMAND [ARG...]]";
    return text;
}

CommandDoc describe(const CLI::App& app) { return describe_command(app, {}); }

std::string render_markdown(const CommandDoc& root) {
    std::ostringstream out;
    out << "# hako command-line reference\n\n"
        << "<!-- Generated from hako's own flag definitions by scripts/gen-docs.sh (hako __docs markdown): "
           "do not edit by hand. -->\n\n"
        << root.description << ". This page lists every command, flag and argument of hako " << HAKO_VERSION
        << "; [cli.md](cli.md) explains how they behave, [compatibility.md](compatibility.md) compares them "
           "with docker compose.\n\n"
        << "```\nhako [GLOBAL FLAGS] COMMAND [FLAGS] [ARGS...]\n```\n\n"
        << "Global flags may be given before or after the command. Every command takes `-h`, `--help`; "
           "`hako --version` prints the version.\n\n";
    out << "## Global flags\n\n";
    md_options_table(out, root.options);
    out << "## Commands\n\n";
    out << "Project and general commands:\n\n";
    for (const CommandDoc& sub : root.subcommands) {
        if (sub.subcommands.empty()) out << "- [`" << sub.path.back() << "`](#" << md_anchor(sub) << "): " << sub.description << '\n';
    }
    out << "\nEngine commands (one noun, then its verbs):\n\n";
    for (const CommandDoc& sub : root.subcommands) {
        if (!sub.subcommands.empty()) out << "- [`" << sub.path.back() << "`](#" << md_anchor(sub) << "): " << sub.description << '\n';
    }
    out << '\n';
    for_each_command(root, [&](const CommandDoc& command) { md_command(out, command); });
    out << "## Environment\n\n";
    md_entries(out, "variable", std::begin(environment_entries), std::end(environment_entries));
    out << "## Files\n\n";
    md_entries(out, "path", std::begin(file_entries), std::end(file_entries));
    out << "## Exit status\n\n";
    md_entries(out, "status", std::begin(exit_entries), std::end(exit_entries));
    return out.str();
}

std::string render_man_page(const CommandDoc& root) {
    std::ostringstream out;
    out << ".\\\" Generated from hako's own flag definitions by scripts/gen-docs.sh: do not edit by hand.\n"
        << ".TH HAKO 1 \"\" \"hako " << HAKO_VERSION << "\" \"User Commands\"\n"
        << ".SH NAME\nhako \\- " << roff(root.description) << "\n"
        << ".SH SYNOPSIS\n.B hako\n[\\fIGLOBAL FLAGS\\fR] \\fICOMMAND\\fR [\\fIFLAGS\\fR] [\\fIARGS\\fR...]\n"
        << ".SH DESCRIPTION\n"
        << "hako runs the stacks described in Compose files on one Linux machine, with no daemon and no Docker: "
           "one program holds the project loader, the orchestrator and a container engine (images, Dockerfile "
           "builds, user bridges with service DNS, published ports, volumes, GPU and device reservations).\n"
        << ".PP\nThe project verbs (up, down, ps, logs, exec, run, ...) take the flags of docker compose; the nouns "
           "(image, container, network, volume, system, runtime) drive the engine directly. Global flags may be "
           "given before or after the command. Every command takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR.\n"
        << ".SH \"GLOBAL OPTIONS\"\n";
    for (const OptionDoc& option : root.options) man_option(out, option);
    out << ".TP\n\\fB\\-\\-version\\fR\nPrint the version and exit.\n";
    out << ".SH COMMANDS\n";
    for_each_command(root, [&](const CommandDoc& command) { man_command(out, command); });
    out << ".SH ENVIRONMENT\n";
    man_entries(out, std::begin(environment_entries), std::end(environment_entries));
    out << ".SH FILES\n";
    man_entries(out, std::begin(file_entries), std::end(file_entries));
    out << ".SH \"EXIT STATUS\"\n";
    man_entries(out, std::begin(exit_entries), std::end(exit_entries));
    out << ".SH \"SEE ALSO\"\n"
        << ".BR docker\\-compose (1),\n.BR runc (8).\n"
        << "The Compose Specification; docs/cli-reference.md, docs/compatibility.md and docs/compose.md in hako's "
           "sources.\n";
    return out.str();
}

std::string render_json(const CommandDoc& root) { return json_command(root).dump(1) + "\n"; }

}  // namespace docs

void add_docs_command(CLI::App& app, Context& ctx) {
    auto format = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("__docs", "Print hako's CLI reference, man page or completions");
    cmd->group("");  // hidden from --help
    cmd->add_option("format", *format, "markdown, man, bash, zsh or json")
        ->required()
        ->check(CLI::IsMember({"markdown", "man", "bash", "zsh", "json"}));
    CLI::App* root = &app;
    cmd->callback([root, format, &ctx] {
        docs::CommandDoc doc = docs::describe(*root);
        if (*format == "markdown") std::cout << docs::render_markdown(doc);
        else if (*format == "man") std::cout << docs::render_man_page(doc);
        else if (*format == "bash") std::cout << docs::render_bash_completion(doc);
        else if (*format == "zsh") std::cout << docs::render_zsh_completion(doc);
        else std::cout << docs::render_json(doc);
        ctx.exit_status = std::cout.good() ? 0 : 1;
    });
}

}  // namespace hako::cli
