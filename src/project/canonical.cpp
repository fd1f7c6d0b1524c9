// This file implements the canonical YAML and JSON printers (see canonical.h).
// The YAML emitter is hand-written because it only ever prints one style and
// must be fast (500 services in a few ms) and exact about quoting.
#include "src/project/canonical.h"

#include <cmath>
#include <string_view>

namespace hako::project {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool equals_ignoring_case(std::string_view text, std::string_view word) {
    if (text.size() != word.size()) return false;
    for (size_t i = 0; i < text.size(); ++i)
        if ((text[i] | 0x20) != word[i]) return false;
    return true;
}

// YAML 1.1 base 60: [1-9][0-9_]*(:[0-5]?[0-9])+(.[0-9_]*)? — "56:56" is 3416 to
// PyYAML, the classic trap with unquoted ports; "8080:80" is not base 60.
bool looks_sexagesimal(std::string_view text) {
    size_t i = 0;
    if (i >= text.size() || text[i] < '1' || text[i] > '9') return false;
    while (i < text.size() && (is_digit(text[i]) || text[i] == '_')) ++i;
    size_t groups = 0;
    while (i < text.size() && text[i] == ':') {
        ++i;
        size_t start = i;
        while (i < text.size() && is_digit(text[i])) ++i;
        const size_t length = i - start;
        if (length == 0 || length > 2 || (length == 2 && text[start] > '5')) return false;
        ++groups;
    }
    if (groups == 0) return false;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && (is_digit(text[i]) || text[i] == '_')) ++i;
    }
    return i == text.size();
}

// Would a YAML 1.1 or 1.2 reader take this plain scalar for a number?
bool looks_numeric(std::string_view text) {
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) text.remove_prefix(1);
    if (text.empty()) return false;
    if (equals_ignoring_case(text, ".inf") || equals_ignoring_case(text, ".nan")) return true;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o' || text[1] == 'b' ||
                                              text[1] == 'X' || text[1] == 'O' || text[1] == 'B')) {
        for (char c : text.substr(2))
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '_') return false;
        return true;
    }
    if (looks_sexagesimal(text)) return true;
    size_t i = 0;
    bool digits = false;
    auto take_digits = [&] {
        while (i < text.size() && (is_digit(text[i]) || text[i] == '_')) {
            digits = digits || is_digit(text[i]);
            ++i;
        }
    };
    take_digits();
    if (i < text.size() && text[i] == '.') {
        ++i;
        take_digits();
    }
    if (!digits) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        size_t start = i;
        while (i < text.size() && is_digit(text[i])) ++i;
        if (i == start) return false;
    }
    return i == text.size();
}

bool is_reserved_word(std::string_view text) {
    for (std::string_view word : {"null", "~", "true", "false", "yes", "no", "on", "off", "<<", "="})
        if (equals_ignoring_case(text, word)) return true;
    return false;
}

void append_double_quoted(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                out += "\\x";
                out += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
                out += hex[static_cast<unsigned char>(c) & 0xf];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

// Multi-line text prints as a literal block when its lines read back exactly.
bool fits_literal_block(std::string_view text) {
    if (text.find('\n') == std::string_view::npos) return false;
    if (text.front() == ' ' || text.front() == '\t' || text.front() == '\n') return false;
    for (char c : text)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
    return true;
}

void append_literal_block(std::string& out, std::string_view text, size_t indent) {
    size_t trailing = 0;
    while (trailing < text.size() && text[text.size() - 1 - trailing] == '\n') ++trailing;
    out += trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n";
    // The last newline is the one the block's final line break stands for.
    std::string_view body = trailing == 0 ? text : text.substr(0, text.size() - 1);
    size_t start = 0;
    while (start <= body.size()) {
        size_t end = body.find('\n', start);
        if (end == std::string_view::npos) end = body.size();
        std::string_view line = body.substr(start, end - start);
        if (!line.empty()) {
            out.append(indent, ' ');
            out += line;
        }
        out += '\n';
        start = end + 1;
    }
}

void append_scalar(std::string& out, const Json& value) {
    switch (value.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(value.get<int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(value.get<uint64_t>()); break;
    case Json::value_t::number_float: {
        double number = value.get<double>();
        if (std::isnan(number)) {
            out += ".nan";
        } else if (std::isinf(number)) {
            out += number > 0 ? ".inf" : "-.inf";
        } else {
            out += value.dump();
        }
        break;
    }
    case Json::value_t::string: {
        const auto& text = value.get_ref<const std::string&>();
        if (yaml_needs_quotes(text)) {
            append_double_quoted(out, text);
        } else {
            out += text;
        }
        break;
    }
    case Json::value_t::object: out += "{}"; break;
    case Json::value_t::array: out += "[]"; break;
    default: out += "null"; break;
    }
}

void append_key(std::string& out, const std::string& key) {
    if (yaml_needs_quotes(key) || key.find('\n') != std::string::npos) {
        append_double_quoted(out, key);
    } else {
        out += key;
    }
}

bool is_block(const Json& value) { return (value.is_object() || value.is_array()) && !value.empty(); }

void append_block(std::string& out, const Json& value, size_t indent, bool first_inline);

// What follows "key:" or "- ": a nested block on the next lines, a literal
// block, or a scalar on the same line. `indent` is where nested content goes.
void append_node_value(std::string& out, const Json& value, size_t indent, bool after_dash) {
    if (is_block(value)) {
        if (after_dash) {
            append_block(out, value, indent, true);
        } else {
            out += '\n';
            append_block(out, value, indent, false);
        }
        return;
    }
    if (!after_dash) out += ' ';
    if (value.is_string() && fits_literal_block(value.get_ref<const std::string&>())) {
        append_literal_block(out, value.get_ref<const std::string&>(), indent);
        return;
    }
    append_scalar(out, value);
    out += '\n';
}

void append_block(std::string& out, const Json& value, size_t indent, bool first_inline) {
    bool first = true;
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (!(first && first_inline)) out.append(indent, ' ');
            first = false;
            append_key(out, it.key());
            out += ':';
            append_node_value(out, it.value(), indent + 2, false);
        }
    } else {
        for (const auto& item : value) {
            if (!(first && first_inline)) out.append(indent, ' ');
            first = false;
            out += "- ";
            append_node_value(out, item, indent + 2, true);
        }
    }
}

}  // namespace

bool yaml_needs_quotes(const std::string& text) {
    if (text.empty()) return true;
    for (char c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    const char first = text.front();
    if (first == ' ' || text.back() == ' ') return true;
    if (std::string_view("[]{},#&*!|>'\"%@`").find(first) != std::string_view::npos) return true;
    if ((first == '-' || first == '?' || first == ':') && (text.size() == 1 || text[1] == ' ')) return true;
    if (text.rfind("---", 0) == 0 || text.rfind("...", 0) == 0) return true;
    if (text.find(": ") != std::string::npos || text.find(" #") != std::string::npos || text.back() == ':')
        return true;
    return is_reserved_word(text) || looks_numeric(text);
}

std::string to_yaml(const Json& value) {
    std::string out;
    out.reserve(4096);
    if (is_block(value)) {
        append_block(out, value, 0, false);
    } else if (value.is_string() && fits_literal_block(value.get_ref<const std::string&>())) {
        append_literal_block(out, value.get_ref<const std::string&>(), 2);
    } else {
        append_scalar(out, value);
        out += '\n';
    }
    return out;
}

std::string to_json(const Json& value, bool pretty) {
    std::string out = value.dump(pretty ? 2 : -1, ' ', false, Json::error_handler_t::replace);
    if (pretty) out += '\n';
    return out;
}

}  // namespace hako::project
