// This file implements Mark, SourceMap and Diagnostics (see diagnostics.h).
#include "src/project/diagnostics.h"

#include <charconv>

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

static bool is_step_start(char c) { return c == '.' || c == '['; }

// Whether `path` is `prefix` or lies under it ("a.b" under "a", "a[0]" under "a").
static bool is_at_or_under(std::string_view path, std::string_view prefix) {
    return path.substr(0, prefix.size()) == prefix &&
           (path.size() == prefix.size() || is_step_start(path[prefix.size()]));
}

void MarkTable::add(uint32_t key_offset, uint32_t key_size, int line, int column) {
    open_.push_back(uint32_t(entries_.size()));
    entries_.push_back(Entry{key_offset, key_size, 1, line, column});
}

void MarkTable::open_key(std::string_view key, int line, int column) {
    uint32_t offset = uint32_t(keys_.size());
    keys_.append(key);
    add(offset, uint32_t(key.size()), line, column);
}

void MarkTable::open_index(size_t index, int line, int column) { add(uint32_t(index), kIndexKey, line, column); }

void MarkTable::append_step(std::string& out, const Entry& entry) const {
    if (entry.key_size == kIndexKey) {
        char digits[16];
        digits[0] = '[';
        char* end = std::to_chars(digits + 1, digits + sizeof digits - 1, entry.key_offset).ptr;
        *end++ = ']';
        out.append(digits, size_t(end - digits));
        return;
    }
    if (!out.empty()) out += '.';
    out.append(keys_, entry.key_offset, entry.key_size);
}

// Whether entry's step, appended to a path of `length` characters that is a
// prefix of `target`, agrees with `target` over their common length: what a
// child's path must do to be at, under or above `target`. A sibling list is
// scanned without spelling each sibling's path (services with many siblings).
// An entry's key is keys[offset, size), or an item's index is `offset` when
// size is UINT32_MAX (MarkTable::kIndexKey).
static bool step_agrees(std::string_view target, size_t length, std::string_view keys, uint32_t offset,
                        uint32_t size) {
    if (length >= target.size()) return true;
    std::string_view rest = target.substr(length);
    if (size == UINT32_MAX) {
        char digits[16];
        digits[0] = '[';
        char* end = std::to_chars(digits + 1, digits + sizeof digits - 1, offset).ptr;
        *end++ = ']';
        std::string_view step(digits, size_t(end - digits));
        size_t n = std::min(step.size(), rest.size());
        return step.substr(0, n) == rest.substr(0, n);
    }
    if (length > 0) {
        if (rest[0] != '.') return false;
        rest.remove_prefix(1);
    }
    std::string_view key = keys.substr(offset, size);
    size_t n = std::min(key.size(), rest.size());
    return key.substr(0, n) == rest.substr(0, n);
}

void MarkTable::find_under(uint32_t index, std::string& path, std::string_view target,
                           std::optional<std::pair<size_t, uint32_t>>& best) const {
    if (!best || path.size() >= best->first) best = std::pair{path.size(), index};
    const uint32_t end = index + entries_[index].subtree;
    const size_t length = path.size();
    for (uint32_t child = index + 1; child < end; child += entries_[child].subtree) {
        const Entry& entry = entries_[child];
        if (!step_agrees(target, length, keys_, entry.key_offset, entry.key_size)) continue;
        append_step(path, entries_[child]);
        if (is_at_or_under(target, path)) find_under(child, path, target, best);
        path.resize(length);
    }
}

std::optional<std::pair<size_t, Mark>> MarkTable::find(std::string_view path) const {
    if (entries_.empty()) return std::nullopt;
    std::string spelt;
    std::optional<std::pair<size_t, uint32_t>> best;
    find_under(0, spelt, path, best);
    return std::pair{best->first, mark(entries_[best->second])};
}

void MarkTable::visit_under(uint32_t index, std::string& path, std::string_view from,
                            const std::function<void(const std::string&, const Mark&)>& visit) const {
    bool inside = is_at_or_under(path, from);
    if (inside) visit(path, mark(entries_[index]));
    if (!inside && !(path.size() < from.size() && from.substr(0, path.size()) == path)) return;
    const uint32_t end = index + entries_[index].subtree;
    const size_t length = path.size();
    for (uint32_t child = index + 1; child < end; child += entries_[child].subtree) {
        const Entry& entry = entries_[child];
        // A child that does not agree with `from` would visit nothing.
        if (!inside && !step_agrees(from, length, keys_, entry.key_offset, entry.key_size)) continue;
        append_step(path, entries_[child]);
        visit_under(child, path, from, visit);
        path.resize(length);
    }
}

void MarkTable::visit_subtree(std::string_view from,
                              const std::function<void(const std::string&, const Mark&)>& visit) const {
    if (entries_.empty()) return;
    std::string spelt;
    visit_under(0, spelt, from, visit);
}

Mark SourceMap::find(std::string_view path) const {
    std::optional<std::pair<size_t, Mark>> in_table = table_ ? table_->find(path) : std::nullopt;
    if (!marks_.empty()) {
        // The longest of `path` and its ancestors set here; the table's
        // answer wins only when it is deeper.
        std::string_view p = path;
        while (true) {
            auto it = marks_.find(p);
            if (it != marks_.end()) {
                if (in_table && in_table->first > p.size()) break;
                return it->second;
            }
            if (p.empty() || (in_table && p.size() <= in_table->first)) break;
            p = parent_path(p);
        }
    }
    return in_table ? in_table->second : Mark{};
}

std::optional<Mark> SourceMap::find_exact(std::string_view path) const {
    if (auto it = marks_.find(path); it != marks_.end()) return it->second;
    if (!table_) return std::nullopt;
    auto in_table = table_->find(path);
    if (!in_table || in_table->first != path.size()) return std::nullopt;
    return in_table->second;
}

void SourceMap::copy_subtree(std::string_view from, std::string_view to, const SourceMap& source) {
    if (source.table_) {
        source.table_->visit_subtree(from, [&](const std::string& path, const Mark& mark) {
            marks_[std::string(to) + path.substr(from.size())] = mark;
        });
    }
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
