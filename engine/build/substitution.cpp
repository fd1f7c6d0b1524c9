// This file implements expand_word (see substitution.h), after BuildKit's
// frontend/dockerfile/shell/lex.go.
#include "engine/build/substitution.h"

#include <fnmatch.h>

#include <cctype>

namespace hako::build {

namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
public:
    Lexer(std::string_view input, const Environment& env, char escape, std::set<std::string>* used)
        : in_(input), env_(env), escape_(escape), used_(used) {}

    Result<std::string> word() {
        std::string out = TRY(process(""));
        if (pos_ < in_.size()) return Error("unexpected '" + std::string(1, in_[pos_]) + "'");
        return out;
    }

private:
    bool at_end() const { return pos_ >= in_.size(); }
    char peek() const { return in_[pos_]; }

    // Processes until one of `stops` (unquoted, at this nesting level) or the end.
    Result<std::string> process(std::string_view stops) {
        std::string out;
        while (!at_end()) {
            char c = peek();
            if (stops.find(c) != std::string_view::npos) break;
            if (c == '\'') {
                ++pos_;
                size_t close = in_.find('\'', pos_);
                if (close == std::string_view::npos) return Error("unexpected end of text: missing closing '");
                out += in_.substr(pos_, close - pos_);
                pos_ = close + 1;
            } else if (c == '"') {
                ++pos_;
                out += TRY(double_quoted());
            } else if (c == '$') {
                out += TRY(dollar());
            } else if (c == escape_) {
                ++pos_;
                if (at_end()) {
                    out += c;
                } else {
                    out += in_[pos_++];
                }
            } else {
                out += c;
                ++pos_;
            }
        }
        return out;
    }

    Result<std::string> double_quoted() {
        std::string out;
        while (true) {
            if (at_end()) return Error("unexpected end of text: missing closing \"");
            char c = peek();
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c == '$') {
                out += TRY(dollar());
            } else if (c == escape_) {
                ++pos_;
                if (at_end()) return Error("unexpected end of text: missing closing \"");
                char next = in_[pos_++];
                if (next != '"' && next != '$' && next != escape_) out += c;
                out += next;
            } else {
                out += c;
                ++pos_;
            }
        }
    }

    std::optional<std::string> lookup(const std::string& name) {
        if (used_) used_->insert(name);
        auto it = env_.find(name);
        if (it == env_.end()) return std::nullopt;
        return it->second;
    }

    Result<std::string> dollar() {
        ++pos_;  // '$'
        if (at_end()) return std::string("$");
        char c = peek();
        if (c == '{') {
            ++pos_;
            return braced();
        }
        if (name_start(c)) {
            size_t start = pos_;
            while (!at_end() && name_char(peek())) ++pos_;
            return lookup(std::string(in_.substr(start, pos_ - start))).value_or("");
        }
        if (std::isdigit(static_cast<unsigned char>(c))) {
            ++pos_;  // positional parameters are always empty
            return std::string();
        }
        return std::string("$");
    }

    Result<std::string> braced() {
        size_t start = pos_;
        while (!at_end() && name_char(peek())) ++pos_;
        std::string name(in_.substr(start, pos_ - start));
        if (name.empty()) return Error("bad substitution: ${ without a variable name");
        if (at_end()) return Error("missing '}' in ${" + name);
        char c = peek();
        if (c == '}') {
            ++pos_;
            return lookup(name).value_or("");
        }
        auto value = lookup(name);
        if (c == ':') {
            ++pos_;
            if (at_end()) return Error("missing '}' in ${" + name);
            char m = in_[pos_++];
            std::string word = TRY(rest_of_brace(name));
            bool set_nonempty = value && !value->empty();
            switch (m) {
                case '-': return set_nonempty ? *value : word;
                case '+': return set_nonempty ? word : std::string();
                case '?':
                    if (!set_nonempty) return Error(name + ": " + (word.empty() ? "is not allowed to be unset or empty" : word));
                    return *value;
                default:
                    return Error("unsupported modifier (:" + std::string(1, m) + ") in substitution ${" + name + "}");
            }
        }
        ++pos_;
        switch (c) {
            case '-': {
                std::string word = TRY(rest_of_brace(name));
                return value ? *value : word;
            }
            case '+': {
                std::string word = TRY(rest_of_brace(name));
                return value ? word : std::string();
            }
            case '?': {
                std::string word = TRY(rest_of_brace(name));
                if (!value) return Error(name + ": " + (word.empty() ? "is not allowed to be unset" : word));
                return *value;
            }
            case '#':
            case '%': {
                bool longest = !at_end() && peek() == c;
                if (longest) ++pos_;
                std::string pattern = TRY(rest_of_brace(name));
                return trim_pattern(value.value_or(""), pattern, c == '#', longest);
            }
            case '/': {
                bool all = !at_end() && peek() == '/';
                if (all) ++pos_;
                std::string pattern = TRY(process("/}"));
                std::string replacement;
                if (!at_end() && peek() == '/') {
                    ++pos_;
                    replacement = TRY(rest_of_brace(name));
                } else {
                    TRY(close_brace(name));
                }
                return replace_pattern(value.value_or(""), pattern, replacement, all);
            }
            default:
                return Error("unsupported modifier (" + std::string(1, c) + ") in substitution ${" + name + "}");
        }
    }

    Result<void> close_brace(const std::string& name) {
        if (at_end() || peek() != '}') return Error("missing '}' in ${" + name);
        ++pos_;
        return ok();
    }

    Result<std::string> rest_of_brace(const std::string& name) {
        std::string word = TRY(process("}"));
        TRY(close_brace(name));
        return word;
    }

    static std::string trim_pattern(const std::string& value, const std::string& pattern, bool prefix, bool longest) {
        size_t n = value.size();
        if (prefix) {
            for (size_t k = 0; k <= n; ++k) {
                size_t i = longest ? n - k : k;
                if (glob_match(pattern, std::string_view(value).substr(0, i))) return value.substr(i);
            }
        } else {
            for (size_t k = 0; k <= n; ++k) {
                size_t i = longest ? k : n - k;
                if (glob_match(pattern, std::string_view(value).substr(i))) return value.substr(0, i);
            }
        }
        return value;
    }

    static std::string replace_pattern(const std::string& value, const std::string& pattern,
                                       const std::string& replacement, bool all) {
        if (pattern.empty()) return value;
        std::string out;
        size_t i = 0;
        bool replaced = false;
        while (i < value.size()) {
            size_t match = std::string::npos;
            if (!replaced || all) {
                for (size_t end = value.size(); end > i; --end) {  // longest match at i
                    if (glob_match(pattern, std::string_view(value).substr(i, end - i))) {
                        match = end;
                        break;
                    }
                }
            }
            if (match != std::string::npos) {
                out += replacement;
                i = match;
                replaced = true;
            } else {
                out += value[i++];
            }
        }
        return out;
    }

    std::string_view in_;
    size_t pos_ = 0;
    const Environment& env_;
    char escape_;
    std::set<std::string>* used_;
};

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
    return ::fnmatch(std::string(pattern).c_str(), std::string(text).c_str(), 0) == 0;
}

Result<std::string> expand_word(std::string_view word, const Environment& env, char escape,
                                std::set<std::string>* used) {
    auto result = Lexer(word, env, escape, used).word();
    if (!result.ok()) return Error(std::move(result).error().message + " in \"" + std::string(word) + "\"");
    return result;
}

std::set<std::string> referenced_variables(std::string_view text) {
    std::set<std::string> names;
    for (size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] != '$') continue;
        size_t j = i + 1;
        if (text[j] == '{') ++j;
        size_t start = j;
        while (j < text.size() && name_char(text[j])) ++j;
        if (j > start && name_start(text[start])) names.insert(std::string(text.substr(start, j - start)));
    }
    return names;
}

}  // namespace hako::build
