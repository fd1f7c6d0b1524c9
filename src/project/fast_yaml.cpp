// This file implements the fast YAML event source (fast_yaml.h): a recursive
// descent over lines for the common block subset, delivering yaml-cpp's events
// with yaml-cpp's marks, and declining (Decline) whenever it is not sure, so
// that yaml-cpp's own parser takes over. tests/unit/project/fast_yaml_test.cpp
// and tests/fuzz/yaml_diff_fuzz.cpp compare the two event streams.
#include "src/project/fast_yaml.h"

#include <yaml-cpp/emitterstyle.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace hako::project {

namespace {

struct Decline {};

// yaml-cpp's limit on the length of a simple key.
constexpr size_t kMaxKeyLength = 1000;

bool null_string(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

bool anchor_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

struct Props {
    std::string tag;     // "" when none
    std::string anchor;  // "" when none
    bool any() const { return !tag.empty() || !anchor.empty(); }
};

class FastParser {
public:
    FastParser(std::string_view text, YAML::EventHandler& handler) : text_(text), h_(handler) {}

    void parse() {
        // At the end of a last line without a line break yaml-cpp's marks vary: leave those files to it.
        if (!text_.empty() && text_.back() != '\n') throw Decline{};
        for (char c : text_) {
            auto u = static_cast<unsigned char>(c);
            if (c == '\t' || c == '\r' || u >= 0x80 || (u < 0x20 && c != '\n')) throw Decline{};
        }
        skip_to_content();
        if (at_end()) return;  // yaml-cpp delivers no document at all
        if (col() != 0 || !key_here()) throw Decline{};  // compose files are mappings; other roots go to yaml-cpp
        h_.OnDocumentStart(mark());
        node(-1, true);
        skip_to_content();
        if (!at_end()) throw Decline{};
        h_.OnDocumentEnd();
    }

private:
    // ------------------------------------------------------------ position
    bool at_end() const { return pos_ >= text_.size(); }
    char peek(size_t k = 0) const { return pos_ + k < text_.size() ? text_[pos_ + k] : '\0'; }
    int col() const { return int(pos_ - line_start_); }
    YAML::Mark mark() const {
        YAML::Mark m;
        m.pos = int(pos_);
        m.line = line_;
        m.column = col();
        return m;
    }
    // yaml-cpp resets the column at the end of the stream.
    YAML::Mark end_mark() const {
        YAML::Mark m = mark();
        m.column = 0;
        return m;
    }
    YAML::Mark next_mark() const { return at_end() ? end_mark() : mark(); }
    static bool blank_or_end(char c) { return c == ' ' || c == '\n' || c == '\0'; }

    void newline() {
        ++pos_;
        ++line_;
        line_start_ = pos_;
    }
    size_t skip_spaces() {
        size_t start = pos_;
        while (peek() == ' ') ++pos_;
        return pos_ - start;
    }
    // After a token: only spaces and a comment are left on the line.
    bool rest_of_line_empty() {
        size_t spaces = skip_spaces();
        if (at_end() || peek() == '\n') return true;
        if (peek() == '#' && (spaces > 0 || pos_ == line_start_)) {
            while (!at_end() && peek() != '\n') ++pos_;
            return true;
        }
        return false;
    }
    // Skips blank lines and comments up to the next content character.
    void skip_to_content() {
        for (;;) {
            skip_spaces();
            if (at_end()) return;
            char c = peek();
            if (c == '#') {
                while (!at_end() && peek() != '\n') ++pos_;
                continue;
            }
            if (c == '\n') {
                newline();
                continue;
            }
            if (col() == 0) {
                std::string_view rest = text_.substr(pos_);
                if (c == '%') throw Decline{};
                if ((rest.substr(0, 3) == "---" || rest.substr(0, 3) == "...") &&
                    (rest.size() == 3 || rest[3] == ' ' || rest[3] == '\n'))
                    throw Decline{};
            }
            return;
        }
    }
    bool seq_entry_here() const { return peek() == '-' && blank_or_end(peek(1)); }

    // ------------------------------------------------------------ events
    YAML::anchor_t define(const YAML::Mark& m, const Props& p) {
        if (p.anchor.empty()) return YAML::NullAnchor;
        YAML::anchor_t id = ++last_anchor_;
        anchors_[p.anchor] = id;
        h_.OnAnchor(m, p.anchor);
        return id;
    }
    void scalar(const YAML::Mark& m, const Props& p, bool plain, const std::string& value) {
        YAML::anchor_t id = define(m, p);
        std::string tag = !p.tag.empty() ? p.tag : plain ? "?" : "!";
        if (tag == "?" && null_string(value))
            h_.OnNull(m, id);
        else
            h_.OnScalar(m, tag, id, value);
    }

    // ------------------------------------------------------------ nodes
    Props properties() {
        Props p;
        for (;;) {
            char c = peek();
            if (c == '&') {
                if (!p.anchor.empty()) throw Decline{};
                ++pos_;
                size_t start = pos_;
                while (anchor_char(peek())) ++pos_;
                if (pos_ == start || !blank_or_end(peek())) throw Decline{};
                p.anchor = std::string(text_.substr(start, pos_ - start));
            } else if (c == '!') {
                if (!p.tag.empty()) throw Decline{};
                ++pos_;
                std::string prefix = "!";
                if (peek() == '!') {
                    ++pos_;
                    prefix = "tag:yaml.org,2002:";
                }
                size_t start = pos_;
                while (anchor_char(peek())) ++pos_;
                if (pos_ == start || !blank_or_end(peek())) throw Decline{};
                p.tag = prefix + std::string(text_.substr(start, pos_ - start));
            } else {
                return p;
            }
            skip_spaces();
        }
    }

    // A node starting at pos_. `parent` is the indentation of the collection
    // that holds it (-1 at the root); `block` allows a block collection to
    // start on this line (the root, a sequence entry, a value on its own line).
    void node(int parent, bool block) {
        YAML::Mark m = mark();
        Props p = properties();
        if (p.any() && rest_of_line_empty()) {
            skip_to_content();
            if (!at_end() && col() > parent && (seq_entry_here() || key_here())) {
                if (seq_entry_here())
                    sequence(col(), m, p, false);
                else
                    mapping(col(), m, p);
                return;
            }
            if (!at_end() && (col() > parent || seq_entry_here())) throw Decline{};
            YAML::anchor_t id = define(m, p);
            // yaml-cpp drops the tag when no token at all follows (a root node at the end).
            if (p.tag.empty() || (at_end() && parent < 0))
                h_.OnNull(m, id);
            else
                h_.OnScalar(m, p.tag, id, "");
            return;
        }
        char c = peek();
        if (block && !p.any()) {
            if (seq_entry_here()) return sequence(col(), m, p, false);
            if (key_here()) return mapping(col(), m, p);
        } else if (p.any() && key_here()) {
            throw Decline{};  // yaml-cpp gives properties before a key on its line to the key
        }
        if (c == '*') {
            if (p.any()) throw Decline{};
            ++pos_;
            size_t start = pos_;
            while (anchor_char(peek())) ++pos_;
            auto it = anchors_.find(std::string(text_.substr(start, pos_ - start)));
            if (pos_ == start || it == anchors_.end()) throw Decline{};
            h_.OnAlias(m, it->second);
        } else if (c == '[' || c == '{') {
            flow(m, p);
        } else if (c == '|' || c == '>') {
            block_scalar(parent, m, p);
            return;  // positioned at the next content already
        } else if (c == '\'' || c == '"') {
            scalar(m, p, false, quoted());
        } else {
            scalar(m, p, true, plain(false));
        }
        if (!rest_of_line_empty()) throw Decline{};
        skip_to_content();
    }

    // Whether a simple key (a one-line scalar followed by ": ") starts at pos_.
    bool key_here() {
        size_t save = pos_;
        bool key = false;
        try {
            char c = peek();
            if (c == '\'' || c == '"')
                quoted();
            else if (plain_can_start(false))
                plain(false);
            else
                return false;  // (pos_ has not moved)
            skip_spaces();
            key = peek() == ':' && blank_or_end(peek(1)) && pos_ - save <= kMaxKeyLength;
        } catch (const Decline&) {
            key = false;
        }
        pos_ = save;
        return key;
    }

    void mapping(int indent, const YAML::Mark& m, const Props& p) {
        YAML::anchor_t id = define(m, p);
        h_.OnMapStart(m, p.tag.empty() ? "?" : p.tag, id, YAML::EmitterStyle::Block);
        for (;;) {
            if (col() != indent || !key_here()) throw Decline{};
            YAML::Mark km = mark();
            if (peek() == '\'' || peek() == '"')
                scalar(km, {}, false, quoted());
            else
                scalar(km, {}, true, plain(false));
            skip_spaces();
            ++pos_;  // ':'
            if (rest_of_line_empty()) {
                skip_to_content();
                if (at_end())
                    h_.OnNull(end_mark(), YAML::NullAnchor);
                else if (col() > indent)
                    node(indent, true);
                else if (col() == indent && seq_entry_here())
                    sequence(indent, mark(), {}, true);
                else
                    h_.OnNull(mark(), YAML::NullAnchor);
            } else {
                node(indent, false);
            }
            if (at_end() || col() < indent) break;
            if (col() > indent) throw Decline{};
        }
        h_.OnMapEnd();
    }

    void sequence(int indent, const YAML::Mark& m, const Props& p, bool indentless) {
        YAML::anchor_t id = define(m, p);
        h_.OnSequenceStart(m, p.tag.empty() ? "?" : p.tag, id, YAML::EmitterStyle::Block);
        for (;;) {
            ++pos_;  // '-'
            if (rest_of_line_empty()) {
                skip_to_content();
                if (!at_end() && col() > indent)
                    node(indent, true);
                else
                    h_.OnNull(next_mark(), YAML::NullAnchor);
            } else {
                node(indent, true);
            }
            if (at_end() || col() < indent) break;
            if (col() > indent) throw Decline{};
            if (!seq_entry_here()) {
                if (indentless) break;
                throw Decline{};
            }
        }
        h_.OnSequenceEnd();
    }

    // ------------------------------------------------------------ scalars
    // A plain scalar at pos_ on this line; pos_ ends after its last non-space.
    bool plain_can_start(bool in_flow) const {
        char c = peek();
        static constexpr std::string_view kIndicators = "[]{},#&*!|>'\"%@`";
        if (at_end() || c == '\n' || c == ' ' || kIndicators.find(c) != std::string_view::npos) return false;
        if ((c == '-' || c == '?' || c == ':') && blank_or_end(peek(1))) return false;
        return !(c == '?' || (in_flow && c == '-'));
    }

    std::string plain(bool in_flow) {
        if (!plain_can_start(in_flow)) throw Decline{};
        size_t start = pos_, end = pos_;
        for (;;) {
            char d = peek();
            if (at_end() || d == '\n') break;
            if (d == ':' && (blank_or_end(peek(1)) || (in_flow && std::string_view(",[]{}").find(peek(1)) !=
                                                                       std::string_view::npos)))
                break;
            if (d == '#' && pos_ > start && text_[pos_ - 1] == ' ') break;
            // yaml-cpp ends a flow scalar at '?' as well (and then rejects the '?').
            if (in_flow && std::string_view(",?[]{}").find(d) != std::string_view::npos) break;
            ++pos_;
            if (d != ' ') end = pos_;
        }
        pos_ = end;
        return std::string(text_.substr(start, end - start));
    }

    std::string quoted() {
        char q = peek();
        ++pos_;
        std::string out;
        for (;;) {
            if (at_end() || peek() == '\n') throw Decline{};
            char c = peek();
            if (q == '\'') {
                if (c == '\'') {
                    if (peek(1) == '\'') {
                        out += '\'';
                        pos_ += 2;
                        continue;
                    }
                    ++pos_;
                    return out;
                }
                out += c;
                ++pos_;
                continue;
            }
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            char e = peek(1);
            pos_ += 2;
            switch (e) {
                case '0': out += '\0'; break;
                case 'a': out += '\a'; break;
                case 'b': out += '\b'; break;
                case 't': out += '\t'; break;
                case 'n': out += '\n'; break;
                case 'v': out += '\v'; break;
                case 'f': out += '\f'; break;
                case 'r': out += '\r'; break;
                case 'e': out += '\x1b'; break;
                case ' ': out += ' '; break;
                case '"': out += '"'; break;
                case '/': out += '/'; break;
                case '\\': out += '\\'; break;
                case 'L': append_utf8(out, 0x2028); break;
                case 'P': append_utf8(out, 0x2029); break;
                case 'x':
                case 'u':
                case 'U': {
                    size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    uint32_t cp = 0;
                    for (size_t i = 0; i < digits; ++i) {
                        char h = peek();
                        int v = h >= '0' && h <= '9' ? h - '0'
                                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                       : -1;
                        if (v < 0) throw Decline{};
                        cp = cp * 16 + uint32_t(v);
                        ++pos_;
                    }
                    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0) throw Decline{};
                    append_utf8(out, cp);
                    break;
                }
                default: throw Decline{};
            }
        }
    }

    // `|` or `>` with an optional chomping indicator; content lines indented
    // more than the holding collection. Leaves pos_ at the next content.
    void block_scalar(int parent, const YAML::Mark& m, const Props& p) {
        bool folded = peek() == '>';
        ++pos_;
        char chomp = 'c';
        if (peek() == '+') throw Decline{};  // keep: yaml-cpp's trailing lines at the end differ
        if (peek() == '-') {
            chomp = peek();
            ++pos_;
        }
        if (!blank_or_end(peek()) || !rest_of_line_empty() || at_end()) throw Decline{};
        newline();
        struct Line {
            std::string_view text;
            bool empty;
        };
        std::vector<Line> lines;
        int indent = -1;
        for (;;) {
            if (at_end()) break;
            size_t nl = text_.find('\n', pos_);
            if (nl == std::string_view::npos) throw Decline{};  // no final line break: leave to yaml-cpp
            std::string_view line = text_.substr(pos_, nl - pos_);
            size_t spaces = line.find_first_not_of(' ');
            bool empty = spaces == std::string_view::npos;
            if (empty) spaces = line.size();
            if (!empty) {
                if (indent < 0) {
                    if (int(spaces) <= parent) throw Decline{};
                    indent = int(spaces);
                    for (const Line& before : lines)
                        if (int(before.text.size()) > indent) throw Decline{};
                }
                if (int(spaces) < indent) break;
                if (folded && int(spaces) > indent) throw Decline{};
                lines.push_back({line.substr(size_t(indent)), false});
            } else {
                if (indent >= 0 && int(spaces) > indent) throw Decline{};
                lines.push_back({line, true});
            }
            pos_ = nl;
            newline();
        }
        if (indent < 0) throw Decline{};
        size_t last = lines.size();
        while (last > 0 && lines[last - 1].empty) --last;
        std::string value;
        int pending_empty = 0;
        bool seen_content = false;
        for (size_t i = 0; i < last; ++i) {
            if (lines[i].empty) {
                ++pending_empty;
                continue;
            }
            if (!seen_content) {
                value.append(size_t(pending_empty), '\n');
            } else {
                if (!folded)
                    value.append(size_t(pending_empty) + 1, '\n');
                else if (pending_empty == 0)
                    value += ' ';
                else
                    value.append(size_t(pending_empty), '\n');
            }
            pending_empty = 0;
            seen_content = true;
            value += lines[i].text;
        }
        if (chomp == 'c' && last > 0) value += '\n';
        scalar(m, p, false, value);
        skip_to_content();
    }

    // A flow collection or scalar on this line.
    void flow_node() {
        YAML::Mark m = mark();
        char c = peek();
        if (c == '[' || c == '{') {
            flow(m, {});
        } else if (c == '\'' || c == '"') {
            scalar(m, {}, false, quoted());
        } else if (c == '*') {
            ++pos_;
            size_t start = pos_;
            while (anchor_char(peek())) ++pos_;
            auto it = anchors_.find(std::string(text_.substr(start, pos_ - start)));
            if (pos_ == start || it == anchors_.end()) throw Decline{};
            h_.OnAlias(m, it->second);
        } else {
            scalar(m, {}, true, plain(true));
        }
    }

    void flow(const YAML::Mark& m, const Props& p) {
        bool map = peek() == '{';
        char close = map ? '}' : ']';
        YAML::anchor_t id = define(m, p);
        std::string tag = p.tag.empty() ? "?" : p.tag;
        if (map)
            h_.OnMapStart(m, tag, id, YAML::EmitterStyle::Flow);
        else
            h_.OnSequenceStart(m, tag, id, YAML::EmitterStyle::Flow);
        ++pos_;
        skip_spaces();
        if (peek() == close) {
            ++pos_;
        } else {
            for (;;) {
                if (map) {
                    char k = peek();
                    if (k == '[' || k == '{' || k == '*') throw Decline{};
                    flow_node();
                    skip_spaces();
                    if (peek() != ':' || peek(1) != ' ') throw Decline{};
                    ++pos_;
                    skip_spaces();
                }
                if (peek() == ',' || peek() == close || peek() == ':') throw Decline{};
                flow_node();
                skip_spaces();
                if (peek() == ',') {
                    ++pos_;
                    skip_spaces();
                    if (peek() == close) throw Decline{};
                    continue;
                }
                if (peek() == close) {
                    ++pos_;
                    break;
                }
                throw Decline{};
            }
        }
        if (map)
            h_.OnMapEnd();
        else
            h_.OnSequenceEnd();
    }

    std::string_view text_;
    YAML::EventHandler& h_;
    size_t pos_ = 0;
    int line_ = 0;
    size_t line_start_ = 0;
    std::unordered_map<std::string, YAML::anchor_t> anchors_;
    YAML::anchor_t last_anchor_ = 0;
};

}  // namespace

bool fast_yaml_parse(std::string_view text, YAML::EventHandler& handler) {
    try {
        FastParser(text, handler).parse();
        return true;
    } catch (const Decline&) {
        return false;
    }
}

}  // namespace hako::project
