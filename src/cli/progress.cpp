// This file implements the progress view (progress.h).
#include "src/cli/progress.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace hako::cli {

namespace {

using State = reconcile::Event::State;

std::string elapsed(std::chrono::steady_clock::duration duration) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1fs", std::chrono::duration<double>(duration).count());
    return text;
}

}  // namespace

Result<ProgressMode> progress_mode(const Context& ctx, int fd) {
    std::string mode = ctx.global.progress;
    if (mode == "auto") {
        auto it = ctx.environment.find("COMPOSE_PROGRESS");
        if (it != ctx.environment.end() && !it->second.empty()) mode = it->second;
    }
    if (mode == "quiet") return ProgressMode::Quiet;
    if (mode == "json") return ProgressMode::Json;
    if (mode == "plain") return ProgressMode::Plain;
    if (mode == "tty") return ProgressMode::Tty;
    if (mode != "auto") return Error::usage("--progress: unknown mode " + mode + " (auto, tty, plain, json, quiet)");
    bool ansi = ctx.global.ansi != "never" && (ctx.global.ansi == "always" || ::isatty(fd));
    return ansi ? ProgressMode::Tty : ProgressMode::Plain;
}

Progress::Progress(ProgressMode mode, std::string title, std::FILE* out)
    : mode_(mode), title_(std::move(title)), out_(out) {}

Progress::~Progress() { finish(); }

void Progress::note(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (mode_ == ProgressMode::Quiet) return;
    if (mode_ == ProgressMode::Json) {
        std::fprintf(out_, "%s\n", nlohmann::json{{"level", "warning"}, {"text", text}}.dump().c_str());
    } else if (mode_ == ProgressMode::Tty && !finished_ && drawn_ > 0) {
        std::fprintf(out_, "\x1b[%zuA\x1b[J%s\n", drawn_, text.c_str());
        drawn_ = 0;
        redraw_locked();
    } else {
        std::fprintf(out_, "%s\n", text.c_str());
    }
    std::fflush(out_);
}

void Progress::event(const reconcile::Event& event) {
    std::lock_guard lock(mutex_);
    if (mode_ == ProgressMode::Quiet) return;
    auto now = std::chrono::steady_clock::now();
    std::string key = event.kind + " " + event.name;
    auto [it, added] = index_.try_emplace(key, lines_.size());
    if (added) lines_.push_back(Line{event.kind, event.name, "", State::Working, now, now});
    Line& line = lines_[it->second];
    line.text = event.text;
    line.state = event.state;
    if (event.state != State::Working) line.ended = now;
    if (mode_ == ProgressMode::Json) {
        nlohmann::json out = {{"id", key}, {"status", event.text}};
        if (event.state == State::Error) out["error"] = true;
        std::fprintf(out_, "%s\n", out.dump().c_str());
    } else if (mode_ == ProgressMode::Plain || finished_) {
        std::fprintf(out_, " %s %s  %s\n", event.kind.c_str(), event.name.c_str(), event.text.c_str());
    } else {
        redraw_locked();
    }
    std::fflush(out_);
}

void Progress::redraw_locked() {
    std::string screen;
    if (drawn_ > 0) screen += "\x1b[" + std::to_string(drawn_) + "A";
    size_t done = 0;
    size_t width = 0;
    for (const auto& line : lines_) {
        if (line.state != State::Working) ++done;
        width = std::max(width, line.kind.size() + 1 + line.name.size());
    }
    auto now = std::chrono::steady_clock::now();
    screen += "\x1b[2K\x1b[34m[+] " + title_ + " " + std::to_string(done) + "/" + std::to_string(lines_.size()) +
              "\x1b[0m\n";
    for (const auto& line : lines_) {
        std::string label = line.kind + " " + line.name;
        label.resize(width, ' ');
        const char* mark = line.state == State::Working ? "\x1b[33m⠿\x1b[0m"
                           : line.state == State::Error ? "\x1b[31m✘\x1b[0m"
                           : line.state == State::Warning ? "\x1b[33m!\x1b[0m"
                                                          : "\x1b[32m✔\x1b[0m";
        std::string time = elapsed((line.state == State::Working ? now : line.ended) - line.started);
        screen += "\x1b[2K ";
        screen += mark;
        screen += " " + label + "  " + line.text + "  " + time + "\n";
    }
    drawn_ = lines_.size() + 1;
    std::fputs(screen.c_str(), out_);
}

void Progress::finish() {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    if (mode_ == ProgressMode::Tty && !lines_.empty()) redraw_locked();
    finished_ = true;
    std::fflush(out_);
}

}  // namespace hako::cli
