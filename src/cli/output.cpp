// This file implements the verbs' shared output helpers (see output.h).
#include "src/cli/output.h"

#include <cstdio>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "engine/sys/file.h"

namespace hako::cli {

void print_warnings(const project::Diagnostics& diagnostics) {
    for (const auto& item : diagnostics.items()) {
        // The diagnostic already says "FILE:LINE:COL: warning: …", as compilers do: the
        // logger's own "warning:" level tag would say it twice.
        if (item.severity == project::Severity::Warning && spdlog::should_log(spdlog::level::warn))
            std::fprintf(stderr, "hako: %s\n", item.str().c_str());
    }
}

int report(const Result<void>& result) {
    if (result.ok()) return 0;
    const std::string& message = result.error().message;
    size_t start = 0;
    while (start <= message.size()) {
        size_t end = message.find('\n', start);
        if (end == std::string::npos) end = message.size();
        if (end > start || start == 0) std::cerr << "hako: " << std::string_view(message).substr(start, end - start) << '\n';
        start = end + 1;
    }
    std::cerr.flush();
    return static_cast<int>(result.error().exit_code);
}

namespace {

// Characters on screen: UTF-8 continuation bytes take no column (… is one).
size_t display_width(const std::string& text) {
    size_t width = 0;
    for (char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
    return width;
}

// A cell on one line: a newline, carriage return or tab in a value (a command
// such as `sh -c 'a\nb'`) is written as its escape, so the row stays one row.
std::string one_line(const std::string& text) {
    if (text.find_first_of("\n\r\t") == std::string::npos) return text;
    std::string out;
    for (char c : text) {
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else out += c;
    }
    return out;
}

}  // namespace

std::string format_table(const std::vector<std::vector<std::string>>& raw_rows) {
    std::vector<std::vector<std::string>> rows;
    rows.reserve(raw_rows.size());
    for (const auto& row : raw_rows) {
        std::vector<std::string> cells;
        cells.reserve(row.size());
        for (const auto& cell : row) cells.push_back(one_line(cell));
        rows.push_back(std::move(cells));
    }
    std::vector<size_t> widths;
    for (const auto& row : rows) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(widths[i] - display_width(row[i]) + 2, ' ');
        }
        out += line;
        out += '\n';
    }
    return out;
}

Result<void> write_output(const std::optional<std::string>& file, std::string_view text) {
    if (file && !file->empty()) return sys::write_file_atomic(*file, text);
    std::cout << text;
    std::cout.flush();
    if (!std::cout) return Error("writing to stdout failed");
    return ok();
}

}  // namespace hako::cli
