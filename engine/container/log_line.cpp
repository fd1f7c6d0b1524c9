// This file implements docker's json-file log line encoding (log_line.h).
#include "engine/container/log_line.h"

#include <nlohmann/json.hpp>

namespace hako::container {

std::string encode_log_line(std::string_view text, std::string_view stream, std::string_view time) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() + stream.size() + time.size() + 40);
    out += "{\"log\":\"";
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
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

}  // namespace hako::container
