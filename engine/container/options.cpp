// This file implements the pure rules behind `hako container` flags (options.h).
#include "engine/container/options.h"

#include <signal.h>
#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <string>

namespace hako::container {

namespace {

// A subset of docker's names-generator lists.
constexpr std::array<const char*, 32> kAdjectives = {
    "admiring", "affectionate", "agitated", "amazing",  "angry",    "awesome",  "blissful", "bold",
    "boring",   "brave",        "busy",     "charming", "clever",   "compassionate", "competent", "confident",
    "cool",     "dazzling",     "determined", "eager",  "ecstatic", "elastic",  "elated",   "epic",
    "festive",  "focused",      "friendly", "funny",    "gallant",  "gifted",   "happy",    "hopeful"};
constexpr std::array<const char*, 32> kNouns = {
    "albattani", "allen",    "almeida",  "archimedes", "ardinghelli", "babbage", "banach",  "bardeen",
    "bartik",    "bassi",    "bell",     "benz",       "bhabha",      "bohr",    "booth",   "borg",
    "bose",      "brahmagupta", "brown", "carson",     "cerf",        "chandrasekhar", "clarke", "curie",
    "darwin",    "davinci",  "dijkstra", "einstein",   "elion",       "euclid",  "feynman", "galileo"};

// Fills `values` with random numbers in one system call (a clock-derived sequence
// if getrandom fails).
template <size_t N>
void random_u64s(std::array<uint64_t, N>& values) {
    if (getrandom(values.data(), sizeof values, 0) == ssize_t(sizeof values)) return;
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = static_cast<uint64_t>(ts.tv_nsec) * 6364136223846793005ULL + static_cast<uint64_t>(ts.tv_sec);
    for (auto& v : values) v = x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

uint64_t random_u64() {
    std::array<uint64_t, 1> value{};
    random_u64s(value);
    return value[0];
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string generate_id() {
    static const char digits[] = "0123456789abcdef";
    std::string id;
    std::array<uint64_t, 4> values{};
    random_u64s(values);
    for (uint64_t v : values) {
        for (int j = 0; j < 16; ++j, v >>= 4) id.push_back(digits[v & 15]);
    }
    return id;
}

std::string random_name(uint64_t seed) {
    return std::string(kAdjectives[seed % kAdjectives.size()]) + "_" +
           kNouns[(seed / kAdjectives.size()) % kNouns.size()];
}

std::string random_name() { return random_name(random_u64()); }

bool valid_name(std::string_view name) {
    if (name.size() < 2 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

Result<int64_t> parse_memory_size(std::string_view text) {
    auto bad = [&] { return Error("invalid size: '" + std::string(text) + "'", kRunFailure); };
    std::string t = lower(text);
    size_t end = 0;
    while (end < t.size() && (std::isdigit(static_cast<unsigned char>(t[end])) || t[end] == '.')) ++end;
    if (end == 0) return bad();
    double number = 0;
    try {
        number = std::stod(t.substr(0, end));
    } catch (...) {
        return bad();
    }
    std::string unit = t.substr(end);
    if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();  // "mb" → "m"
    static const std::map<std::string, double> units = {{"", 1},           {"b", 1},
                                                        {"k", 1024.0},     {"m", 1024.0 * 1024},
                                                        {"g", 1073741824.0}, {"t", 1099511627776.0}};
    auto it = units.find(unit);
    if (it == units.end() || !std::isfinite(number)) return bad();
    double bytes = number * it->second;
    if (bytes > 9.2e18) return bad();
    return static_cast<int64_t>(bytes);
}

// A Go duration (time.ParseDuration): "0", or one or more <number><unit> with
// units ns us µs ms s m h; at most one '.' per number; no overflow past int64.
std::optional<int64_t> parse_go_duration_ns(std::string_view text) {
    if (text == "0") return int64_t{0};
    if (text.empty()) return std::nullopt;
    double total = 0;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
        std::string_view digits = text.substr(start, i - start);
        if (digits.empty() || digits == "." || std::count(digits.begin(), digits.end(), '.') > 1) return std::nullopt;
        double number = std::stod(std::string(digits));
        size_t unit_start = i;
        while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
        std::string_view unit = text.substr(unit_start, i - unit_start);
        double scale = 0;
        if (unit == "ns") scale = 1;
        else if (unit == "us" || unit == "\xc2\xb5s") scale = 1e3;
        else if (unit == "ms") scale = 1e6;
        else if (unit == "s") scale = 1e9;
        else if (unit == "m") scale = 60e9;
        else if (unit == "h") scale = 3600e9;
        else return std::nullopt;
        total += number * scale;
        if (total > 9.2e18) return std::nullopt;
    }
    return static_cast<int64_t>(std::llround(total));
}

Result<RestartPolicy> parse_restart_policy(std::string_view text) {
    RestartPolicy policy;
    std::string_view mode = text, count;
    if (auto colon = text.find(':'); colon != std::string_view::npos) {
        mode = text.substr(0, colon);
        count = text.substr(colon + 1);
    }
    if (mode == "no" || mode.empty()) policy.mode = RestartMode::No;
    else if (mode == "always") policy.mode = RestartMode::Always;
    else if (mode == "on-failure") policy.mode = RestartMode::OnFailure;
    else if (mode == "unless-stopped") policy.mode = RestartMode::UnlessStopped;
    else return Error("invalid restart policy: '" + std::string(text) + "'", kRunFailure);
    if (!count.empty()) {
        if (policy.mode != RestartMode::OnFailure)
            return Error("invalid restart policy: maximum retry count can only be used with 'on-failure'", kRunFailure);
        auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), policy.max_retries);
        if (ec != std::errc() || ptr != count.data() + count.size() || policy.max_retries < 0)
            return Error("invalid restart policy: bad retry count '" + std::string(count) + "'", kRunFailure);
    }
    return policy;
}

std::string restart_mode_name(RestartMode mode) {
    switch (mode) {
        case RestartMode::No: return "no";
        case RestartMode::Always: return "always";
        case RestartMode::OnFailure: return "on-failure";
        case RestartMode::UnlessStopped: return "unless-stopped";
    }
    return "no";
}

bool should_restart(const RestartPolicy& policy, int exit_code, int restart_count, bool stop_requested) {
    if (stop_requested) return false;
    switch (policy.mode) {
        case RestartMode::No: return false;
        case RestartMode::Always:
        case RestartMode::UnlessStopped: return true;
        case RestartMode::OnFailure:
            return exit_code != 0 && (policy.max_retries == 0 || restart_count < policy.max_retries);
    }
    return false;
}

int restart_delay_ms(int restart_count) {
    if (restart_count >= 10) return 60000;
    int delay = 100 << restart_count;
    return delay > 60000 ? 60000 : delay;
}

Result<int> parse_signal(std::string_view text) {
    static const std::map<std::string, int> names = {
        {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
        {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
        {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
        {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
        {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},   {"PWR", SIGPWR},   {"SYS", SIGSYS}};
    std::string upper(text);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    int number = 0;
    auto [ptr, ec] = std::from_chars(upper.data(), upper.data() + upper.size(), number);
    if (!upper.empty() && ec == std::errc() && ptr == upper.data() + upper.size()) {
        if (number > 0 && number < NSIG) return number;
    } else {
        if (upper.rfind("SIG", 0) == 0) upper = upper.substr(3);
        if (auto it = names.find(upper); it != names.end()) return it->second;
    }
    return Error("invalid signal: " + std::string(text), kRunFailure);
}

std::vector<std::string> CommandChoice::args() const {
    std::vector<std::string> all = entrypoint;
    all.insert(all.end(), cmd.begin(), cmd.end());
    return all;
}

CommandChoice choose_command(const std::optional<std::vector<std::string>>& image_entrypoint,
                             const std::optional<std::vector<std::string>>& image_cmd,
                             const std::optional<std::string>& entrypoint_flag,
                             const std::vector<std::string>& run_args) {
    CommandChoice choice;
    if (entrypoint_flag) {
        if (!entrypoint_flag->empty()) choice.entrypoint = {*entrypoint_flag};
    } else if (image_entrypoint) {
        choice.entrypoint = *image_entrypoint;
    }
    if (!run_args.empty()) choice.cmd = run_args;
    else if (!entrypoint_flag && image_cmd) choice.cmd = *image_cmd;
    return choice;
}

std::vector<std::string> merge_env(const std::vector<std::string>& image_env, const std::vector<std::string>& overrides,
                                   const std::vector<std::pair<std::string, std::string>>& process_env) {
    std::vector<std::string> env;
    auto set = [&](const std::string& entry) {
        std::string key = entry.substr(0, entry.find('='));
        for (auto& existing : env) {
            if (existing.substr(0, existing.find('=')) == key) {
                existing = entry;
                return;
            }
        }
        env.push_back(entry);
    };
    for (const auto& entry : image_env) set(entry);
    for (const auto& entry : overrides) {
        if (entry.find('=') != std::string::npos) {
            set(entry);
            continue;
        }
        for (const auto& [key, value] : process_env)
            if (key == entry) set(key + "=" + value);
    }
    return env;
}

}  // namespace hako::container
