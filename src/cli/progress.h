// This file declares the progress view of the project verbs: on a terminal a
// live view with one line per network, volume, image and container (state and
// elapsed time) redrawn in place, as docker compose v2 shows; otherwise plain
// lines, JSON lines or nothing (--progress plain|json|quiet, COMPOSE_PROGRESS).
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/sys/error.h"
#include "src/cli/context.h"
#include "src/reconcile/execute.h"

namespace hako::cli {

enum class ProgressMode { Tty, Plain, Json, Quiet };

// --progress (or COMPOSE_PROGRESS) and --ansi decide; "auto" is Tty on a terminal.
Result<ProgressMode> progress_mode(const Context& ctx, int fd = 2);

class Progress {
public:
    Progress(ProgressMode mode, std::string title, std::FILE* out = stderr);
    ~Progress();  // finishes the view
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Thread safe: the executor's threads call it.
    void event(const reconcile::Event& event);
    reconcile::Reporter reporter() {
        return [this](const reconcile::Event& e) { event(e); };
    }
    // Draws the final state (once); later events print as plain lines.
    void finish();
    // A line outside the view (warnings), kept above it.
    void note(const std::string& text);

private:
    struct Line {
        std::string kind, name, text;
        reconcile::Event::State state = reconcile::Event::State::Working;
        std::chrono::steady_clock::time_point started, ended;
    };
    void redraw_locked();

    ProgressMode mode_;
    std::string title_;
    std::FILE* out_;
    std::mutex mutex_;
    std::vector<Line> lines_;
    std::map<std::string, size_t> index_;
    size_t drawn_ = 0;  // lines on screen from the last draw
    bool finished_ = false;
};

}  // namespace hako::cli
