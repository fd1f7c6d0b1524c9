// This file implements the terminal view of a build (build_tty_view.h).
#include "src/cli/build_tty_view.h"

#include <cstdlib>

namespace hako::cli {

int BuildTtyView::overflow(int c) {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    if (c == '\n') {
        line(pending_);
        pending_.clear();
    } else {
        pending_ += static_cast<char>(c);
    }
    return c;
}

void BuildTtyView::line(const std::string& text) {
    size_t space = text.find(' ');
    if (text.size() < 2 || text[0] != '#' || space == std::string::npos) {
        notes_.push_back(text);
        draw(false);
        return;
    }
    int number = std::atoi(text.c_str() + 1);
    std::string rest = text.substr(space + 1);
    auto found = steps_.find(number);
    if (found == steps_.end()) {
        steps_[number].title = rest;  // the step's first line names it
    } else if (rest == "CACHED" || rest.rfind("DONE ", 0) == 0 || rest.rfind("ERROR", 0) == 0) {
        found->second.state = rest;
        found->second.output.clear();
    } else {
        auto& output = found->second.output;
        output.push_back(rest);
        if (output.size() > output_lines_) output.erase(output.begin());
    }
    draw(false);
}

void BuildTtyView::finish(bool failed) {
    if (!pending_.empty()) {
        line(pending_);
        pending_.clear();
    }
    draw(true, failed);
}

void BuildTtyView::draw(bool final, bool failed) {
    std::string frame;
    if (drawn_ > 0) frame += "\x1b[" + std::to_string(drawn_) + "F";  // to the first line drawn last time
    size_t lines = 0;
    auto add = [&](const std::string& text) {
        frame += "\x1b[2K" + text + "\n";
        ++lines;
    };
    size_t done = 0;
    for (const auto& [number, step] : steps_) done += step.state.empty() ? 0 : 1;
    add("[+] Building " + std::to_string(done) + "/" + std::to_string(steps_.size()) + (!final ? "" : failed ? " FAILED" : " FINISHED"));
    for (const auto& note : notes_) add(note);
    for (const auto& [number, step] : steps_) {
        add(" => " + step.title + (step.state.empty() ? "" : "  " + step.state));
        if (final && !(failed && step.state.empty())) continue;
        for (const auto& output : step.output) add("\x1b[2m => => " + output + "\x1b[0m");
    }
    // Lines left over from a longer frame are cleared.
    for (size_t i = lines; i < drawn_; ++i) frame += "\x1b[2K\n";
    if (drawn_ > lines) frame += "\x1b[" + std::to_string(drawn_ - lines) + "F";
    drawn_ = lines;
    std::fwrite(frame.data(), 1, frame.size(), out_);
    std::fflush(out_);
}

}  // namespace hako::cli
