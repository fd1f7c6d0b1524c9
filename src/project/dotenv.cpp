// This file implements the .env reader (see dotenv.h): one pass over the text,
// a statement at a time, quoted values allowed to run over several lines.
#include "src/project/dotenv.h"

#include <unordered_map>

#include "engine/sys/file.h"
#include "src/project/interpolate.h"

namespace hako::project {

namespace {

constexpr size_t kMaxDotenvBytes = 16u << 20;

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_key_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_key_char(char c) { return is_key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-'; }

class DotenvParser {
public:
    DotenvParser(std::string text, const std::string& filename, const EnvLookup& lookup)
        : text_(std::move(text)), filename_(filename), lookup_(lookup) {}

    Result<std::vector<std::pair<std::string, std::string>>> parse() {
        while (pos_ < text_.size()) TRY(statement());
        return std::move(entries_);
    }

private:
    Error fail(int line, const std::string& message) const {
        return Error(filename_ + ":" + std::to_string(line) + ": " + message);
    }

    bool at_end_of_line() const { return pos_ >= text_.size() || text_[pos_] == '\n'; }
    void skip_blanks() {
        while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
    }
    void skip_rest_of_line() {
        size_t nl = text_.find('\n', pos_);
        pos_ = nl == std::string::npos ? text_.size() : nl + 1;
        ++line_;
    }

    Result<void> statement() {
        int line = line_;
        skip_blanks();
        if (at_end_of_line() || text_[pos_] == '#') {
            skip_rest_of_line();
            return ok();
        }
        if (text_.compare(pos_, 6, "export") == 0 && pos_ + 6 < text_.size() && is_blank(text_[pos_ + 6])) {
            pos_ += 6;
            skip_blanks();
        }
        size_t key_begin = pos_;
        while (pos_ < text_.size() && !is_blank(text_[pos_]) && text_[pos_] != '=' && text_[pos_] != '\n') ++pos_;
        std::string key = text_.substr(key_begin, pos_ - key_begin);
        if (!valid_key(key)) return fail(line, "invalid variable name \"" + key + "\"");
        skip_blanks();
        if (at_end_of_line() || text_[pos_] == '#') {  // a bare KEY: taken from the environment
            if (auto value = lookup_ ? lookup_(key) : std::nullopt) set(key, std::move(*value));
            skip_rest_of_line();
            return ok();
        }
        if (text_[pos_] != '=') return fail(line, "expected KEY=VALUE, found text after \"" + key + "\"");
        ++pos_;
        std::string value = TRY(read_value(line));
        set(key, std::move(value));
        return ok();
    }

    static bool valid_key(const std::string& key) {
        if (key.empty() || !is_key_start(key[0])) return false;
        for (char c : key) {
            if (!is_key_char(c)) return false;
        }
        return true;
    }

    Result<std::string> read_value(int line) {
        size_t value_begin = pos_;
        skip_blanks();
        if (pos_ < text_.size() && text_[pos_] == '\'') {
            size_t close = text_.find('\'', pos_ + 1);
            if (close == std::string::npos) return fail(line, "unterminated single-quoted value");
            std::string value = text_.substr(pos_ + 1, close - pos_ - 1);
            for (char c : value) line_ += c == '\n';
            pos_ = close + 1;
            TRY(end_after_quote());
            return value;
        }
        if (pos_ < text_.size() && text_[pos_] == '"') {
            std::string raw = TRY(read_double_quoted(line));
            TRY(end_after_quote());
            return interpolate(raw, line);
        }
        size_t nl = text_.find('\n', value_begin);
        size_t end = nl == std::string::npos ? text_.size() : nl;
        std::string_view value(text_.data() + value_begin, end - value_begin);
        for (size_t i = 1; i < value.size(); ++i) {  // " #" starts a comment
            if (value[i] == '#' && is_blank(value[i - 1])) {
                value = value.substr(0, i);
                break;
            }
        }
        while (!value.empty() && is_blank(value.front())) value.remove_prefix(1);
        while (!value.empty() && is_blank(value.back())) value.remove_suffix(1);
        pos_ = end;
        skip_rest_of_line();
        return interpolate(value, line);
    }

    // Reads "..." starting at the opening quote; escapes are applied, and \$
    // becomes $$ so that interpolation leaves a literal $.
    Result<std::string> read_double_quoted(int line) {
        std::string raw;
        size_t i = pos_ + 1;
        while (i < text_.size()) {
            char c = text_[i];
            if (c == '"') {
                pos_ = i + 1;
                return raw;
            }
            if (c == '\\' && i + 1 < text_.size()) {
                char e = text_[i + 1];
                switch (e) {
                    case 'n': raw += '\n'; break;
                    case 't': raw += '\t'; break;
                    case 'r': raw += '\r'; break;
                    case '"': raw += '"'; break;
                    case '\\': raw += '\\'; break;
                    case '$': raw += "$$"; break;
                    default:
                        raw += '\\';
                        raw += e;
                        line_ += e == '\n';
                }
                i += 2;
                continue;
            }
            if (c == '\n') ++line_;
            raw += c;
            ++i;
        }
        return fail(line, "unterminated double-quoted value");
    }

    Result<void> end_after_quote() {
        skip_blanks();
        if (!at_end_of_line() && text_[pos_] != '#') {
            return fail(line_, "unexpected text after the closing quote");
        }
        skip_rest_of_line();
        return ok();
    }

    Result<std::string> interpolate(std::string_view raw, int line) {
        auto lookup = [this](const std::string& name) -> std::optional<std::string> {
            auto it = index_.find(name);
            if (it != index_.end()) return entries_[it->second].second;
            return lookup_ ? lookup_(name) : std::nullopt;
        };
        auto result = substitute(raw, lookup);
        if (!result.ok()) return fail(line, result.error().message);
        return std::move(result).value();
    }

    void set(const std::string& key, std::string value) {
        auto [it, inserted] = index_.try_emplace(key, entries_.size());
        if (inserted) {
            entries_.emplace_back(key, std::move(value));
        } else {
            entries_[it->second].second = std::move(value);
        }
    }

    std::string text_;
    const std::string& filename_;
    const EnvLookup& lookup_;
    size_t pos_ = 0;
    int line_ = 1;
    std::vector<std::pair<std::string, std::string>> entries_;
    std::unordered_map<std::string, size_t> index_;
};

// CRLF → LF and no BOM, so the parser sees one kind of line end.
std::string normalize(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
        out += text[i];
    }
    return out;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> parse_dotenv(std::string_view text,
                                                                      const std::string& filename,
                                                                      const EnvLookup& lookup) {
    DotenvParser parser(normalize(text), filename, lookup);
    return parser.parse();
}

Result<std::vector<std::pair<std::string, std::string>>> load_dotenv(const std::filesystem::path& file,
                                                                     const EnvLookup& lookup) {
    std::string text = TRY(sys::read_file(file, kMaxDotenvBytes));
    size_t nul = text.find('\0');
    if (nul != std::string::npos) {
        int line = 1;
        for (size_t i = 0; i < nul; ++i) line += text[i] == '\n';
        return Error(file.string() + ":" + std::to_string(line) + ": not a text file (NUL byte)");
    }
    return parse_dotenv(text, file.string(), lookup);
}

}  // namespace hako::project
