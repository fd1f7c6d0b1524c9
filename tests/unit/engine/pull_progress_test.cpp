// Unit tests of the pull progress view (engine/image/pull_progress.h): the bar, byte
// sizes, plain lines per layer and the terminal view's redraw in place.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "engine/image/pull_progress.h"

using hako::image::LayerProgress;
using hako::image::PullProgressView;
using Phase = LayerProgress::Phase;

namespace {

// What a view wrote into its temporary file.
std::string contents(std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    return out;
}

}  // namespace

TEST_CASE("progress_bar fills in proportion and points at the front") {
    CHECK(hako::image::progress_bar(0, 100, 10) == "[>         ]");
    CHECK(hako::image::progress_bar(50, 100, 10) == "[=====>    ]");
    CHECK(hako::image::progress_bar(100, 100, 10) == "[==========]");
    CHECK(hako::image::progress_bar(500, 100, 10) == "[==========]");
    CHECK(hako::image::progress_bar(5, 0, 4) == "[>   ]");  // size unknown
}

TEST_CASE("human_bytes: docker's three significant digits, decimal units") {
    CHECK(hako::image::human_bytes(0) == "0B");
    CHECK(hako::image::human_bytes(999) == "999B");
    CHECK(hako::image::human_bytes(12345678) == "12.3MB");
    CHECK(hako::image::human_bytes(45600000) == "45.6MB");
}

TEST_CASE("plain view: a few lines per layer, byte counts left out") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    {
        PullProgressView view(f, false, "web ");
        view.line("1: Pulling from app");
        view.layer({"a1b2c3d4e5f6", Phase::Waiting, 0, 2000000});
        view.layer({"a1b2c3d4e5f6", Phase::Downloading, 0, 2000000});
        view.layer({"a1b2c3d4e5f6", Phase::Downloading, 1000000, 2000000});
        view.layer({"a1b2c3d4e5f6", Phase::DownloadComplete, 2000000, 2000000, 1.25});
        view.layer({"a1b2c3d4e5f6", Phase::Extracting, 2000000, 2000000});
        view.layer({"a1b2c3d4e5f6", Phase::PullComplete, 2000000, 2000000});
        view.layer({"0123456789ab", Phase::Resuming, 1050000, 3000000});
        view.layer({"0123456789ab", Phase::Restarting, 0, 3000000});
    }
    CHECK(contents(f) ==
          "web 1: Pulling from app\n"
          "web a1b2c3d4e5f6: Pulling fs layer\n"
          "web a1b2c3d4e5f6: Downloading 2MB\n"
          "web a1b2c3d4e5f6: Download complete 2MB in 1.2s\n"
          "web a1b2c3d4e5f6: Pull complete\n"
          "web 0123456789ab: Resuming at 1.05MB of 3MB\n"
          "web 0123456789ab: Partial download failed its digest check: downloading again\n");
    std::fclose(f);
}

TEST_CASE("terminal view: one row per layer, redrawn in place, status lines below") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    {
        PullProgressView view(f, true);
        view.layer({"aaaaaaaaaaaa", Phase::Waiting, 0, 100});
        view.layer({"bbbbbbbbbbbb", Phase::Waiting, 0, 100});
        view.layer({"aaaaaaaaaaaa", Phase::PullComplete, 100, 100});
        view.line("Digest: sha256:x");
        view.layer({"cccccccccccc", Phase::Waiting, 0, 100});
    }
    std::string out = contents(f);
    // The first draw: one row; the second: up one line, both rows; the third: up two.
    CHECK(out.rfind("\x1b[2Kaaaaaaaaaaaa: Pulling fs layer\n", 0) == 0);
    CHECK(out.find("\x1b[1A\x1b[2Kaaaaaaaaaaaa: Pulling fs layer\n\x1b[2Kbbbbbbbbbbbb: Pulling fs layer\n") != std::string::npos);
    CHECK(out.find("\x1b[2A\x1b[2Kaaaaaaaaaaaa: Pull complete\n\x1b[2Kbbbbbbbbbbbb: Pulling fs layer\n") != std::string::npos);
    // After a status line the rows start afresh below it (no cursor movement upwards).
    size_t digest = out.find("Digest: sha256:x\n");
    REQUIRE(digest != std::string::npos);
    CHECK(out.substr(digest) == "Digest: sha256:x\n\x1b[2Kcccccccccccc: Pulling fs layer\n");
    std::fclose(f);
}
