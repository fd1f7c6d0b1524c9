// This file implements the scalar parsers normalisation needs: Go-style paths,
// durations and their canonical text, docker byte sizes, and shell-word
// splitting of command strings (see normalize_detail.h).
#include <cmath>
#include <limits>

#include "src/project/normalize_detail.h"

namespace hako::project::detail {

std::string clean_path(std::string_view path) {
    if (path.empty()) return ".";
    const bool rooted = path.front() == '/';
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view part = path.substr(i, j - i);
        i = j + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..") {
                parts.pop_back();
            } else if (!rooted) {
                parts.push_back(part);
            }
            continue;
        }
        parts.push_back(part);
    }
    std::string out = rooted ? "/" : "";
    for (size_t k = 0; k < parts.size(); ++k) {
        if (k > 0) out += '/';
        out += parts[k];
    }
    if (out.empty()) out = ".";
    return out;
}

std::optional<int64_t> parse_duration(std::string_view text) {
    if (text == "0") return 0;
    std::string_view rest = text;
    bool negative = false;
    if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
        negative = rest.front() == '-';
        rest.remove_prefix(1);
    }
    if (rest.empty()) return std::nullopt;
    long double total = 0;
    while (!rest.empty()) {
        size_t digits = 0;
        long double whole = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
            whole = whole * 10 + (rest[digits] - '0');
            ++digits;
        }
        long double fraction = 0;
        size_t end = digits;
        if (end < rest.size() && rest[end] == '.') {
            ++end;
            long double scale = 0.1L;
            size_t fraction_digits = 0;
            while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') {
                fraction += (rest[end] - '0') * scale;
                scale /= 10;
                ++end;
                ++fraction_digits;
            }
            if (digits == 0 && fraction_digits == 0) return std::nullopt;
        } else if (digits == 0) {
            return std::nullopt;
        }
        rest.remove_prefix(end);
        static constexpr struct {
            std::string_view name;
            int64_t nanoseconds;
        } units[] = {
            {"ns", 1},
            {"us", 1000},
            {"\xC2\xB5s", 1000},  // µ (micro sign)
            {"\xCE\xBCs", 1000},  // μ (Greek mu)
            {"ms", 1000000},
            {"s", 1000000000LL},
            {"m", 60LL * 1000000000LL},
            {"h", 3600LL * 1000000000LL},
            {"d", 24LL * 3600LL * 1000000000LL},
            {"w", 7LL * 24LL * 3600LL * 1000000000LL},
        };
        size_t unit_length = 0;
        while (unit_length < rest.size() && !(rest[unit_length] >= '0' && rest[unit_length] <= '9') &&
               rest[unit_length] != '.')
            ++unit_length;
        std::string_view unit = rest.substr(0, unit_length);
        rest.remove_prefix(unit_length);
        bool known = false;
        for (const auto& candidate : units) {
            if (candidate.name == unit) {
                total += (whole + fraction) * candidate.nanoseconds;
                known = true;
                break;
            }
        }
        if (!known) return std::nullopt;  // a missing or unknown unit
        if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    }
    int64_t value = static_cast<int64_t>(std::llround(total));
    return negative ? -value : value;
}

static std::string fraction_digits(uint64_t fraction, int precision) {
    // The fraction's digits at `precision`, trailing zeros dropped; "" when 0.
    std::string digits(precision, '0');
    for (int i = precision - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + fraction % 10);
        fraction /= 10;
    }
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return digits.empty() ? digits : "." + digits;
}

std::string format_duration(int64_t nanoseconds) {
    if (nanoseconds == 0) return "0s";
    const bool negative = nanoseconds < 0;
    uint64_t u = negative ? 0 - static_cast<uint64_t>(nanoseconds) : static_cast<uint64_t>(nanoseconds);
    std::string out = negative ? "-" : "";
    constexpr uint64_t second = 1000000000ULL;
    if (u < second) {
        if (u < 1000) return out + std::to_string(u) + "ns";
        if (u < 1000000) return out + std::to_string(u / 1000) + fraction_digits(u % 1000, 3) + "\xC2\xB5s";
        return out + std::to_string(u / 1000000) + fraction_digits(u % 1000000, 6) + "ms";
    }
    std::string seconds = std::to_string((u / second) % 60) + fraction_digits(u % second, 9) + "s";
    uint64_t minutes = u / second / 60;
    if (minutes > 0) {
        std::string with_minutes = std::to_string(minutes % 60) + "m" + seconds;
        uint64_t hours = minutes / 60;
        if (hours > 0) return out + std::to_string(hours) + "h" + with_minutes;
        return out + with_minutes;
    }
    return out + seconds;
}

std::optional<int64_t> parse_size(std::string_view text) {
    if (text.empty()) return std::nullopt;
    // A plain integer, negative included ("-1" means unlimited for memswap).
    {
        size_t start = text.front() == '-' ? 1 : 0;
        bool all_digits = start < text.size();
        for (size_t i = start; i < text.size(); ++i) all_digits = all_digits && text[i] >= '0' && text[i] <= '9';
        if (all_digits) {
            if (text.size() - start > 18) return std::nullopt;
            return std::stoll(std::string(text));
        }
    }
    // docker's RAMInBytes: ^(\d+(\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$, binary multiples.
    size_t i = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == 0) return std::nullopt;
    if (i < text.size() && text[i] == '.') {
        size_t j = i + 1;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
        if (j == i + 1) return std::nullopt;
        i = j;
    }
    long double number = std::stold(std::string(text.substr(0, i)));
    std::string_view suffix = text.substr(i);
    if (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
    long double multiplier = 1;
    if (!suffix.empty()) {
        static constexpr std::string_view prefixes = "kmgtp";
        char c = static_cast<char>(suffix.front() | 0x20);
        size_t power = prefixes.find(c);
        if (power != std::string_view::npos) {
            for (size_t p = 0; p <= power; ++p) multiplier *= 1024;
            suffix.remove_prefix(1);
        }
    }
    if (!suffix.empty() && (suffix.front() == 'i' || suffix.front() == 'I')) suffix.remove_prefix(1);
    if (!suffix.empty() && (suffix.front() == 'b' || suffix.front() == 'B')) suffix.remove_prefix(1);
    if (!suffix.empty()) return std::nullopt;
    long double bytes = number * multiplier;
    if (bytes >= static_cast<long double>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(bytes);
}

std::optional<std::vector<std::string>> split_shell_words(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\\') {
            if (i + 1 < text.size()) {
                if (text[i + 1] != '\n') word += text[i + 1];  // backslash-newline joins lines
                ++i;
            }
            continue;
        }
        if (c == '\'') {
            size_t end = text.find('\'', i + 1);
            if (end == std::string_view::npos) return std::nullopt;
            word.append(text.substr(i + 1, end - i - 1));
            i = end;
            continue;
        }
        if (c == '"') {
            size_t j = i + 1;
            for (; j < text.size() && text[j] != '"'; ++j) {
                if (text[j] == '\\' && j + 1 < text.size() &&
                    (text[j + 1] == '"' || text[j + 1] == '\\' || text[j + 1] == '$' || text[j + 1] == '`')) {
                    word += text[++j];
                } else {
                    word += text[j];
                }
            }
            if (j >= text.size()) return std::nullopt;
            i = j;
            continue;
        }
        word += c;
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

Json scalar_to_string(const Json& value) {
    switch (value.type()) {
    case Json::value_t::string:
    case Json::value_t::null:
        return value;
    case Json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
    default:
        return value.dump();
    }
}

}  // namespace hako::project::detail
