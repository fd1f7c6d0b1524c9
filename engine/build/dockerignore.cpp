// This file implements IgnoreMatcher (see dockerignore.h).
#include "engine/build/dockerignore.h"

#include <fnmatch.h>

#include "engine/sys/file.h"

namespace hako::build {

namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        if (!part.empty() && part != ".") {
            if (part == ".." ) {
                if (!parts.empty()) parts.pop_back();
            } else {
                parts.emplace_back(part);
            }
        }
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

bool match_part(const std::string& pattern, const std::string& name) {
    return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

// Whether pattern parts [pi..) match path parts [xi..) entirely; "**" matches any
// number of parts (zero included).
bool match_parts(const std::vector<std::string>& pattern, size_t pi, const std::vector<std::string>& path, size_t xi) {
    if (pi == pattern.size()) return xi == path.size();
    if (pattern[pi] == "**") {
        for (size_t k = xi; k <= path.size(); ++k) {
            if (match_parts(pattern, pi + 1, path, k)) return true;
        }
        return false;
    }
    if (xi == path.size()) return false;
    return match_part(pattern[pi], path[xi]) && match_parts(pattern, pi + 1, path, xi + 1);
}

// The pattern matches the path or one of its parent folders.
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path) {
    if (pattern.empty()) return false;
    for (size_t len = path.size(); len >= 1; --len) {
        std::vector<std::string> prefix(path.begin(), path.begin() + long(len));
        if (match_parts(pattern, 0, prefix, 0)) return true;
    }
    return false;
}

}  // namespace

IgnoreMatcher IgnoreMatcher::parse(std::string_view text) {
    IgnoreMatcher matcher;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string line(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos) continue;
        line = line.substr(start);
        if (line[0] == '#') continue;
        Pattern p;
        if (line[0] == '!') {
            p.exclusion = true;
            line = line.substr(1);
        }
        p.parts = split_path(line);
        if (p.parts.empty()) continue;
        for (size_t i = 0; i < p.parts.size(); ++i) p.text += (i ? "/" : "") + p.parts[i];
        matcher.patterns_.push_back(std::move(p));
    }
    return matcher;
}

Result<IgnoreMatcher> IgnoreMatcher::load(const std::filesystem::path& context, const std::filesystem::path& dockerfile) {
    std::error_code ec;
    std::filesystem::path specific = dockerfile;
    specific += ".dockerignore";
    for (const auto& candidate : {specific, context / ".dockerignore"}) {
        if (std::filesystem::is_regular_file(candidate, ec)) {
            std::string text = TRY(sys::read_file(candidate, 16 << 20));
            return parse(text);
        }
    }
    return IgnoreMatcher();
}

bool IgnoreMatcher::excluded(std::string_view path) const {
    auto parts = split_path(path);
    if (parts.empty()) return false;
    bool result = false;
    for (const auto& p : patterns_) {
        if (p.exclusion == !result) continue;  // cannot change the verdict
        if (matches(p.parts, parts)) result = !p.exclusion;
    }
    return result;
}

bool IgnoreMatcher::may_include_below(std::string_view dir) const {
    auto parts = split_path(dir);
    for (const auto& p : patterns_) {
        if (!p.exclusion) continue;
        // An exception whose leading parts could match this folder's path.
        bool possible = true;
        for (size_t i = 0; i < parts.size() && i < p.parts.size(); ++i) {
            if (p.parts[i] == "**") break;
            if (!match_part(p.parts[i], parts[i])) {
                possible = false;
                break;
            }
        }
        if (possible) return true;
    }
    return false;
}

std::string IgnoreMatcher::fingerprint() const {
    std::string out;
    for (const auto& p : patterns_) out += (p.exclusion ? "!" : "") + p.text + "\n";
    return out;
}

}  // namespace hako::build
