// Live tests of the DNS responder (engine/net/dns_server.cpp, dns_control.cpp): a real
// responder process on port 53 of addresses that tests/integration/test_dns_responder.sh
// puts on a link of its own (10.202.1.1, .2.1, .3.1), with a hand-written ROOT/networks tree
// and test resolvers on 127.0.202.53 (answers) and 127.0.202.54 (silent). Hidden: root only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "engine/net/dns_control.h"
#include "engine/net/dns_packet.h"
#include "engine/net/dns_server.h"
#include "engine/sys/fd.h"
#include "engine/sys/tempdir.h"

using namespace hako::dns;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    fs::path temp = path.string() + ".tmp";
    std::ofstream(temp) << text;
    fs::rename(temp, path);
}

void write_network(const fs::path& root, const std::string& id, int third, bool internal) {
    write(root / "networks" / id / "network.json",
          R"({"id":")" + id + R"(","name":")" + id + R"(","driver":"bridge","bridge":"","internal":)" +
              (internal ? "true" : "false") + R"(,"enable_ipv6":false,"subnets":[{"subnet":"10.202.)" +
              std::to_string(third) + R"(.0/24","gateway":"10.202.)" + std::to_string(third) +
              R"(.1","ip_range":""}],"labels":{},"options":{},"created":""})");
}

void write_endpoint(const fs::path& root, const std::string& network, const std::string& id, const std::string& name,
                    const std::string& service, const std::string& ipv4) {
    write(root / "networks" / network / "endpoints" / (id + ".json"),
          R"({"container_id":")" + id + R"(","container_name":")" + name + R"(","names":[")" + service + R"(",")" +
              name + R"("],"ipv4":")" + ipv4 + R"(","ipv6":"","mac":""})");
}

struct Reply {
    bool received = false;
    int rcode = -1;
    bool truncated = false;
    std::set<std::string> addresses;
    std::vector<std::string> ptr;
};

std::vector<uint8_t> query_bytes(const std::string& name, RecordType type, uint16_t id) {
    std::vector<uint8_t> out = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    auto wire = encode_name(name);
    out.insert(out.end(), wire->begin(), wire->end());
    out.insert(out.end(), {0, static_cast<uint8_t>(type), 0, 1});
    return out;
}

Reply decode(std::span<const uint8_t> message) {
    Reply reply;
    if (message.size() < 12) return reply;
    reply.received = true;
    reply.rcode = message[3] & 0xf;
    reply.truncated = message[2] & 0x02;
    size_t offset = 12;
    if (!read_name(message, offset)) return reply;
    offset += 4;
    int answers = (message[6] << 8) | message[7];
    for (int i = 0; i < answers; ++i) {
        if (!read_name(message, offset) || offset + 10 > message.size()) break;
        int type = (message[offset] << 8) | message[offset + 1];
        size_t length = static_cast<size_t>((message[offset + 8] << 8) | message[offset + 9]);
        offset += 10;
        char text[INET6_ADDRSTRLEN] = {};
        if (type == 1 && length == 4) reply.addresses.insert(inet_ntop(AF_INET, &message[offset], text, sizeof text));
        if (type == 12) {
            size_t at = offset;
            reply.ptr.push_back(read_name(message, at).value_or("?"));
        }
        offset += length;
    }
    return reply;
}

sockaddr_in endpoint(const std::string& address, int port) {
    sockaddr_in out{};
    out.sin_family = AF_INET;
    out.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, address.c_str(), &out.sin_addr);
    return out;
}

Reply ask_udp(const std::string& server, const std::string& name, RecordType type = RecordType::A,
              const std::string& source = "", int timeout_ms = 3000) {
    hako::sys::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!source.empty()) {
        auto local = endpoint(source, 0);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
    }
    auto to = endpoint(server, 53);
    static std::atomic<uint16_t> next_id{100};
    uint16_t id = next_id++;
    auto message = query_bytes(name, type, id);
    ::sendto(fd.get(), message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return {};
    uint8_t buffer[4096];
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n < 12 || ((buffer[0] << 8) | buffer[1]) != id) return {};
    return decode({buffer, static_cast<size_t>(n)});
}

Reply ask_tcp(const std::string& server, const std::string& name) {
    hako::sys::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    auto to = endpoint(server, 53);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return {};
    auto message = query_bytes(name, RecordType::A, 7);
    std::vector<uint8_t> framed = {static_cast<uint8_t>(message.size() >> 8), static_cast<uint8_t>(message.size())};
    framed.insert(framed.end(), message.begin(), message.end());
    // Two queries in one write: both are answered.
    framed.insert(framed.end(), framed.begin(), framed.end());
    if (::send(fd.get(), framed.data(), framed.size(), 0) != static_cast<ssize_t>(framed.size())) return {};
    std::vector<uint8_t> in;
    uint8_t buffer[4096];
    while (true) {
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 3000) != 1) return {};
        ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) return {};
        in.insert(in.end(), buffer, buffer + n);
        if (in.size() < 2) continue;
        size_t first = (size_t{in[0]} << 8) | in[1];
        if (in.size() < 2 + first + 2) continue;
        size_t second = (size_t{in[2 + first]} << 8) | in[3 + first];
        if (in.size() < 4 + first + second) continue;
        return decode({in.data() + 4 + first, second});
    }
}

// A test resolver on loopback: answers every A query with 10.202.99.99, or stays silent.
class TestResolver {
public:
    TestResolver(const std::string& address, bool answer) : answer_(answer) {
        fd_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        auto local = endpoint(address, 53);
        REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~TestResolver() {
        stop_ = true;
        thread_.join();
    }
    int seen() const { return seen_; }

private:
    void serve() {
        while (!stop_) {
            pollfd p{fd_.get(), POLLIN, 0};
            if (::poll(&p, 1, 50) != 1) continue;
            uint8_t buffer[1500];
            sockaddr_storage peer{};
            socklen_t length = sizeof peer;
            ssize_t n = ::recvfrom(fd_.get(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &length);
            if (n < 12) continue;
            ++seen_;
            if (!answer_) continue;
            ParseResult parsed = parse_query({buffer, static_cast<size_t>(n)});
            if (parsed.status != ParseStatus::Ok) continue;
            auto reply = build_reply(parsed.query, Rcode::NoError, {{RecordType::A, 60, {10, 202, 99, 99}, {}}}, 512, false);
            ::sendto(fd_.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
        }
    }
    bool answer_;
    hako::sys::UniqueFd fd_;
    std::atomic<bool> stop_{false};
    std::atomic<int> seen_{0};
    std::thread thread_;
};

std::optional<pid_t> responder_pid(const fs::path& root) {
    std::ifstream in(root / "run" / kPidFile);
    long pid = 0;
    if (!(in >> pid) || pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) != 0) return std::nullopt;
    return static_cast<pid_t>(pid);
}

bool wait_gone(pid_t pid, int ms) {
    for (int waited = 0; waited < ms; waited += 20) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(stat, line) || line.find(") Z") != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

int64_t elapsed_ms(Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

}  // namespace

TEST_CASE("dns live: the responder answers, forwards, follows changes and goes with the last network", "[.dns_live]") {
    if (!std::getenv("HAKO_DNS_LIVE")) {
        WARN("run by tests/integration/test_dns_responder.sh");
        return;
    }
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-live");
    REQUIRE(dir.ok());
    fs::path root = dir->path() / "root";
    fs::path resolv = dir->path() / "resolv.conf";
    write(resolv, "nameserver 127.0.202.53\n");
    ::setenv("HAKO_RESOLV_CONF", resolv.c_str(), 1);

    CHECK(sync(root).ok());  // no network: nothing starts
    CHECK_FALSE(responder_pid(root));

    write_network(root, "n1", 1, false);
    write_endpoint(root, "n1", "c1", "p-web-1", "web", "10.202.1.2");
    write_endpoint(root, "n1", "c2", "p-web-2", "web", "10.202.1.3");
    write_network(root, "n2", 2, true);
    write_endpoint(root, "n2", "c3", "p-db-1", "db", "10.202.2.2");
    REQUIRE(sync(root).ok());
    auto pid = responder_pid(root);
    REQUIRE(pid);
    REQUIRE(sync(root).ok());  // a second sync reloads the same process
    CHECK(responder_pid(root) == pid);

    TestResolver upstream("127.0.202.53", true);

    SECTION("local names, replicas, case, AAAA, PTR, TCP") {
        Reply web = ask_udp("10.202.1.1", "web");
        CHECK(web.rcode == 0);
        CHECK(web.addresses == std::set<std::string>{"10.202.1.2", "10.202.1.3"});
        CHECK(ask_udp("10.202.1.1", "P-WEB-2").addresses == std::set<std::string>{"10.202.1.3"});
        Reply aaaa = ask_udp("10.202.1.1", "web", RecordType::AAAA);
        CHECK(aaaa.rcode == 0);
        CHECK(aaaa.addresses.empty());
        CHECK(ask_udp("10.202.1.1", "2.1.202.10.in-addr.arpa", RecordType::PTR).ptr ==
              std::vector<std::string>{"p-web-1"});
        CHECK(ask_udp("10.202.1.1", "77.1.202.10.in-addr.arpa", RecordType::PTR).rcode == 3);
        CHECK(ask_tcp("10.202.1.1", "web").addresses == std::set<std::string>{"10.202.1.2", "10.202.1.3"});
    }
    SECTION("a network sees only its own names; a foreign source is refused") {
        CHECK(ask_udp("10.202.2.1", "db").addresses == std::set<std::string>{"10.202.2.2"});
        CHECK(ask_udp("10.202.2.1", "web").rcode == 5);  // internal: not forwarded either
        CHECK(upstream.seen() == 0);
        CHECK(ask_udp("10.202.2.1", "db", RecordType::A, "10.202.1.1").rcode == 5);
        CHECK(ask_udp("10.202.1.1", "db").addresses.count("10.202.2.2") == 0);  // forwarded, not answered
    }
    SECTION("other names are forwarded; resolvers are tried in turn; SERVFAIL when none answers") {
        Reply forwarded = ask_udp("10.202.1.1", "example.test");
        CHECK(forwarded.rcode == 0);
        CHECK(forwarded.addresses == std::set<std::string>{"10.202.99.99"});
        CHECK(upstream.seen() == 1);

        TestResolver silent("127.0.202.54", false);
        write(resolv, "nameserver 127.0.202.54\nnameserver 127.0.202.53\n");
        REQUIRE(sync(root).ok());
        auto start = Clock::now();
        CHECK(ask_udp("10.202.1.1", "second.test").addresses == std::set<std::string>{"10.202.99.99"});
        CHECK(elapsed_ms(start) < 2000);
        CHECK(silent.seen() == 1);

        write(resolv, "nameserver 127.0.202.54\n");
        REQUIRE(sync(root).ok());
        start = Clock::now();
        CHECK(ask_udp("10.202.1.1", "nobody.test").rcode == 2);
        CHECK(elapsed_ms(start) < 1500);

        write(resolv, "nameserver 127.0.202.55\n");  // nothing listens: refused at once
        REQUIRE(sync(root).ok());
        start = Clock::now();
        CHECK(ask_udp("10.202.1.1", "refused.test").rcode == 2);
        CHECK(elapsed_ms(start) < 300);

        write(resolv, "# no resolvers\n");
        REQUIRE(sync(root).ok());
        start = Clock::now();
        CHECK(ask_udp("10.202.1.1", "none.test").rcode == 2);
        CHECK(elapsed_ms(start) < 300);
    }
    SECTION("records change at once, without a sync, and reloads drop no query") {
        fs::remove(root / "networks/n1/endpoints/c2.json");
        CHECK(ask_udp("10.202.1.1", "web").addresses == std::set<std::string>{"10.202.1.2"});
        CHECK(ask_udp("10.202.1.1", "p-web-2").addresses.count("10.202.1.3") == 0);
        write_endpoint(root, "n1", "c4", "p-web-4", "web", "10.202.1.4");
        CHECK(ask_udp("10.202.1.1", "web").addresses == std::set<std::string>{"10.202.1.2", "10.202.1.4"});

        std::atomic<bool> stop{false};
        std::atomic<int> answered{0}, lost{0};
        std::thread load([&] {
            while (!stop) {
                if (ask_udp("10.202.1.1", "p-web-1", RecordType::A, "", 1000).addresses.size() == 1)
                    ++answered;
                else
                    ++lost;
            }
        });
        for (int i = 0; i < 20; ++i) {
            write_endpoint(root, "n1", "c" + std::to_string(10 + i), "p-x-" + std::to_string(i), "x",
                           "10.202.1." + std::to_string(10 + i));
            write_network(root, "n3", 3, false);
            REQUIRE(sync(root).ok());
            fs::remove_all(root / "networks/n3");
            REQUIRE(sync(root).ok());
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        stop = true;
        load.join();
        CHECK(answered > 20);
        CHECK(lost == 0);
        CHECK(ask_udp("10.202.1.1", "x").addresses.size() == 20);

        write_network(root, "n3", 3, false);
        write_endpoint(root, "n3", "c5", "p-api-1", "api", "10.202.3.2");
        REQUIRE(sync(root).ok());  // a new network's sockets are open when sync returns
        CHECK(ask_udp("10.202.3.1", "api").addresses == std::set<std::string>{"10.202.3.2"});
    }
    SECTION("garbage does not stop it") {
        hako::sys::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        auto to = endpoint("10.202.1.1", 53);
        std::mt19937 random(3);
        for (int i = 0; i < 2000; ++i) {
            std::vector<uint8_t> junk(random() % 64);
            for (auto& b : junk) b = static_cast<uint8_t>(random());
            ::sendto(fd.get(), junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        }
        std::vector<uint8_t> loop = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
        ::sendto(fd.get(), loop.data(), loop.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        // A TCP client that sends half a message and one that declares 64 KiB and sends nothing.
        hako::sys::UniqueFd half(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(::connect(half.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
        uint8_t partial[] = {0xff, 0xff, 1, 2, 3};
        CHECK(::send(half.get(), partial, sizeof partial, 0) == 5);
        // A flood may overflow the socket's buffer (UDP drops, clients retry): let it drain.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        CHECK(ask_udp("10.202.1.1", "p-web-1").addresses == std::set<std::string>{"10.202.1.2"});
        CHECK(ask_tcp("10.202.1.1", "p-web-1").addresses == std::set<std::string>{"10.202.1.2"});
        CHECK(responder_pid(root) == pid);
    }

    // The last network gone: sync stops the responder and its sockets close.
    fs::remove_all(root / "networks");
    REQUIRE(sync(root).ok());
    CHECK(wait_gone(*pid, 2000));
    CHECK_FALSE(responder_pid(root));
    CHECK_FALSE(ask_udp("10.202.1.1", "web", RecordType::A, "", 300).received);
}

TEST_CASE("dns live: without a sync the responder leaves by itself when the last network goes", "[.dns_live]") {
    if (!std::getenv("HAKO_DNS_LIVE")) {
        WARN("run by tests/integration/test_dns_responder.sh");
        return;
    }
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-live");
    REQUIRE(dir.ok());
    fs::path root = dir->path() / "root";
    write_network(root, "n1", 1, false);
    REQUIRE(sync(root).ok());
    auto pid = responder_pid(root);
    REQUIRE(pid);
    fs::remove_all(root / "networks/n1");
    CHECK(wait_gone(*pid, 3000));
    CHECK_FALSE(responder_pid(root));
}
