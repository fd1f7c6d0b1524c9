// This file implements the view of a pull's progress as docker pull draws it: on a
// terminal one line per layer redrawn in place with a bar and bytes done/total
// ("a1b2c3d4e5f6: Downloading [=====>    ] 12.3MB/45.6MB"), otherwise a few plain lines
// per layer (start, resume, done with size and time, pull complete).
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "engine/image/registry.h"

namespace hako::image {

// docker's units.HumanSizeWithPrecision(bytes, 3): "12.3MB".
std::string human_bytes(int64_t bytes);
// "[=====>      ]" of `width` cells for done/total.
std::string progress_bar(int64_t done, int64_t total, int width = 50);

class PullProgressView {
public:
    // `prefix` starts every line (compose pull puts the service name there).
    PullProgressView(std::FILE* out, bool tty, std::string prefix = "");
    PullProgressView(const PullProgressView&) = delete;
    PullProgressView& operator=(const PullProgressView&) = delete;

    void line(const std::string& text);        // a status line ("Digest: …"), above the layers
    void layer(const LayerProgress& event);    // thread safe

    // Sinks for PullOptions::progress and PullOptions::layer_progress.
    std::function<void(const std::string&)> line_sink() {
        return [this](const std::string& text) { line(text); };
    }
    std::function<void(const LayerProgress&)> layer_sink() {
        return [this](const LayerProgress& event) { layer(event); };
    }

private:
    struct Row {
        std::string id, text;
    };
    void redraw_locked();

    std::FILE* out_;
    bool tty_;
    std::string prefix_;
    std::mutex mutex_;
    std::vector<Row> rows_;
    size_t drawn_ = 0;  // rows on screen from the last draw
    std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace hako::image
