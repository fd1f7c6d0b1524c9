// Unit tests of the terminal build view (src/cli/build_tty_view.h): steps with their
// state, running steps' last output lines, redraws in place, the final frame.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>

#include "src/cli/build_tty_view.h"

namespace {

struct Captured {
    char* data = nullptr;
    size_t size = 0;
    std::FILE* file = open_memstream(&data, &size);
    ~Captured() {
        if (file) std::fclose(file);
        std::free(data);
    }
    std::string text() {
        std::fflush(file);
        return std::string(data, size);
    }
};

// The text after the last "[+] Building" header: the frame on screen now.
std::string last_frame(const std::string& all) { return all.substr(all.rfind("[+] Building")); }

}  // namespace

TEST_CASE("build tty view: steps, output of running steps, final frame") {
    Captured out;
    hako::cli::BuildTtyView view(out.file, 2);
    std::ostream stream(&view);
    stream << "#1 [stage-0 1/3] FROM bb\n#1 DONE 0.0s\n#2 [stage-0 2/3] RUN echo a\n";
    stream << "#2 0.0s one\n#2 0.0s two\n#2 0.1s three\n";
    std::string frame = last_frame(out.text());
    CHECK(frame.find("[+] Building 1/2") == 0);
    CHECK(frame.find(" => [stage-0 1/3] FROM bb  DONE 0.0s") != std::string::npos);
    CHECK(frame.find(" => [stage-0 2/3] RUN echo a\n") != std::string::npos);
    // Only the last two output lines of the running step are shown.
    CHECK(frame.find("one") == std::string::npos);
    CHECK(frame.find("=> => 0.0s two") != std::string::npos);
    CHECK(frame.find("=> => 0.1s three") != std::string::npos);
    // Redrawn in place: the cursor goes back up over the previous frame.
    CHECK(out.text().find("\x1b[") != std::string::npos);

    stream << "#2 DONE 0.2s\n#3 [stage-0 3/3] ENV A=1\n#3 CACHED\n[Warning] a note\n";
    view.finish();
    frame = last_frame(out.text());
    CHECK(frame.find("[+] Building 3/3 FINISHED") == 0);
    CHECK(frame.find(" => [stage-0 2/3] RUN echo a  DONE 0.2s") != std::string::npos);
    CHECK(frame.find(" => [stage-0 3/3] ENV A=1  CACHED") != std::string::npos);
    CHECK(frame.find("three") == std::string::npos);  // a finished step's output is gone
    CHECK(frame.find("[Warning] a note") != std::string::npos);
}

TEST_CASE("build tty view: a partial last line is drawn at finish") {
    Captured out;
    hako::cli::BuildTtyView view(out.file);
    std::ostream stream(&view);
    stream << "#1 [stage-0 1/1] FROM bb\n#1 DONE 0.0s";
    view.finish();
    CHECK(last_frame(out.text()).find(" => [stage-0 1/1] FROM bb  DONE 0.0s") != std::string::npos);
}

TEST_CASE("build tty view: a failed build keeps the failing step's output") {
    Captured out;
    hako::cli::BuildTtyView view(out.file);
    std::ostream stream(&view);
    stream << "#1 [stage-0 1/2] FROM bb\n#1 DONE 0.0s\n#2 [stage-0 2/2] RUN false\n#2 0.0s why it failed\n";
    view.finish(true);
    std::string frame = last_frame(out.text());
    CHECK(frame.find("[+] Building 1/2 FAILED") == 0);
    CHECK(frame.find("why it failed") != std::string::npos);
}
