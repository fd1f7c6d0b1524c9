// This file implements the bash and zsh completion scripts that `hako __docs`
// prints from the CommandDoc model: verbs, nouns and their verbs, flags per
// verb, flag values, and names (services, containers, images, networks,
// volumes) asked from hako itself at completion time.
#include <algorithm>
#include <sstream>

#include "src/cli/cli_docs.h"

namespace hako::cli::docs {

namespace {

// What a value or argument names, by its value name: "service", "container",
// "image", "network", "volume", "file", "dir", or "" (nothing to offer).
std::string value_kind(const std::string& name) {
    if (name == "SRC" || name == "DEST") return "file";  // cp: a local path or SERVICE:PATH
    if (name == "CONTEXT") return "dir";
    if (name == "SERVICE" || name == "SERVICES") return "service";
    if (name == "CONTAINER" || name == "CONTAINERS") return "container";
    if (name == "IMAGE" || name == "IMAGES") return "image";
    if (name == "NETWORK" || name == "NETWORKS") return "network";
    if (name == "VOLUME" || name == "VOLUMES") return "volume";
    if (name == "FILE" || name == "PATH") return "file";
    if (name == "DIR") return "dir";
    return "";
}

// An argument's kind, where its name alone does not say (volume rm NAME, image tag SOURCE).
std::string argument_kind(const CommandDoc& command, const ArgumentDoc& argument) {
    const std::vector<std::string>& path = command.path;
    if (path.size() == 2 && path[0] == "volume" && path[1] != "create" && argument.name == "NAME") return "volume";
    if (path.size() == 2 && path[0] == "image" && path[1] == "tag" && argument.name == "SOURCE") return "image";
    return value_kind(argument.name);
}

template <typename Visit>
void for_each_command(const CommandDoc& command, const Visit& visit) {
    visit(command);
    for (const CommandDoc& sub : command.subcommands) for_each_command(sub, visit);
}

std::string key(const CommandDoc& command) { return command.full_name(); }

// ---- bash ----

// The completion of an option's value: its choices, or "@kind".
std::string bash_value_spec(const OptionDoc& option) {
    if (!option.choices.empty()) {
        std::string words;
        for (const auto& choice : option.choices) words += (words.empty() ? "" : " ") + choice;
        return words;
    }
    std::string kind = value_kind(option.value_name);
    return kind.empty() ? "@none" : "@" + kind;
}

const char* bash_functions = R"BASH(
# _hako_names KIND: the names hako knows of that kind, one per line.
_hako_names() {
  local hako="${COMP_WORDS[0]}"
  case "$1" in
    service) "$hako" "${_hako_global_words[@]}" config --services 2>/dev/null ;;
    container) "$hako" "${_hako_global_words[@]}" container ls -a --format '{{.Names}}' 2>/dev/null ;;
    image) "$hako" "${_hako_global_words[@]}" image ls 2>/dev/null | awk 'NR > 1 && $1 != "<none>" { print $1 ":" $2 }' ;;
    network) "$hako" "${_hako_global_words[@]}" network ls 2>/dev/null | awk 'NR > 1 { print $2 }' ;;
    volume) "$hako" "${_hako_global_words[@]}" volume ls -q 2>/dev/null ;;
  esac
}

# _hako_complete_value SPEC CUR [PREFIX]: COMPREPLY from a word list or "@kind".
_hako_complete_value() {
  local spec="$1" cur="$2" prefix="${3:-}" IFS=$'\n'
  case "$spec" in
    @file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    @dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    @none | "") COMPREPLY=() ;;
    @*) COMPREPLY=($(compgen -W "$(_hako_names "${spec#@}")" -- "$cur")) ;;
    *) IFS=$' \t\n'; COMPREPLY=($(compgen -W "$spec" -- "$cur")) ;;
  esac
  if [[ -n $prefix ]]; then COMPREPLY=("${COMPREPLY[@]/#/$prefix}"); fi
}

_hako() {
  local cur="${COMP_WORDS[COMP_CWORD]}" path="hako" word flag="" expect="" i nargs=0
  local -a _hako_global_words=()
  # Walk the words before the cursor: flags (and their values), the command path, arguments.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    if [[ -n $expect ]]; then
      [[ $word == "=" ]] && continue  # --flag=value is split at '=' by COMP_WORDBREAKS
      [[ $expect == global ]] && _hako_global_words+=("$word")
      expect=""
      continue
    fi
    case "$word" in
      -*)
        flag="$word"
        if [[ $path != hako && ${_hako_valued[$path]} == *" $word "* ]]; then
          expect=local
        elif [[ $path != hako && " ${_hako_flags[$path]} " == *" $word "* ]]; then
          :  # the verb's own flag shadows a global one of the same name (logs -f)
        elif [[ ${_hako_valued[hako]} == *" $word "* ]]; then
          expect=global
          _hako_global_words+=("$word")
        fi
        ;;
      *)
        if ((nargs == 0)) && [[ " ${_hako_subcommands[$path]} " == *" $word "* ]]; then
          path+=" ${_hako_canonical[$path $word]:-$word}"
        else
          nargs=$((nargs + 1))
        fi
        ;;
    esac
  done
  COMPREPLY=()
  if [[ -n $expect ]]; then  # the cursor is on a flag's value
    local spec="${_hako_values[$path $flag]-${_hako_values[hako $flag]-@none}}" prefix=""
    if [[ $cur == "=" ]]; then cur="" prefix="="; fi
    _hako_complete_value "$spec" "$cur" "$prefix"
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${_hako_flags[$path]} ${_hako_flags[hako]} --help" -- "$cur"))
    return 0
  fi
  if ((nargs == 0)) && [[ -n ${_hako_subcommands[$path]} ]]; then
    COMPREPLY=($(compgen -W "${_hako_subcommands[$path]}" -- "$cur"))
    return 0
  fi
  local -a kinds=(${_hako_args[$path]})
  local kind="" count=${#kinds[@]}
  if ((nargs < count)); then
    kind="${kinds[nargs]}"
  elif ((count > 0)) && [[ ${kinds[count - 1]} == *... ]]; then
    kind="${kinds[count - 1]}"
  fi
  _hako_complete_value "${kind%...}" "$cur"
  return 0
}

complete -o bashdefault -o default -F _hako hako
)BASH";

std::string render_bash(const CommandDoc& root) {
    std::ostringstream subcommands, canonical, flags, valued, values, arguments;
    for_each_command(root, [&](const CommandDoc& command) {
        if (!command.subcommands.empty()) {
            std::string names;
            for (const CommandDoc& sub : command.subcommands) {
                names += (names.empty() ? "" : " ") + sub.path.back();
                for (const auto& alias : sub.aliases) {
                    names += " " + alias;
                    canonical << "  [\"" << key(command) << " " << alias << "\"]=\"" << sub.path.back() << "\"\n";
                }
            }
            subcommands << "  [\"" << key(command) << "\"]=\"" << names << "\"\n";
        }
        std::string flag_names, valued_names;
        for (const OptionDoc& option : command.options) {
            for (const auto& name : option.names) {
                flag_names += (flag_names.empty() ? "" : " ") + name;
                if (option.value_name.empty()) continue;
                valued_names += " " + name;
                values << "  [\"" << key(command) << " " << name << "\"]=\"" << bash_value_spec(option) << "\"\n";
            }
        }
        if (!flag_names.empty()) flags << "  [\"" << key(command) << "\"]=\"" << flag_names << "\"\n";
        if (!valued_names.empty()) valued << "  [\"" << key(command) << "\"]=\"" << valued_names << " \"\n";
        if (!command.arguments.empty()) {
            std::string kinds;
            for (const ArgumentDoc& argument : command.arguments) {
                std::string kind = argument_kind(command, argument);
                kinds += (kinds.empty() ? "" : " ") + (kind.empty() ? "@none" : "@" + kind) +
                         (argument.repeatable ? "..." : "");
            }
            arguments << "  [\"" << key(command) << "\"]=\"" << kinds << "\"\n";
        }
    });
    std::ostringstream out;
    out << "# bash completion for hako. Generated from hako's own flag definitions by\n"
        << "# scripts/gen-docs.sh (hako __docs bash): do not edit by hand.\n"
        << "# Install: copy to /usr/share/bash-completion/completions/hako, or source it.\n\n"
        << "# Each command (\"hako\", \"hako container\", …) → its subcommands and aliases.\n"
        << "declare -gA _hako_subcommands=(\n" << subcommands.str() << ")\n"
        << "# \"COMMAND ALIAS\" → the subcommand the alias stands for.\n"
        << "declare -gA _hako_canonical=(\n" << canonical.str() << ")\n"
        << "# Each command → its flags (those of \"hako\" are global: they work everywhere).\n"
        << "declare -gA _hako_flags=(\n" << flags.str() << ")\n"
        << "# Each command → the flags that take a value.\n"
        << "declare -gA _hako_valued=(\n" << valued.str() << ")\n"
        << "# \"COMMAND FLAG\" → its values: a word list, or @kind (names asked from hako, files).\n"
        << "declare -gA _hako_values=(\n" << values.str() << ")\n"
        << "# Each command → the kind of each positional argument (... = repeatable).\n"
        << "declare -gA _hako_args=(\n" << arguments.str() << ")\n"
        << bash_functions;
    return out.str();
}

// ---- zsh ----

std::string function_name(const CommandDoc& command) {
    std::string name = "_hako_cmd";
    for (std::string word : command.path) {
        for (char& c : word) {
            if (c == '-') c = '_';
        }
        name += "__" + word;
    }
    return name;
}

// Text inside a single-quoted zsh word.
std::string zsh_quote(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out;
}

// An option's description inside _arguments' [...]: no brackets.
std::string zsh_description(const std::string& text) {
    std::string out = zsh_quote(text);
    for (char& c : out) {
        if (c == '[') c = '(';
        if (c == ']') c = ')';
    }
    return out;
}

std::string zsh_kind_action(const std::string& kind) {
    if (kind == "file") return "_files";
    if (kind == "dir") return "_files -/";
    if (!kind.empty()) return "_hako_complete_names " + kind;
    return " ";
}

std::string zsh_action(const std::string& value_name, const std::vector<std::string>& choices) {
    if (choices.empty()) return zsh_kind_action(value_kind(value_name));
    std::string words;
    for (const auto& choice : choices) words += (words.empty() ? "" : " ") + zsh_quote(choice);
    return "(" + words + ")";
}

// One _arguments spec for an option, e.g. '(-d --detach)'{-d,--detach}'[Run …]'.
std::string zsh_option_spec(const OptionDoc& option) {
    std::string names;
    for (const auto& name : option.names) {
        std::string spelled = name;
        if (!option.value_name.empty()) spelled += name.size() == 2 ? "+" : "=";
        names += (names.empty() ? "" : ",") + spelled;
    }
    std::string spec;
    if (option.repeatable) {
        spec = "'*'";
    } else if (option.names.size() > 1) {
        std::string exclusion;
        for (const auto& name : option.names) exclusion += (exclusion.empty() ? "" : " ") + name;
        spec = "'(" + exclusion + ")'";
    }
    spec += option.names.size() > 1 ? "{" + names + "}" : names;
    spec += "'[" + zsh_description(option.description) + "]";
    if (!option.value_name.empty()) {
        spec += ":" + zsh_quote(option.value_name) + ":" + zsh_action(option.value_name, option.choices);
    }
    return spec + "'";
}

// One function per command; `globals` are hako's global flags, which every
// command takes unless one of its own flags has the same name (logs -f).
void zsh_function(std::ostream& out, const CommandDoc& command, const std::vector<OptionDoc>& globals) {
    out << function_name(command) << "() {\n";
    if (!command.subcommands.empty()) out << "  local curcontext=\"$curcontext\" state line ret=1\n";
    out << "  _arguments" << (command.subcommands.empty() ? "" : " -C -A \"-*\"") << " -s -S :";
    auto shadowed = [&](const OptionDoc& global) {
        for (const OptionDoc& own : command.options) {
            for (const auto& name : own.names) {
                if (std::find(global.names.begin(), global.names.end(), name) != global.names.end()) return true;
            }
        }
        return false;
    };
    if (command.path.empty() || std::none_of(globals.begin(), globals.end(), shadowed)) {
        out << " \"${_hako_global_args[@]}\"";
    } else {
        for (const OptionDoc& global : globals) {
            if (!shadowed(global)) out << " \\\n    " << zsh_option_spec(global);
        }
    }
    if (command.path.empty()) out << " \\\n    '(- *)--version[Print the version and exit]'";
    if (!command.path.empty()) {
        for (const OptionDoc& option : command.options) out << " \\\n    " << zsh_option_spec(option);
    }
    out << " \\\n    '(- *)'{-h,--help}'[Print the help and exit]'";
    if (!command.subcommands.empty()) {
        out << " \\\n    '1: :->command' \\\n    '*:: :->argument' && ret=0\n";
        out << "  case $state in\n    command)\n      local -a commands=(\n";
        for (const CommandDoc& sub : command.subcommands) {
            out << "        '" << zsh_quote(sub.path.back()) << ":" << zsh_quote(sub.description) << "'\n";
            for (const auto& alias : sub.aliases) {
                out << "        '" << zsh_quote(alias) << ":" << zsh_quote(sub.description) << "'\n";
            }
        }
        out << "      )\n      _describe -t commands '" << zsh_quote(command.full_name()) << " command' commands && ret=0\n"
            << "      ;;\n    argument)\n      case $words[1] in\n";
        for (const CommandDoc& sub : command.subcommands) {
            std::string pattern = sub.path.back();
            for (const auto& alias : sub.aliases) pattern += "|" + alias;
            out << "        (" << pattern << ") " << function_name(sub) << " && ret=0 ;;\n";
        }
        out << "      esac\n      ;;\n  esac\n  return ret\n}\n\n";
        return;
    }
    int position = 1;
    for (const ArgumentDoc& argument : command.arguments) {
        std::string action = zsh_kind_action(argument_kind(command, argument));
        if (argument.repeatable) {
            out << " \\\n    '*:" << zsh_quote(argument.name) << ":" << action << "'";
        } else {
            out << " \\\n    '" << position << (argument.required ? ":" : "::") << zsh_quote(argument.name) << ":"
                << action << "'";
        }
        ++position;
    }
    if (command.takes_command) out << " \\\n    '*::command:_normal'";
    out << "\n}\n\n";
}

const char* zsh_helpers = R"ZSH(
# _hako_query ARGS...: runs hako with the global flags given before the command
# (the project's files and name, the state root).
_hako_query() {
  local -a flags
  local i w
  for ((i = 2; i <= $#_hako_line; i++)); do
    w=$_hako_line[i]
    if (( ${_hako_global_valued[(Ie)$w]} )); then
      flags+=("$w" "$_hako_line[i+1]")
      ((i++))
    elif [[ $w == *=* ]] && (( ${_hako_global_valued[(Ie)${w%%=*}]} )); then
      flags+=("$w")
    elif [[ $w != -* ]]; then
      break
    fi
  done
  _call_program hako ${(q)_hako_line[1]} "${(@q)flags}" "${(@q)@}" 2>/dev/null
}

# _hako_complete_names [COMPADD-OPTIONS] KIND: offers the names hako knows of
# that kind (_arguments puts its own options before the action's word).
_hako_complete_names() {
  local kind=${argv[-1]}
  local -a items expl
  case $kind in
    service) items=(${(f)"$(_hako_query config --services)"}) ;;
    container) items=(${(f)"$(_hako_query container ls -a --format '{{.Names}}')"}) ;;
    image) items=(${(f)"$(_hako_query image ls | awk 'NR > 1 && $1 != "<none>" { print $1 ":" $2 }')"}) ;;
    network) items=(${(f)"$(_hako_query network ls | awk 'NR > 1 { print $2 }')"}) ;;
    volume) items=(${(f)"$(_hako_query volume ls -q)"}) ;;
  esac
  _wanted ${kind}s expl $kind compadd -a items
}

_hako() {
  typeset -ga _hako_line
  _hako_line=("${words[@]}")
  _hako_cmd
}

if [[ $funcstack[1] == _hako ]]; then
  _hako "$@"
else
  compdef _hako hako
fi
)ZSH";

std::string render_zsh(const CommandDoc& root) {
    std::ostringstream out;
    out << "#compdef hako\n"
        << "# zsh completion for hako. Generated from hako's own flag definitions by\n"
        << "# scripts/gen-docs.sh (hako __docs zsh): do not edit by hand.\n"
        << "# Install: copy to a folder of $fpath, e.g. /usr/share/zsh/vendor-completions/_hako.\n\n"
        << "# The global flags, accepted before or after any command.\n"
        << "typeset -ga _hako_global_args _hako_global_valued\n_hako_global_args=(\n";
    for (const OptionDoc& option : root.options) out << "  " << zsh_option_spec(option) << "\n";
    out << ")\n_hako_global_valued=(";
    for (const OptionDoc& option : root.options) {
        if (option.value_name.empty()) continue;
        for (const auto& name : option.names) out << " " << name;
    }
    out << " )\n\n";
    for_each_command(root, [&](const CommandDoc& command) { zsh_function(out, command, root.options); });
    out << zsh_helpers;
    return out.str();
}

}  // namespace

std::string render_bash_completion(const CommandDoc& root) { return render_bash(root); }
std::string render_zsh_completion(const CommandDoc& root) { return render_zsh(root); }

}  // namespace hako::cli::docs
