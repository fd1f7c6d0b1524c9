// This file implements source positions (Mark), the path→position table that
// travels with a compose document (SourceMap, over the decoder's flat
// MarkTable), and Diagnostics, which collects
// every mistake in a project before the loader stops once (collect, then stop).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::project {

// A place in a file: 1-based line and column. An empty file name means "unknown".
struct Mark {
    std::shared_ptr<const std::string> file;
    int line = 0;
    int column = 0;

    bool known() const { return file && !file->empty(); }
    // "compose.yaml:12:7" (or just the file, or "" when unknown)
    std::string str() const;
};

// Paths are written as in error messages: "services.web.ports[0]".
std::string path_join(std::string_view parent, std::string_view key);
std::string path_index(std::string_view parent, size_t index);

// The marks the decoder records for one document, flat: every node of the
// value in preorder with its key (or index), position and subtree size. A
// large file has one entry per node and no path strings; paths are spelled
// only when looked up.
class MarkTable {
public:
    explicit MarkTable(std::shared_ptr<const std::string> file) : file_(std::move(file)) {}

    // Adds a node under the innermost open one (the first is the root) and
    // opens it; `close` ends it. line and column are 1-based.
    void open_key(std::string_view key, int line, int column);
    void open_index(size_t index, int line, int column);
    void close() {
        uint32_t index = open_.back();
        open_.pop_back();
        entries_[index].subtree = uint32_t(entries_.size() - index);
    }
    void reserve(size_t nodes) { entries_.reserve(nodes); }

    bool empty() const { return entries_.empty(); }
    // The deepest node whose path is `path` or an ancestor of it (a later node
    // wins over an earlier one spelt the same): its path's length and mark.
    std::optional<std::pair<size_t, Mark>> find(std::string_view path) const;
    // Calls visit(path, mark) for every node at or under `from`, in preorder.
    void visit_subtree(std::string_view from, const std::function<void(const std::string&, const Mark&)>& visit) const;

private:
    static constexpr uint32_t kIndexKey = UINT32_MAX;
    struct Entry {
        uint32_t key_offset;  // into keys_; an item's index when key_size is kIndexKey
        uint32_t key_size;
        uint32_t subtree = 1;  // entries in its subtree, itself included
        int line;
        int column;
    };
    void add(uint32_t key_offset, uint32_t key_size, int line, int column);
    Mark mark(const Entry& entry) const { return Mark{file_, entry.line, entry.column}; }
    // Appends entry's part of a path ("key", ".key" or "[3]") to `out`.
    void append_step(std::string& out, const Entry& entry) const;
    void find_under(uint32_t index, std::string& path, std::string_view target,
                    std::optional<std::pair<size_t, uint32_t>>& best) const;
    void visit_under(uint32_t index, std::string& path, std::string_view from,
                     const std::function<void(const std::string&, const Mark&)>& visit) const;

    std::shared_ptr<const std::string> file_;
    std::vector<Entry> entries_;
    std::string keys_;
    std::vector<uint32_t> open_;
};

// Maps a document path to the mark of the YAML node it came from. Lookups fall
// back to the nearest ancestor that has a mark, so derived values still point
// somewhere useful. The decoder's marks sit in a shared MarkTable; marks set
// later (merges, extends, normalisation) lie over it, path by path.
class SourceMap {
public:
    void set(const std::string& path, Mark mark) { marks_[path] = std::move(mark); }
    void set_table(std::shared_ptr<const MarkTable> table) { table_ = std::move(table); }
    Mark find(std::string_view path) const;
    // The mark recorded for exactly `path`, if any.
    std::optional<Mark> find_exact(std::string_view path) const;
    // Copies every mark under `from` to the same relative place under `to`.
    void copy_subtree(std::string_view from, std::string_view to, const SourceMap& source);

private:
    std::shared_ptr<const MarkTable> table_;
    std::map<std::string, Mark, std::less<>> marks_;
};

enum class Severity { Error, Warning };

struct Diagnostic {
    Severity severity = Severity::Error;
    Mark mark;
    std::string path;  // "services.web.ports[0]" or "" when about the file as a whole
    std::string message;
    // "compose.yaml:12:7: services.web.ports[0]: message"
    std::string str() const;
};

class Diagnostics {
public:
    void error(Mark mark, std::string path, std::string message);
    void warning(Mark mark, std::string path, std::string message);
    // Error at `path`, with its mark looked up in `marks`.
    void error_at(const SourceMap& marks, const std::string& path, std::string message) {
        error(marks.find(path), path, std::move(message));
    }
    void append(const Diagnostics& other);

    bool has_errors() const { return error_count_ > 0; }
    size_t error_count() const { return error_count_; }
    const std::vector<Diagnostic>& items() const { return items_; }
    // One Error whose message lists every error, one per line (warnings excluded).
    Error to_error() const;

private:
    std::vector<Diagnostic> items_;
    size_t error_count_ = 0;
};

}  // namespace hako::project
