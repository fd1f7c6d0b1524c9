// This file implements Mark, SourceMap and Diagnostics (see diagnostics.h).
#include "src/project/diagnostics.h"

namespace hako::project {

std::string Mark::str() const {
    if (!known()) return {};
    std::string out = *file;
    if (line > 0) {
        out += ':' + std::to_string(line);
        if (column > 0) out += ':' + std::to_string(column);
    }
    return out;
}

std::string path_join(std::string_view parent, std::string_view key) {
    std::string out(parent);
    if (!out.empty()) out += '.';
    out += key;
    return out;
}

std::string path_index(std::string_view parent, size_t index) {
    return std::string(parent) + '[' + std::to_string(index) + ']';
}

static std::string_view parent_path(std::string_view path) {
    // Strip the last ".key" or "[n]"; keys may contain dots only when quoted
    // by the caller, which hako never does, so a simple scan is enough.
    size_t i = path.size();
    while (i > 0) {
        char c = path[i - 1];
        if (c == '.' || c == '[') {
            return path.substr(0, i - 1);
        }
        --i;
    }
    return {};
}

Mark SourceMap::find(std::string_view path) const {
    std::string_view p = path;
    while (true) {
        auto it = marks_.find(p);
        if (it != marks_.end()) return it->second;
        if (p.empty()) return {};
        p = parent_path(p);
    }
}

void SourceMap::copy_subtree(std::string_view from, std::string_view to, const SourceMap& source) {
    for (auto it = source.marks_.lower_bound(from); it != source.marks_.end(); ++it) {
        const std::string& key = it->first;
        if (key.compare(0, from.size(), from) != 0) break;
        std::string_view rest = std::string_view(key).substr(from.size());
        if (!rest.empty() && rest[0] != '.' && rest[0] != '[') continue;
        marks_[std::string(to) + std::string(rest)] = it->second;
    }
}

std::string Diagnostic::str() const {
    std::string out;
    std::string where = mark.str();
    if (!where.empty()) out += where + ": ";
    if (severity == Severity::Warning) out += "warning: ";
    if (!path.empty()) out += path + ": ";
    out += message;
    return out;
}

void Diagnostics::error(Mark mark, std::string path, std::string message) {
    items_.push_back({Severity::Error, std::move(mark), std::move(path), std::move(message)});
    ++error_count_;
}

void Diagnostics::warning(Mark mark, std::string path, std::string message) {
    items_.push_back({Severity::Warning, std::move(mark), std::move(path), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
    for (const auto& d : other.items_) {
        items_.push_back(d);
        if (d.severity == Severity::Error) ++error_count_;
    }
}

Error Diagnostics::to_error() const {
    std::string msg;
    for (const auto& d : items_) {
        if (d.severity != Severity::Error) continue;
        if (!msg.empty()) msg += '\n';
        msg += d.str();
    }
    return Error(std::move(msg));
}

}  // namespace hako::project
