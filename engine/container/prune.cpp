// This file implements container prune (prune.h): filter parsing, matching and removal.
#include "engine/container/prune.h"

#include <time.h>

#include <cctype>
#include <filesystem>
#include <system_error>

#include "engine/container/lifecycle.h"

namespace hako::container {

namespace {

// Go's time.ParseDuration for the units docker users write: h, m, s, ms (e.g. 1h30m).
std::optional<int64_t> parse_duration_seconds(const std::string& text) {
    if (text.empty()) return std::nullopt;
    double total = 0;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
        if (start == i) return std::nullopt;
        double number = std::stod(text.substr(start, i - start));
        size_t unit_start = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
        std::string unit = text.substr(unit_start, i - unit_start);
        if (unit == "h") total += number * 3600;
        else if (unit == "m") total += number * 60;
        else if (unit == "s") total += number;
        else if (unit == "ms") total += number / 1000;
        else return std::nullopt;
    }
    return int64_t(total);
}

std::optional<time_t> parse_timestamp(const std::string& text) {
    bool digits = !text.empty();
    for (char c : text) digits = digits && (std::isdigit(static_cast<unsigned char>(c)) || c == '.');
    if (digits) return time_t(std::stoll(text));
    for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"}) {
        struct tm tm {};
        const char* end = ::strptime(text.c_str(), format, &tm);
        if (!end) continue;
        // Fractions and a "Z" are fine; other zones are not parsed here.
        std::string rest(end);
        if (!rest.empty() && rest[0] == '.') rest.erase(0, rest.find_first_not_of("0123456789", 1));
        if (rest.empty() || rest == "Z") return ::timegm(&tm);
    }
    return std::nullopt;
}

time_t created_time(const ContainerRecord& record) {
    struct tm tm {};
    if (!::strptime(record.created.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
    return ::timegm(&tm);
}

int64_t folder_bytes(const std::filesystem::path& dir) {
    int64_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
         it.increment(ec)) {
        std::error_code size_ec;
        if (it->is_regular_file(size_ec) && !it->is_symlink(size_ec)) {
            auto size = it->file_size(size_ec);
            if (!size_ec) total += int64_t(size);
        }
    }
    return total;
}

}  // namespace

Result<PruneFilter> parse_prune_filters(const std::vector<std::string>& filters, time_t now) {
    PruneFilter filter;
    for (const auto& f : filters) {
        size_t eq = f.find('=');
        if (eq == std::string::npos) return Error::usage("bad format of filter (expected name=value): " + f);
        std::string key = f.substr(0, eq), value = f.substr(eq + 1);
        bool negated = !key.empty() && key.back() == '!';
        if (negated) key.pop_back();
        if (key == "until" && !negated) {
            if (auto seconds = parse_duration_seconds(value)) {
                filter.until = now - time_t(*seconds);
            } else if (auto at = parse_timestamp(value)) {
                filter.until = *at;
            } else {
                return Error::usage("invalid filter 'until=" + value + "': not a timestamp or a duration");
            }
        } else if (key == "label") {
            LabelFilter label;
            label.negated = negated;
            size_t inner = value.find('=');
            label.key = value.substr(0, inner);
            if (inner != std::string::npos) label.value = value.substr(inner + 1);
            if (label.key.empty()) return Error::usage("invalid filter '" + f + "'");
            filter.labels.push_back(std::move(label));
        } else {
            return Error::usage("invalid filter '" + key + (negated ? "!" : "") + "'");
        }
    }
    return filter;
}

bool matches(const PruneFilter& filter, const ContainerRecord& record) {
    if (filter.until && created_time(record) >= *filter.until) return false;
    for (const auto& label : filter.labels) {
        auto it = record.labels.find(label.key);
        bool has = it != record.labels.end() && (!label.value || it->second == *label.value);
        if (has == label.negated) return false;
    }
    return true;
}

Result<ContainerPruneReport> prune_containers(const ContainerStore& store, const PruneFilter& filter) {
    ContainerPruneReport report;
    for (const auto& record : TRY(store.list())) {
        if (is_running(store.observed_state(record.id)) || !matches(filter, record)) continue;
        int64_t bytes = folder_bytes(store.dir(record.id) / "upper");
        auto removed = remove_container(store, record, false);
        if (!removed.ok()) {
            // Started meanwhile, or removed by someone else: not ours to prune.
            if (!store.read(record.id).ok() || is_running(store.observed_state(record.id))) continue;
            return std::move(removed).error();
        }
        report.deleted.push_back(record.id);
        report.reclaimed_bytes += bytes;
    }
    return report;
}

}  // namespace hako::container
