// This file implements the pull progress view of pull_progress.h.
#include "engine/image/pull_progress.h"

#include <algorithm>

#include "engine/container/stats.h"

namespace hako::image {

std::string human_bytes(int64_t bytes) { return container::human_size(double(bytes < 0 ? 0 : bytes), false); }

std::string progress_bar(int64_t done, int64_t total, int width) {
    int filled = total > 0 ? int(double(std::min(done, total)) / double(total) * width) : 0;
    std::string bar = "[";
    for (int i = 0; i < width; ++i) bar += i < filled ? '=' : i == filled ? '>' : ' ';
    return bar + "]";
}

PullProgressView::PullProgressView(std::FILE* out, bool tty, std::string prefix)
    : out_(out), tty_(tty), prefix_(std::move(prefix)) {}

void PullProgressView::line(const std::string& text) {
    std::lock_guard<std::mutex> hold(mutex_);
    if (tty_ && drawn_ > 0) {
        redraw_locked();  // the layers' final state stays above this line
        rows_.clear();
        drawn_ = 0;
    }
    std::fprintf(out_, "%s%s\n", prefix_.c_str(), text.c_str());
    std::fflush(out_);
}

void PullProgressView::layer(const LayerProgress& e) {
    using Phase = LayerProgress::Phase;
    std::string text;
    switch (e.phase) {
    case Phase::Waiting: text = "Pulling fs layer"; break;
    case Phase::Downloading:
        text = tty_ ? "Downloading " + progress_bar(e.done, e.total) + " " + human_bytes(e.done) + "/" + human_bytes(e.total)
                    : e.done == 0 ? "Downloading " + human_bytes(e.total) : "";
        break;
    case Phase::Resuming: text = "Resuming at " + human_bytes(e.done) + " of " + human_bytes(e.total); break;
    case Phase::Restarting: text = "Partial download failed its digest check: downloading again"; break;
    case Phase::DownloadComplete: {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.1fs", e.seconds);
        text = "Download complete " + human_bytes(e.done) + " in " + seconds;
        break;
    }
    case Phase::Extracting: text = tty_ ? "Extracting" : ""; break;
    case Phase::PullComplete: text = "Pull complete"; break;
    case Phase::AlreadyExists: text = "Already exists"; break;
    }
    if (text.empty()) return;
    std::lock_guard<std::mutex> hold(mutex_);
    if (!tty_) {
        std::fprintf(out_, "%s%s: %s\n", prefix_.c_str(), e.id.c_str(), text.c_str());
        std::fflush(out_);
        return;
    }
    auto row = std::find_if(rows_.begin(), rows_.end(), [&](const Row& r) { return r.id == e.id; });
    if (row == rows_.end()) {
        rows_.push_back({e.id, text});
    } else {
        row->text = text;
    }
    // Byte counts redraw at most ten times a second; state changes at once.
    auto now = std::chrono::steady_clock::now();
    if (e.phase == Phase::Downloading && row != rows_.end() && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    redraw_locked();
}

void PullProgressView::redraw_locked() {
    if (drawn_ > 0) std::fprintf(out_, "\x1b[%zuA", drawn_);
    for (const auto& row : rows_) std::fprintf(out_, "\x1b[2K%s%s: %s\n", prefix_.c_str(), row.id.c_str(), row.text.c_str());
    drawn_ = rows_.size();
    std::fflush(out_);
}

}  // namespace hako::image
