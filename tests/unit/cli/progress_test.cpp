// Tests for src/cli/progress.cpp: the mode chosen from --progress, COMPOSE_PROGRESS
// and --ansi, and what each mode (plain, json, quiet, tty) writes for events and notes.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "src/cli/progress.h"

using namespace hako;
using namespace hako::cli;
using State = reconcile::Event::State;

namespace {

// A FILE* whose bytes the test reads back after the Progress is gone.
class Capture {
public:
    Capture() : file_(::open_memstream(&buffer_, &size_)) {}
    ~Capture() {
        if (file_ != nullptr) std::fclose(file_);
        std::free(buffer_);
    }
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;
    std::FILE* file() { return file_; }
    std::string text() {
        std::fflush(file_);
        return std::string(buffer_, size_);
    }

private:
    char* buffer_ = nullptr;
    size_t size_ = 0;
    std::FILE* file_;
};

Context context(const std::string& progress, const std::string& ansi = "auto", const std::string& env = "") {
    Context ctx;
    ctx.global.progress = progress;
    ctx.global.ansi = ansi;
    if (!env.empty()) ctx.environment["COMPOSE_PROGRESS"] = env;
    return ctx;
}

reconcile::Event ev(const std::string& kind, const std::string& name, const std::string& text,
                    State state = State::Working) {
    return reconcile::Event{kind, name, text, state};
}

int count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
    return n;
}

}  // namespace

TEST_CASE("progress: --progress names the mode; a bogus one is a usage error naming it") {
    CHECK(*progress_mode(context("plain")) == ProgressMode::Plain);
    CHECK(*progress_mode(context("json")) == ProgressMode::Json);
    CHECK(*progress_mode(context("quiet")) == ProgressMode::Quiet);
    CHECK(*progress_mode(context("tty")) == ProgressMode::Tty);
    auto bad = progress_mode(context("bogus"));
    REQUIRE_FALSE(bad.ok());
    CHECK(static_cast<int>(bad.error().exit_code) == 2);
    CHECK(bad.error().message.find("bogus") != std::string::npos);
}

TEST_CASE("progress: COMPOSE_PROGRESS applies only when --progress is auto") {
    CHECK(*progress_mode(context("auto", "auto", "quiet")) == ProgressMode::Quiet);
    CHECK(*progress_mode(context("auto", "auto", "json")) == ProgressMode::Json);
    CHECK(*progress_mode(context("plain", "auto", "quiet")) == ProgressMode::Plain);
    CHECK_FALSE(progress_mode(context("auto", "auto", "nonsense")).ok());
}

TEST_CASE("progress: auto is plain off a terminal and with --ansi never, tty with --ansi always") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    CHECK(*progress_mode(context("auto"), fds[1]) == ProgressMode::Plain);
    CHECK(*progress_mode(context("auto", "always"), fds[1]) == ProgressMode::Tty);
    CHECK(*progress_mode(context("auto", "never"), fds[1]) == ProgressMode::Plain);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("progress: plain mode prints one line per event and notes as they are") {
    Capture out;
    {
        Progress progress(ProgressMode::Plain, "Running", out.file());
        progress.event(ev("Container", "demo-web-1", "Creating"));
        progress.event(ev("Container", "demo-web-1", "Created", State::Done));
        progress.note("WARN a warning");
        progress.reporter()(ev("Network", "demo_default", "Created", State::Done));
    }
    CHECK(out.text() ==
          " Container demo-web-1  Creating\n"
          " Container demo-web-1  Created\n"
          "WARN a warning\n"
          " Network demo_default  Created\n");
}

TEST_CASE("progress: json mode prints one object per line with id and status, errors marked") {
    Capture out;
    {
        Progress progress(ProgressMode::Json, "Running", out.file());
        progress.event(ev("Container", "demo-web-1", "Starting"));
        progress.event(ev("Container", "demo-web-1", "Error", State::Error));
        progress.note("careful");
    }
    std::string text = out.text();
    REQUIRE(count(text, "\n") == 3);
    std::vector<nlohmann::json> lines;
    for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
        lines.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    CHECK(lines[0] == nlohmann::json{{"id", "Container demo-web-1"}, {"status", "Starting"}});
    CHECK(lines[1]["status"] == "Error");
    CHECK(lines[1]["error"] == true);
    CHECK(lines[2] == nlohmann::json{{"level", "warning"}, {"text", "careful"}});
}

TEST_CASE("progress: quiet mode prints nothing, not even notes") {
    Capture out;
    {
        Progress progress(ProgressMode::Quiet, "Running", out.file());
        progress.event(ev("Container", "demo-web-1", "Started", State::Done));
        progress.note("hidden");
        progress.finish();
    }
    CHECK(out.text().empty());
}

TEST_CASE("progress: tty mode redraws its lines in place with a done/total title") {
    Capture out;
    Progress progress(ProgressMode::Tty, "Running", out.file());
    progress.event(ev("Container", "demo-a-1", "Starting"));
    std::string first = out.text();
    CHECK(first.find("\x1b[") == 0);  // the view starts with an escape, no cursor-up yet
    CHECK(first.find("[+] Running 0/1") != std::string::npos);
    CHECK(count(first, "\x1b[2K") == 2);  // title and one line
    CHECK(first.find("\x1b[2A") == std::string::npos);

    progress.event(ev("Container", "demo-b-1", "Starting"));
    std::string second = out.text().substr(first.size());
    CHECK(second.rfind("\x1b[2A", 0) == 0);  // back over the title and the one line drawn
    CHECK(second.find("[+] Running 0/2") != std::string::npos);

    progress.event(ev("Container", "demo-a-1", "Started", State::Done));
    std::string third = out.text().substr(first.size() + second.size());
    CHECK(third.rfind("\x1b[3A", 0) == 0);
    CHECK(third.find("[+] Running 1/2") != std::string::npos);
    CHECK(third.find("demo-a-1  Started") != std::string::npos);  // the same line, updated
    CHECK(count(third, "demo-a-1") == 1);
    CHECK(third.find("✔") != std::string::npos);
    CHECK(third.find("⠿") != std::string::npos);  // b still working
}

TEST_CASE("progress: a tty note goes above the view, which is drawn again under it") {
    Capture out;
    Progress progress(ProgressMode::Tty, "Running", out.file());
    progress.event(ev("Volume", "demo_data", "Creating"));
    size_t before = out.text().size();
    progress.note("WARN something");
    std::string after = out.text().substr(before);
    CHECK(after.rfind("\x1b[2A\x1b[JWARN something\n", 0) == 0);
    CHECK(after.find("[+] Running 0/1") != std::string::npos);
    CHECK(after.find("\x1b[2A", 1) == std::string::npos);  // the redraw does not move up again
}

TEST_CASE("progress: finish draws the final state once; later events print as plain lines") {
    Capture out;
    Progress progress(ProgressMode::Tty, "Stopping", out.file());
    progress.event(ev("Container", "demo-a-1", "Stopping"));
    progress.event(ev("Container", "demo-a-1", "Error", State::Error));
    size_t before = out.text().size();
    progress.finish();
    std::string final_view = out.text().substr(before);
    CHECK(final_view.find("[+] Stopping 1/1") != std::string::npos);
    CHECK(final_view.find("✘") != std::string::npos);
    progress.finish();
    CHECK(out.text().size() == before + final_view.size());
    progress.event(ev("Container", "demo-a-1", "Removed", State::Done));
    CHECK(out.text().substr(before + final_view.size()) == " Container demo-a-1  Removed\n");
}

TEST_CASE("progress: a tty view with no events draws nothing") {
    Capture out;
    { Progress progress(ProgressMode::Tty, "Running", out.file()); }
    CHECK(out.text().empty());
}
