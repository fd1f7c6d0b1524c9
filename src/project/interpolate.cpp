// This file implements Compose variable interpolation (see interpolate.h): a
// single left-to-right scan that copies text, finds each $ form, and evaluates
// ${...} bodies recursively only for the branch taken.
#include "src/project/interpolate.h"

namespace hako::project {

namespace {

// Nested defaults deeper than this are refused, so hostile text cannot
// overflow the stack through recursion.
constexpr int kMaxNesting = 64;

bool is_name_start(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// The parts of one ${...} form.
struct Braced {
    std::string_view name;
    bool colon = false;    // ":-", ":?", ":+"
    char op = 0;           // 0 (plain ${VAR}), '-', '?' or '+'
    std::string_view arg;  // default, message or alternative, as written
    size_t end = 0;        // index just past the closing }
};

// Parses the ${...} form that starts at text[at] == '$', text[at+1] == '{'.
std::optional<Braced> parse_braced(std::string_view text, size_t at) {
    Braced b;
    size_t i = at + 2;
    if (i >= text.size() || !is_name_start(text[i])) return std::nullopt;
    size_t name_begin = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    b.name = text.substr(name_begin, i - name_begin);
    if (i >= text.size()) return std::nullopt;
    if (text[i] == '}') {
        b.end = i + 1;
        return b;
    }
    if (text[i] == ':') {
        b.colon = true;
        ++i;
    }
    if (i >= text.size() || (text[i] != '-' && text[i] != '?' && text[i] != '+')) return std::nullopt;
    b.op = text[i++];
    // The argument ends at the } that closes this form: nested ${ open more.
    size_t arg_begin = i;
    int depth = 1;
    while (i < text.size()) {
        char c = text[i];
        if (c == '$' && i + 1 < text.size() && text[i + 1] == '$') {
            i += 2;
            continue;
        }
        if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
            ++depth;
            i += 2;
            continue;
        }
        if (c == '}' && --depth == 0) {
            b.arg = text.substr(arg_begin, i - arg_begin);
            b.end = i + 1;
            return b;
        }
        ++i;
    }
    return std::nullopt;
}

class Substitution {
public:
    Substitution(std::string_view whole, const VariableSource& lookup, const UnsetVariableHandler& on_unset,
                 std::set<std::string>* seen)
        : whole_(whole), lookup_(lookup), on_unset_(on_unset), seen_(seen) {}

    Result<void> run(std::string_view text, std::string& out, int nesting) {
        if (nesting > kMaxNesting) {
            return Error("interpolation nested more than " + std::to_string(kMaxNesting) + " levels deep in \"" +
                         std::string(whole_) + "\"");
        }
        size_t i = 0;
        while (i < text.size()) {
            size_t dollar = text.find('$', i);
            if (dollar == std::string_view::npos) {
                out.append(text.substr(i));
                break;
            }
            out.append(text.substr(i, dollar - i));
            i = dollar;
            if (i + 1 >= text.size()) {  // a trailing $ is literal
                out += '$';
                ++i;
                continue;
            }
            char next = text[i + 1];
            if (next == '$') {
                out += '$';
                i += 2;
            } else if (is_name_start(next)) {
                size_t j = i + 1;
                while (j < text.size() && is_name_char(text[j])) ++j;
                append_value(std::string(text.substr(i + 1, j - i - 1)), out);
                i = j;
            } else if (next == '{') {
                auto braced = parse_braced(text, i);
                if (!braced) return invalid();
                TRY(evaluate(*braced, out, nesting));
                i = braced->end;
            } else {  // "$1", "$ ", "$-": not a substitution, kept as written
                out += '$';
                ++i;
            }
        }
        return ok();
    }

private:
    Error invalid() const {
        return Error("invalid interpolation format for \"" + std::string(whole_) +
                     "\"; you may need to escape any $ with another $");
    }

    std::optional<std::string> get(const std::string& name) {
        if (seen_) seen_->insert(name);
        return lookup_(name);
    }

    void append_value(const std::string& name, std::string& out) {
        auto value = get(name);
        if (value) {
            out += *value;
        } else if (on_unset_) {
            on_unset_(name);
        }
    }

    // Names in a branch not taken still count as referenced.
    void note_untaken(std::string_view arg) {
        if (!seen_) return;
        for (auto& use : list_variables(arg)) seen_->insert(std::move(use.name));
    }

    Result<void> evaluate(const Braced& b, std::string& out, int nesting) {
        std::string name(b.name);
        if (b.op == 0) {
            append_value(name, out);
            return ok();
        }
        auto value = get(name);
        bool is_set = value.has_value();
        bool non_empty = is_set && !value->empty();
        switch (b.op) {
            case '-': {
                bool use_default = b.colon ? !non_empty : !is_set;
                if (use_default) return run(b.arg, out, nesting + 1);
                out += *value;
                note_untaken(b.arg);
                return ok();
            }
            case '?': {
                bool missing = b.colon ? !non_empty : !is_set;
                if (missing) {
                    std::string msg = "required variable " + name + " is missing a value";
                    if (!b.arg.empty()) msg += ": " + std::string(b.arg);
                    return Error(std::move(msg));
                }
                out += *value;
                return ok();
            }
            default: {  // '+'
                bool use_alternative = b.colon ? non_empty : is_set;
                if (use_alternative) return run(b.arg, out, nesting + 1);
                note_untaken(b.arg);
                return ok();
            }
        }
    }

    std::string_view whole_;
    const VariableSource& lookup_;
    const UnsetVariableHandler& on_unset_;
    std::set<std::string>* seen_;
};

void list_into(std::string_view text, std::vector<VariableUse>& uses, int nesting) {
    if (nesting > kMaxNesting) return;
    size_t i = 0;
    while ((i = text.find('$', i)) != std::string_view::npos) {
        if (i + 1 >= text.size()) return;
        char next = text[i + 1];
        if (next == '$') {
            i += 2;
        } else if (is_name_start(next)) {
            size_t j = i + 1;
            while (j < text.size() && is_name_char(text[j])) ++j;
            uses.push_back({std::string(text.substr(i + 1, j - i - 1)), std::nullopt, false, std::nullopt});
            i = j;
        } else if (next == '{') {
            auto b = parse_braced(text, i);
            if (!b) return;
            VariableUse use{std::string(b->name), std::nullopt, false, std::nullopt};
            if (b->op == '-') use.default_value = std::string(b->arg);
            if (b->op == '?') use.required = true;
            if (b->op == '+') use.alternate_value = std::string(b->arg);
            uses.push_back(std::move(use));
            if (b->op == '-' || b->op == '+') list_into(b->arg, uses, nesting + 1);
            i = b->end;
        } else {
            ++i;
        }
    }
}

}  // namespace

Result<std::string> substitute(std::string_view text, const VariableSource& lookup,
                               const UnsetVariableHandler& on_unset, std::set<std::string>* seen) {
    std::string out;
    if (text.find('$') == std::string_view::npos) return std::string(text);
    out.reserve(text.size());
    Substitution substitution(text, lookup, on_unset, seen);
    TRY(substitution.run(text, out, 0));
    return out;
}

Interpolator::Interpolator(const Environment& env, Diagnostics& diagnostics)
    : env_(env), diagnostics_(diagnostics) {}

Result<std::string> Interpolator::interpolate(std::string_view text, const Mark& mark, const std::string& path) {
    if (text.find('$') == std::string_view::npos) return std::string(text);
    auto lookup = [this](const std::string& name) { return env_.get(name); };
    auto on_unset = [&](const std::string& name) {
        if (warned_.insert(name).second) {
            diagnostics_.warning(mark, path,
                                 "The \"" + name + "\" variable is not set. Defaulting to a blank string.");
        }
    };
    return substitute(text, lookup, on_unset, &seen_);
}

std::vector<VariableUse> list_variables(std::string_view text) {
    std::vector<VariableUse> uses;
    list_into(text, uses, 0);
    return uses;
}

}  // namespace hako::project
