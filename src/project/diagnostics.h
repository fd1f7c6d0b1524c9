// This file implements source positions (Mark), the path→position table that
// travels with a compose document (SourceMap), and Diagnostics, which collects
// every mistake in a project before the loader stops once (collect, then stop).
#pragma once

#include <map>
#include <memory>
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

// Maps a document path to the mark of the YAML node it came from. Lookups fall
// back to the nearest ancestor that has a mark, so derived values still point
// somewhere useful.
class SourceMap {
public:
    void set(const std::string& path, Mark mark) { marks_[path] = std::move(mark); }
    Mark find(std::string_view path) const;
    // Copies every mark under `from` to the same relative place under `to`.
    void copy_subtree(std::string_view from, std::string_view to, const SourceMap& source);
    // Every mark under `prefix` (inclusive), then merged into this map.
    void merge_from(const SourceMap& other) {
        for (const auto& [k, v] : other.marks_) marks_[k] = v;
    }
    const std::map<std::string, Mark, std::less<>>& entries() const { return marks_; }

private:
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
