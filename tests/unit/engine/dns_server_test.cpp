// Tests of the responder's loop (engine/net/dns_server.cpp) without root: the server
// runs in a child of the test on 127.0.202.1 and an unprivileged port, for a network
// whose subnet is 127.0.0.0/8 (loopback sources), with no resolver.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "engine/net/dns_packet.h"
#include "engine/net/dns_server.h"
#include "engine/sys/fd.h"
#include "engine/sys/tempdir.h"

using namespace hako::dns;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    fs::path temp = path.string() + ".tmp";
    std::ofstream(temp) << text;
    fs::rename(temp, path);
}

// The responder as a child of the test; killed and reaped at the end.
struct Child {
    pid_t pid = -1;
    ~Child() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

int ask(int port, const std::string& name, std::vector<uint8_t>* reply_out = nullptr) {
    hako::sys::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.202.1", &to.sin_addr);
    std::vector<uint8_t> query = {0x42, 0x42, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    auto wire = encode_name(name);
    query.insert(query.end(), wire->begin(), wire->end());
    query.insert(query.end(), {0, 1, 0, 1});
    ::sendto(fd.get(), query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) return -1;
    uint8_t buffer[1500];
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n < 12) return -1;
    if (reply_out) reply_out->assign(buffer, buffer + n);
    return buffer[3] & 0xf;
}

}  // namespace

TEST_CASE("dns server: answers from the tree, follows endpoint changes, SERVFAIL without resolvers, leaves with SIGTERM") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-server");
    REQUIRE(dir.ok());
    fs::path root = dir->path() / "root";
    fs::create_directories(root / "run");
    write(root / "networks/n/network.json",
          R"({"id":"n","name":"n","driver":"bridge","subnets":[{"subnet":"127.0.0.0/8","gateway":"127.0.202.1"}]})");
    write(root / "networks/n/endpoints/c1.json", R"({"container_id":"c1","container_name":"one","names":["svc"],"ipv4":"10.202.7.2"})");
    ServerOptions options{root, root / "run", dir->path() / "no-resolv.conf", 20000 + getpid() % 20000};
    int status[2];
    REQUIRE(::pipe2(status, O_CLOEXEC) == 0);
    Child child;
    child.pid = ::fork();
    REQUIRE(child.pid >= 0);
    if (child.pid == 0) {
        ::close(status[0]);
        serve(options, status[1]);
    }
    ::close(status[1]);
    char line[64] = {};
    pollfd p{status[0], POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);
    REQUIRE(::read(status[0], line, sizeof line - 1) > 0);
    ::close(status[0]);
    CHECK(std::string(line).rfind("ready ", 0) == 0);
    CHECK(fs::exists(root / "run" / kPidFile));

    std::vector<uint8_t> reply;
    CHECK(ask(options.port, "SVC", &reply) == 0);
    CHECK(reply[7] == 1);
    CHECK(std::vector<uint8_t>(reply.end() - 4, reply.end()) == std::vector<uint8_t>{10, 202, 7, 2});
    write(root / "networks/n/endpoints/c2.json", R"({"container_id":"c2","container_name":"two","names":["svc"],"ipv4":"10.202.7.3"})");
    CHECK(ask(options.port, "svc", &reply) == 0);
    CHECK(reply[7] == 2);
    fs::remove(root / "networks/n/endpoints/c1.json");
    fs::remove(root / "networks/n/endpoints/c2.json");
    CHECK(ask(options.port, "svc") == 2);  // unknown now, and no resolver: SERVFAIL
    CHECK(ask(options.port, "elsewhere.example") == 2);

    ::kill(child.pid, SIGTERM);
    int wait_status = 0;
    REQUIRE(::waitpid(child.pid, &wait_status, 0) == child.pid);
    child.pid = -1;
    CHECK(WIFEXITED(wait_status));
    CHECK(WEXITSTATUS(wait_status) == 0);
    CHECK_FALSE(fs::exists(root / "run" / kPidFile));
    CHECK_FALSE(fs::exists(root / "run" / kControlSocket));
}
