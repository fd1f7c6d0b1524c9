// Tests for engine/monitor/monitor.cpp's status channel reader (read_status_line)
// on the kind of socket spawn() makes: one line per message, read whole.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "engine/monitor/monitor.h"
#include "engine/sys/fd.h"

using namespace hako;

namespace {

struct StatusPair {
    sys::UniqueFd cli, monitor;
};

StatusPair status_pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
    return {sys::UniqueFd(fds[0]), sys::UniqueFd(fds[1])};
}

void send_line(int fd, const std::string& text) {
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

}  // namespace

TEST_CASE("status line: 'started' and 'exit' sent before the first read come back one per call") {
    auto pair = status_pair();
    send_line(pair.monitor.get(), "started 4242\n");
    send_line(pair.monitor.get(), "exit 3\n");
    CHECK(monitor::read_status_line(pair.cli.get()) == "started 4242");
    CHECK(monitor::read_status_line(pair.cli.get()) == "exit 3");
}

TEST_CASE("status line: an error message keeps its spaces, and the end of the channel reads as empty") {
    auto pair = status_pair();
    send_line(pair.monitor.get(), "error 125 mount overlay: No such file or directory\n");
    pair.monitor.reset();
    CHECK(monitor::read_status_line(pair.cli.get()) == "error 125 mount overlay: No such file or directory");
    CHECK(monitor::read_status_line(pair.cli.get()).empty());
}
