// This file implements the Dockerfile parser and the split into stages (see
// dockerfile.h); it follows BuildKit's dockerfile/parser rules.
#include "engine/build/dockerfile.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/build/duration.h"

namespace hako::build {

namespace {

std::string_view trim_left(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}
std::string_view trim_right(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}
std::string_view trim(std::string_view s) { return trim_right(trim_left(s)); }

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
    return out;
}
std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

const std::set<std::string>& known_instructions() {
    static const std::set<std::string> k = {"ADD",     "ARG",     "CMD",  "COPY",       "ENTRYPOINT", "ENV",
                                            "EXPOSE",  "FROM",    "HEALTHCHECK", "LABEL", "MAINTAINER",
                                            "ONBUILD", "RUN",     "SHELL", "STOPSIGNAL", "USER", "VOLUME",
                                            "WORKDIR"};
    return k;
}

// Flags an instruction accepts, and whether each needs a value.
const std::map<std::string, bool>* allowed_flags(const std::string& keyword) {
    static const std::map<std::string, std::map<std::string, bool>> table = {
        {"FROM", {{"platform", true}}},
        {"RUN", {{"mount", true}, {"network", true}, {"security", true}}},
        {"COPY",
         {{"from", true}, {"chown", true}, {"chmod", true}, {"link", false}, {"exclude", true}, {"parents", false}}},
        {"ADD",
         {{"chown", true}, {"chmod", true}, {"link", false}, {"checksum", true}, {"keep-git-dir", false},
          {"exclude", true}}},
        {"HEALTHCHECK",
         {{"interval", true}, {"timeout", true}, {"start-period", true}, {"start-interval", true}, {"retries", true}}},
    };
    auto it = table.find(keyword);
    return it == table.end() ? nullptr : &it->second;
}

struct Lines {
    std::vector<std::string_view> lines;
    size_t next = 0;
    bool done() const { return next >= lines.size(); }
};

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.push_back(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

bool is_comment_or_blank(std::string_view line) {
    line = trim(line);
    return line.empty() || line.front() == '#';
}

// Strips a trailing escape character (followed only by blanks); true when found.
bool strip_continuation(std::string_view& line, char escape) {
    std::string_view t = line;
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (t.empty() || t.back() != escape) return false;
    // An escaped escape character ("\\\\" at the end) is not a continuation.
    size_t count = 0;
    for (size_t i = t.size(); i > 0 && t[i - 1] == escape; --i) ++count;
    if (count % 2 == 0) return false;
    t.remove_suffix(1);
    line = t;
    return true;
}

// Splits at unquoted whitespace; quotes and escapes stay in the words.
std::vector<std::string> split_keep_quotes(std::string_view text, char escape) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quote == 0 && (c == ' ' || c == '\t' || c == '\n')) {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        word += c;
        if (c == escape && quote != '\'' && i + 1 < text.size()) {
            word += text[++i];
            continue;
        }
        if (quote == 0 && (c == '"' || c == '\'')) {
            quote = c;
        } else if (quote == c) {
            quote = 0;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

struct HeredocToken {
    std::string name;
    bool expand = true, strip_tabs = false;
};

// "<<EOF", "<<-EOF", "<<'EOF'", "<<\"EOF\"" (possibly followed by a redirection).
std::optional<HeredocToken> heredoc_token(std::string_view word) {
    if (word.substr(0, 2) != "<<") return std::nullopt;
    word.remove_prefix(2);
    HeredocToken t;
    if (!word.empty() && word.front() == '-') {
        t.strip_tabs = true;
        word.remove_prefix(1);
    }
    if (!word.empty() && (word.front() == '"' || word.front() == '\'')) {
        char q = word.front();
        size_t close = word.find(q, 1);
        if (close == std::string_view::npos) return std::nullopt;
        t.name = std::string(word.substr(1, close - 1));
        t.expand = false;
    } else {
        size_t end = 0;
        while (end < word.size() && (std::isalnum(static_cast<unsigned char>(word[end])) || word[end] == '_')) ++end;
        t.name = std::string(word.substr(0, end));
    }
    if (t.name.empty()) return std::nullopt;
    return t;
}

class Parser {
public:
    Parser(std::string_view text, std::string_view name) : name_(name) { lines_.lines = split_lines(text); }

    Result<Dockerfile> run() {
        read_directives();
        while (!lines_.done()) {
            size_t index = lines_.next++;
            std::string_view line = lines_.lines[index];
            if (is_comment_or_blank(line)) continue;
            std::string logical;
            std::string_view piece = trim_left(line);
            bool more = strip_continuation(piece, file_.escape);
            logical += piece;
            while (more && !lines_.done()) {
                std::string_view next = lines_.lines[lines_.next++];
                if (is_comment_or_blank(next)) continue;  // comments and blank lines inside a continuation
                more = strip_continuation(next, file_.escape);
                logical += next;
            }
            auto parsed = parse_instruction(logical, int(index) + 1, true);
            if (parsed) file_.instructions.push_back(std::move(*parsed));
        }
        if (!errors_.empty()) return Error(errors_);
        return std::move(file_);
    }

private:
    void error(int line, const std::string& message) {
        if (!errors_.empty()) errors_ += '\n';
        errors_ += std::string(name_) + ":" + std::to_string(line) + ": " + message;
    }

    void read_directives() {
        std::set<std::string> seen;
        while (!lines_.done()) {
            std::string_view line = trim(lines_.lines[lines_.next]);
            if (line.size() < 2 || line.front() != '#') return;
            std::string_view body = trim(line.substr(1));
            size_t eq = body.find('=');
            if (eq == std::string_view::npos) return;
            std::string key = lower(trim(body.substr(0, eq)));
            std::string value(trim(body.substr(eq + 1)));
            if (key.empty() || !std::all_of(key.begin(), key.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
                return;
            int lineno = int(lines_.next) + 1;
            ++lines_.next;
            if (key != "syntax" && key != "escape" && key != "check") continue;  // unknown: a comment
            if (!seen.insert(key).second) {
                error(lineno, "only one " + key + " parser directive can be used");
                continue;
            }
            file_.directives[key] = value;
            if (key == "escape") {
                if (value != "\\" && value != "`") {
                    error(lineno, "invalid escape token '" + value + "' does not match ` or \\");
                } else {
                    file_.escape = value[0];
                }
            }
        }
    }

    std::optional<Instruction> parse_instruction(std::string_view logical, int line, bool top_level) {
        logical = trim(logical);
        size_t space = logical.find_first_of(" \t");
        Instruction in;
        in.line = line;
        in.keyword = upper(logical.substr(0, space));
        std::string_view rest = space == std::string_view::npos ? std::string_view() : trim(logical.substr(space));
        in.text = std::string(rest);
        if (!known_instructions().count(in.keyword)) {
            error(line, "unknown instruction: " + std::string(logical.substr(0, space)));
            return std::nullopt;
        }
        if (!parse_flags(in, rest)) return std::nullopt;
        in.args = std::string(rest);
        if (auto exec = parse_exec_form(rest)) {
            in.exec_form = true;
            in.words = std::move(*exec);
        } else {
            in.words = split_keep_quotes(rest, file_.escape);
        }
        if (top_level && !in.exec_form && (in.keyword == "RUN" || in.keyword == "COPY" || in.keyword == "ADD")) {
            if (!read_heredocs(in)) return std::nullopt;
        }
        if (!check(in)) return std::nullopt;
        return in;
    }

    bool parse_flags(Instruction& in, std::string_view& rest) {
        const auto* allowed = allowed_flags(in.keyword);
        // An instruction without flags takes "--x" as an argument (e.g. CMD --help).
        if (!allowed) return true;
        while (rest.substr(0, 2) == "--") {
            size_t end = rest.find_first_of(" \t");
            std::string_view word = rest.substr(2, end == std::string_view::npos ? std::string_view::npos : end - 2);
            rest = end == std::string_view::npos ? std::string_view() : trim_left(rest.substr(end));
            Flag flag;
            size_t eq = word.find('=');
            flag.name = std::string(word.substr(0, eq));
            if (eq != std::string_view::npos) {
                flag.value = std::string(word.substr(eq + 1));
                flag.has_value = true;
            }
            auto it = allowed->find(flag.name);
            if (it == allowed->end()) {
                error(in.line, "unknown flag: --" + flag.name + " for " + in.keyword);
                return false;
            }
            if (it->second && (!flag.has_value || flag.value.empty())) {
                error(in.line, in.keyword + ": flag --" + flag.name + " needs a value (--" + flag.name + "=VALUE)");
                return false;
            }
            if (!it->second && flag.has_value && flag.value != "true" && flag.value != "false") {
                error(in.line, in.keyword + ": flag --" + flag.name + " takes true or false, not \"" + flag.value + "\"");
                return false;
            }
            bool repeatable = flag.name == "mount" || flag.name == "exclude";
            if (!repeatable && in.flag(flag.name)) {
                error(in.line, in.keyword + ": flag --" + flag.name + " given twice");
                return false;
            }
            in.flags.push_back(std::move(flag));
        }
        return true;
    }

    bool read_heredocs(Instruction& in) {
        for (const auto& word : in.words) {
            auto token = heredoc_token(word);
            if (!token) continue;
            Heredoc doc;
            doc.name = token->name;
            doc.expand = token->expand;
            doc.strip_tabs = token->strip_tabs;
            bool closed = false;
            while (!lines_.done()) {
                std::string_view body = lines_.lines[lines_.next++];
                if (doc.strip_tabs) {
                    while (!body.empty() && body.front() == '\t') body.remove_prefix(1);
                }
                if (body == doc.name) {
                    closed = true;
                    break;
                }
                doc.content += body;
                doc.content += '\n';
            }
            if (!closed) {
                error(in.line, in.keyword + ": heredoc <<" + doc.name + " is not closed (no line \"" + doc.name + "\")");
                return false;
            }
            in.heredocs.push_back(std::move(doc));
        }
        return true;
    }

    bool check(Instruction& in) {
        const std::string& k = in.keyword;
        auto fail = [&](const std::string& message) {
            error(in.line, k + " " + message);
            return false;
        };
        size_t n = in.words.size();
        if (k == "FROM") {
            if (in.exec_form) return fail("takes an image, not a JSON array");
            if (n != 1 && n != 3) return fail("takes an image and an optional \"AS name\"");
            if (n == 3) {
                if (lower(in.words[1]) != "as") return fail("expects \"AS name\" after the image, not \"" + in.words[1] + "\"");
                std::string stage = lower(in.words[2]);
                bool valid = std::isalpha(static_cast<unsigned char>(stage[0])) &&
                             std::all_of(stage.begin(), stage.end(), [](char c) {
                                 return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
                             });
                if (!valid) return fail("stage name \"" + in.words[2] + "\": must start with a letter and hold only letters, digits, - _ .");
            }
        } else if (k == "RUN" || k == "CMD" || k == "ENTRYPOINT") {
            if (k == "RUN" && in.args.empty() && in.heredocs.empty()) return fail("needs a command");
            if (k != "RUN" && in.args.empty()) return fail("needs at least one argument");
            if (const Flag* net = in.flag("network")) {
                if (net->value != "default" && net->value != "none" && net->value != "host")
                    return fail("--network=" + net->value + ": must be default, none or host");
            }
            if (const Flag* sec = in.flag("security")) {
                if (sec->value != "sandbox" && sec->value != "insecure")
                    return fail("--security=" + sec->value + ": must be sandbox or insecure");
            }
        } else if (k == "SHELL") {
            if (!in.exec_form || in.words.empty()) return fail("must be a JSON array of strings, e.g. SHELL [\"/bin/sh\", \"-c\"]");
        } else if (k == "ENV" || k == "LABEL") {
            if (n == 0) return fail("needs at least one KEY=value");
            if (in.words[0].find('=') == std::string::npos) {
                if (k == "LABEL" || n < 2) return fail(k == "ENV" ? "needs a value: ENV KEY=value" : "needs KEY=value");
            } else {
                for (const auto& w : in.words) {
                    size_t eq = w.find('=');
                    if (eq == std::string::npos || eq == 0) return fail("\"" + w + "\" is not KEY=value");
                }
            }
        } else if (k == "ARG") {
            if (n == 0) return fail("needs a name");
            for (const auto& w : in.words) {
                if (w.empty() || w[0] == '=') return fail("\"" + w + "\" has no name");
            }
        } else if (k == "EXPOSE" || k == "VOLUME") {
            if (n == 0) return fail("needs at least one argument");
        } else if (k == "USER" || k == "STOPSIGNAL") {
            if (n != 1) return fail("takes exactly one argument");
        } else if (k == "WORKDIR" || k == "MAINTAINER") {
            if (in.args.empty()) return fail("needs an argument");
        } else if (k == "COPY" || k == "ADD") {
            if (n < 2 && !(n == 1 && !in.heredocs.empty())) return fail("needs at least one source and a destination");
            if (in.flag("from") && k == "ADD") return fail("does not take --from");
        } else if (k == "HEALTHCHECK") {
            if (n == 0) return fail("needs NONE or CMD …");
            std::string first = upper(in.words[0]);
            if (first == "NONE") {
                if (n != 1 || !in.flags.empty()) return fail("NONE takes no other arguments");
            } else if (first == "CMD") {
                if (n < 2) return fail("CMD needs a command");
            } else {
                return fail("must be NONE or CMD …, not \"" + in.words[0] + "\"");
            }
            for (const auto& f : in.flags) {
                if (f.name == "retries") {
                    if (f.value.find_first_not_of("0123456789") != std::string::npos || f.value.size() > 9 ||
                        std::stoi(f.value) < 1)
                        return fail("--retries=" + f.value + ": must be a positive integer");
                } else {
                    auto d = parse_duration(f.value);
                    if (!d.ok()) return fail("--" + f.name + ": " + d.error().message);
                    if (*d != 0 && *d < 1000000) return fail("--" + f.name + "=" + f.value + ": cannot be less than 1ms");
                }
            }
        } else if (k == "ONBUILD") {
            if (in.args.empty()) return fail("needs an instruction");
            auto inner = parse_instruction(in.args, in.line, false);
            if (!inner) return false;
            if (inner->keyword == "ONBUILD" || inner->keyword == "FROM" || inner->keyword == "MAINTAINER")
                return fail("cannot trigger " + inner->keyword);
            in.onbuild = std::make_shared<Instruction>(std::move(*inner));
        }
        return true;
    }

    std::string_view name_;
    Lines lines_;
    Dockerfile file_;
    std::string errors_;
};

}  // namespace

const Flag* Instruction::flag(std::string_view name) const {
    for (const auto& f : flags) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

std::vector<std::string> Instruction::flag_values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& f : flags) {
        if (f.name == name) out.push_back(f.value);
    }
    return out;
}

std::optional<std::vector<std::string>> parse_exec_form(std::string_view text) {
    text = trim(text);
    if (text.empty() || text.front() != '[' || text.back() != ']') return std::nullopt;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : j) {
        if (!v.is_string()) return std::nullopt;
        out.push_back(v.get<std::string>());
    }
    return out;
}

Result<Dockerfile> parse_dockerfile(std::string_view text, std::string_view name) {
    return Parser(text, name).run();
}

Result<StagePlan> split_stages(const Dockerfile& dockerfile, std::string_view name) {
    StagePlan plan;
    std::string errors;
    auto error = [&](int line, const std::string& message) {
        if (!errors.empty()) errors += '\n';
        errors += std::string(name) + ":" + std::to_string(line) + ": " + message;
    };
    std::set<std::string> names;
    for (const auto& in : dockerfile.instructions) {
        if (in.keyword == "FROM") {
            Stage stage;
            stage.index = int(plan.stages.size());
            stage.base = in.words[0];
            stage.line = in.line;
            stage.from = in;
            if (const Flag* p = in.flag("platform")) stage.platform = p->value;
            if (in.words.size() == 3) {
                stage.name = lower(in.words[2]);
                if (!names.insert(stage.name).second) error(in.line, "duplicate stage name \"" + stage.name + "\"");
            }
            plan.stages.push_back(std::move(stage));
        } else if (plan.stages.empty()) {
            if (in.keyword == "ARG") {
                plan.global_args.push_back(in);
            } else {
                error(in.line, in.keyword + " before the first FROM (only ARG may come before it)");
            }
        } else {
            plan.stages.back().instructions.push_back(in);
        }
    }
    if (plan.stages.empty() && errors.empty()) {
        error(dockerfile.instructions.empty() ? 1 : dockerfile.instructions.back().line,
              "no FROM: the Dockerfile has no build stage");
    }
    if (!errors.empty()) return Error(errors);
    return plan;
}

}  // namespace hako::build
