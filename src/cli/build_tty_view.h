// This file declares the terminal view of a build (`image build --progress tty`, and
// `auto` on a terminal), as BuildKit draws it: one line per step with its state and
// time, the last few output lines of the steps still running below them, redrawn in
// place; the builder's plain `#N text` lines are its input.
#pragma once

#include <cstdio>
#include <map>
#include <streambuf>
#include <string>
#include <vector>

namespace hako::cli {

class BuildTtyView : public std::streambuf {
public:
    explicit BuildTtyView(std::FILE* out, size_t output_lines = 5) : out_(out), output_lines_(output_lines) {}
    // Draws the final state once more: the steps and their states, the output lines of
    // steps still running only when the build `failed` (they say why).
    void finish(bool failed = false);

    // One plain progress line ("#3 [stage-0 2/4] RUN …", "#3 0.1s hello", "#3 DONE 0.2s").
    void line(const std::string& text);

protected:
    int overflow(int c) override;

private:
    struct Step {
        std::string title, state;  // state: "" while running, "DONE 0.2s", "CACHED", "ERROR …"
        std::vector<std::string> output;
    };
    void draw(bool final, bool failed = false);

    std::FILE* out_;
    size_t output_lines_;
    std::string pending_;
    std::map<int, Step> steps_;
    std::vector<std::string> notes_;  // lines that are no step's ("[Warning] …")
    size_t drawn_ = 0;
};

}  // namespace hako::cli
