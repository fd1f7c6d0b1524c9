// This file implements parse_duration (see duration.h), after Go's time.ParseDuration.
#include "engine/build/duration.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

namespace hako::build {

Result<int64_t> parse_duration(std::string_view text) {
    auto bad = [&] { return Error("invalid duration \"" + std::string(text) + "\" (e.g. 30s, 1m30s, 500ms)"); };
    if (text == "0") return int64_t{0};
    if (text.empty()) return bad();
    std::string_view s = text;
    double total = 0;
    while (!s.empty()) {
        size_t i = 0;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
        if (i == 0) return bad();
        std::string number(s.substr(0, i));
        if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") return bad();
        s.remove_prefix(i);
        size_t u = 0;
        while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
        std::string_view unit = s.substr(0, u);
        s.remove_prefix(u);
        double scale;
        if (unit == "ns") scale = 1;
        else if (unit == "us" || unit == "\xc2\xb5s") scale = 1e3;
        else if (unit == "ms") scale = 1e6;
        else if (unit == "s") scale = 1e9;
        else if (unit == "m") scale = 60e9;
        else if (unit == "h") scale = 3600e9;
        else return bad();
        total += std::stod(number) * scale;
        if (total > 9.2e18) return bad();
    }
    return static_cast<int64_t>(std::llround(total));
}

}  // namespace hako::build
