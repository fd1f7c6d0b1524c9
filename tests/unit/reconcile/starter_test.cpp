// Tests of the monitor starter (src/reconcile/starter.cpp): it answers every
// request, from many threads at once, with the monitor's status pipe, and keeps
// none of the CLI's fds open (a held pipe or lock fd would outlive the CLI).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "engine/monitor/monitor.h"
#include "src/reconcile/starter.h"

using namespace hako;

namespace {

struct TempRoot {
    std::filesystem::path path;
    TempRoot() {
        char pattern[] = "/tmp/hako-starter-test.XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempRoot() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("starter: a monitor for an unknown container reports an error line on the status pipe it hands back") {
    TempRoot root;
    auto starter = reconcile::Starter::launch(root.path);
    REQUIRE(starter.ok());
    auto status = (*starter)->spawn_monitor("0123456789abcdef");
    REQUIRE(status.ok());
    std::string line = monitor::read_status_line(status->get());
    CHECK(line.rfind("error ", 0) == 0);
}

TEST_CASE("starter: requests from many threads each get their own status pipe") {
    TempRoot root;
    auto starter = reconcile::Starter::launch(root.path);
    REQUIRE(starter.ok());
    std::vector<std::string> lines(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < lines.size(); ++i)
        threads.emplace_back([&, i] {
            auto status = (*starter)->spawn_monitor("feedface" + std::to_string(i));
            lines[i] = status.ok() ? monitor::read_status_line(status->get()) : "failed " + status.error().message;
        });
    for (auto& thread : threads) thread.join();
    for (const auto& line : lines) CHECK(line.rfind("error ", 0) == 0);
}

TEST_CASE("starter: the helper holds none of the CLI's fds") {
    TempRoot root;
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);  // not CLOEXEC: the helper must close it anyway
    auto starter = reconcile::Starter::launch(root.path);
    REQUIRE(starter.ok());
    ::close(pipe_fds[1]);
    pollfd end{pipe_fds[0], POLLIN, 0};
    REQUIRE(::poll(&end, 1, 5000) == 1);  // end of file: no other writer is left
    char byte;
    CHECK(::read(pipe_fds[0], &byte, 1) == 0);
    ::close(pipe_fds[0]);
}

TEST_CASE("starter: an invalid id is refused before it reaches the helper") {
    TempRoot root;
    auto starter = reconcile::Starter::launch(root.path);
    REQUIRE(starter.ok());
    CHECK_FALSE((*starter)->spawn_monitor("").ok());
}
