// This file declares Docker Compose variable interpolation ($VAR, ${VAR},
// ${VAR:-default} and friends, nested defaults, $$ escapes): the substitution
// engine shared with .env files, the per-project Interpolator, and the
// variable listing behind `hako config --variables`.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"
#include "src/project/diagnostics.h"
#include "src/project/environment.h"

namespace hako::project {

// Where substitution reads a variable: nullopt means "unset" (not "empty").
using VariableSource = std::function<std::optional<std::string>(const std::string& name)>;
// Called for each ${VAR} or $VAR whose variable is unset (it becomes "").
using UnsetVariableHandler = std::function<void(const std::string& name)>;

// Substitutes every variable in `text` with Compose's rules:
//   $VAR ${VAR}         value, "" when unset (on_unset is told)
//   ${VAR:-d} ${VAR-d}  d when VAR is unset or empty / only when unset
//   ${VAR:?m} ${VAR?m}  error "required variable VAR is missing a value: m"
//   ${VAR:+a} ${VAR+a}  a when VAR is set and not empty / when set, else ""
//   $$                  a literal $; a $ not followed by a name or { is kept
// Defaults and alternatives may hold further ${...}; only the branch taken is
// evaluated. Bad syntax ("${", "${VAR", "${ VAR}", "${VAR:x}") is the error
// `invalid interpolation format for "TEXT"`. Every name met (taken branch or
// not) goes into `seen` when given.
Result<std::string> substitute(std::string_view text, const VariableSource& lookup,
                               const UnsetVariableHandler& on_unset = {},
                               std::set<std::string>* seen = nullptr);

// Interpolates compose values against one Environment, warning once per unset
// variable name: `The "FOO" variable is not set. Defaulting to a blank string.`
class Interpolator {
public:
    Interpolator(const Environment& env, Diagnostics& diagnostics);

    // The interpolated text, or an Error carrying only the message (the caller
    // adds the place); `mark` and `path` place the unset-variable warnings.
    Result<std::string> interpolate(std::string_view text, const Mark& mark, const std::string& path);

    // Every variable name referenced so far (for `config --variables`).
    const std::set<std::string>& variables_seen() const { return seen_; }

private:
    const Environment& env_;
    Diagnostics& diagnostics_;
    std::set<std::string> seen_;
    std::set<std::string, std::less<>> warned_;
};

// One reference to a variable, as `config --variables` lists it.
struct VariableUse {
    std::string name;
    std::optional<std::string> default_value;    // ${VAR:-d} / ${VAR-d}: d, as written
    bool required = false;                        // ${VAR:?m} / ${VAR?m}
    std::optional<std::string> alternate_value;  // ${VAR:+a} / ${VAR+a}: a, as written
};

// Every variable `text` references, in order of appearance, those inside
// defaults and alternatives included (after their enclosing use). Text after
// invalid syntax is not listed.
std::vector<VariableUse> list_variables(std::string_view text);

}  // namespace hako::project
