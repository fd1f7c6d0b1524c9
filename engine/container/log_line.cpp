// This file implements docker's json-file log line encoding (log_line.h).
#include "engine/container/log_line.h"

#include <time.h>

#include <cctype>
#include <cmath>
#include <optional>
#include <nlohmann/json.hpp>

#include "engine/container/options.h"

namespace hako::container {

namespace {

// The length of the well-formed UTF-8 sequence at the start of `text`, or 0.
size_t utf8_sequence_length(std::string_view text) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(0);
    size_t length = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xC2 && lead <= 0xDF ? 2 : 0;
    if (length == 0 || length > text.size()) return 0;
    for (size_t i = 1; i < length; ++i)
        if ((byte(i) & 0xC0) != 0x80) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;                     // overlong
    if (lead == 0xED && byte(1) >= 0xA0) return 0;                    // surrogates
    if (lead == 0xF0 && byte(1) < 0x90) return 0;                     // overlong
    if (lead == 0xF4 && byte(1) >= 0x90) return 0;                    // beyond U+10FFFF
    return length;
}

}  // namespace

std::string encode_log_line(std::string_view text, std::string_view stream, std::string_view time) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() + stream.size() + time.size() + 40);
    out += "{\"log\":\"";
    for (size_t i = 0; i < text.size(); ++i) {
        char ch = text[i];
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x80) {
            // Valid UTF-8 is kept; anything else becomes U+FFFD, as docker's
            // json-file driver writes it, so every line stays valid JSON.
            size_t length = utf8_sequence_length(text.substr(i));
            if (length == 0) {
                out += "\xEF\xBF\xBD";
            } else {
                out.append(text.substr(i, length));
                i += length - 1;
            }
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
    out += "\",\"stream\":\"";
    out += stream;
    out += "\",\"time\":\"";
    out += time;
    out += "\"}\n";
    return out;
}

Result<LogEntry> decode_log_line(std::string_view line) {
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("log") || !doc["log"].is_string())
        return Error("bad log line: " + std::string(line.substr(0, 80)));
    LogEntry entry;
    entry.log = doc["log"].get<std::string>();
    entry.stream = doc.value("stream", "");
    entry.time = doc.value("time", "");
    return entry;
}

namespace {

bool all_digits(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

int to_int(std::string_view digits) {
    int value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    return value;
}

Error bad_time(std::string_view text) {
    return Error::usage("invalid time \"" + std::string(text) +
                        "\": expected RFC 3339, a unix timestamp or a duration such as 10m");
}

}  // namespace

Result<int64_t> parse_rfc3339_ns(std::string_view text) {
    // YYYY-MM-DD[THH:MM:SS[.fraction](Z|±hh:mm)]
    if (text.size() < 10 || text[4] != '-' || text[7] != '-') return bad_time(text);
    if (!all_digits(text.substr(0, 4)) || !all_digits(text.substr(5, 2)) || !all_digits(text.substr(8, 2)))
        return bad_time(text);
    tm parts{};
    parts.tm_year = to_int(text.substr(0, 4)) - 1900;
    parts.tm_mon = to_int(text.substr(5, 2)) - 1;
    parts.tm_mday = to_int(text.substr(8, 2));
    int64_t fraction_ns = 0, offset_s = 0;
    if (text.size() > 10) {
        if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text.size() < 19 || text[13] != ':' ||
            text[16] != ':')
            return bad_time(text);
        if (!all_digits(text.substr(11, 2)) || !all_digits(text.substr(14, 2)) || !all_digits(text.substr(17, 2)))
            return bad_time(text);
        parts.tm_hour = to_int(text.substr(11, 2));
        parts.tm_min = to_int(text.substr(14, 2));
        parts.tm_sec = to_int(text.substr(17, 2));
        size_t i = 19;
        if (i < text.size() && text[i] == '.') {
            size_t start = ++i;
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
            std::string digits(text.substr(start, std::min<size_t>(i - start, 9)));
            if (digits.empty()) return bad_time(text);
            digits.resize(9, '0');
            fraction_ns = std::stoll(digits);
        }
        std::string_view zone = text.substr(i);
        if (zone == "Z" || zone == "z" || zone.empty()) {
        } else if ((zone[0] == '+' || zone[0] == '-') && zone.size() == 6 && zone[3] == ':' &&
                   all_digits(zone.substr(1, 2)) && all_digits(zone.substr(4, 2))) {
            offset_s = (to_int(zone.substr(1, 2)) * 3600 + to_int(zone.substr(4, 2)) * 60) * (zone[0] == '-' ? -1 : 1);
        } else {
            return bad_time(text);
        }
    }
    if (parts.tm_mon > 11 || parts.tm_mday < 1 || parts.tm_mday > 31 || parts.tm_hour > 23 || parts.tm_min > 59 ||
        parts.tm_sec > 60)
        return bad_time(text);
    int64_t seconds = static_cast<int64_t>(::timegm(&parts)) - offset_s;
    return seconds * 1000000000 + fraction_ns;
}

Result<int64_t> parse_log_time_ns(std::string_view text, int64_t now_ns) {
    if (text.empty()) return bad_time(text);
    if (auto duration = parse_go_duration_ns(text)) return now_ns - *duration;
    // A unix timestamp: seconds[.fraction]
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    if (all_digits(whole) && whole.size() < 12 && (dot == std::string_view::npos || all_digits(text.substr(dot + 1)))) {
        int64_t ns = std::stoll(std::string(whole)) * 1000000000;
        if (dot != std::string_view::npos) {
            std::string digits(text.substr(dot + 1, 9));
            digits.resize(9, '0');
            ns += std::stoll(digits);
        }
        return ns;
    }
    return parse_rfc3339_ns(text);
}

}  // namespace hako::container
