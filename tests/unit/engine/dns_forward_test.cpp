// Tests of forwarding (engine/net/dns_forward.cpp): resolv.conf reading, and the
// forwarder against stand-in resolvers on loopback (unprivileged ports): relay,
// replies that are not for the query, resolvers tried in turn, SERVFAIL.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>

#include "engine/net/dns_forward.h"

using namespace hako::dns;

namespace {

const std::vector<uint8_t> kQuery = {0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'x', 0, 0, 1, 0, 1};

// A UDP socket on 127.0.0.1 and an ephemeral port, standing in for a resolver.
struct StandIn {
    hako::sys::UniqueFd fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    Upstream upstream;
    StandIn() {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
        socklen_t length = sizeof local;
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length);
        std::memcpy(&upstream.address, &local, sizeof local);
        upstream.length = sizeof local;
    }
    // Receives the forwarded query; the peer to answer goes to `peer`.
    std::vector<uint8_t> receive(sockaddr_storage& peer, socklen_t& length) {
        pollfd p{fd.get(), POLLIN, 0};
        REQUIRE(::poll(&p, 1, 2000) == 1);
        uint8_t buffer[1500];
        length = sizeof peer;
        ssize_t n = ::recvfrom(fd.get(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &length);
        REQUIRE(n > 0);
        return {buffer, buffer + n};
    }
};

Query parsed_query() {
    ParseResult parsed = parse_query(kQuery);
    REQUIRE(parsed.status == ParseStatus::Ok);
    return parsed.query;
}

// Polls the forwarder's sockets once and hands what is readable to it.
void pump(Forwarder& forwarder, std::vector<Forwarder::Reply>& done, int64_t now) {
    std::vector<pollfd> fds;
    forwarder.poll_fds(fds);
    if (fds.empty()) return;
    if (::poll(fds.data(), fds.size(), 2000) <= 0) return;
    for (const pollfd& p : fds)
        if (p.revents) forwarder.on_readable(p.fd, now, done);
}

}  // namespace

TEST_CASE("dns forward: resolv.conf nameserver lines, at most three, others ignored") {
    auto upstreams = parse_resolv_conf(
        "# comment\nsearch example.com\nnameserver 10.255.255.53\nnameserver fe80::1%lo\n"
        "nameserver bogus\noptions ndots:2\nnameserver 127.0.0.53\nnameserver 1.1.1.1\n");
    REQUIRE(upstreams.size() == 3);
    CHECK(upstreams[0].address.ss_family == AF_INET);
    CHECK(ntohs(reinterpret_cast<sockaddr_in&>(upstreams[0].address).sin_port) == 53);
    CHECK(upstreams[1].address.ss_family == AF_INET6);
    CHECK(reinterpret_cast<sockaddr_in6&>(upstreams[1].address).sin6_scope_id != 0);
    CHECK(parse_resolv_conf("").empty());
    CHECK(read_resolv_conf("/nonexistent/resolv.conf").empty());
}

TEST_CASE("dns forward: with no resolver the SERVFAIL comes at once") {
    Forwarder forwarder;
    std::vector<Forwarder::Reply> done;
    forwarder.start(kQuery, parsed_query(), Forwarder::Client{9, 512}, 0, done);
    REQUIRE(done.size() == 1);
    CHECK(done[0].client.token == 9);
    CHECK((done[0].message[3] & 0xf) == static_cast<int>(Rcode::ServFail));
    CHECK(forwarder.pending() == 0);
    CHECK(forwarder.next_timeout_ms(0) == -1);
}

TEST_CASE("dns forward: the resolver's answer is relayed; a reply with another id is ignored") {
    StandIn resolver;
    Forwarder forwarder;
    forwarder.set_upstreams({resolver.upstream});
    std::vector<Forwarder::Reply> done;
    forwarder.start(kQuery, parsed_query(), Forwarder::Client{1, 512}, 0, done);
    CHECK(done.empty());
    CHECK(forwarder.pending() == 1);
    CHECK(forwarder.next_timeout_ms(0) == kUpstreamTimeoutMs);
    sockaddr_storage peer{};
    socklen_t length = 0;
    auto forwarded = resolver.receive(peer, length);
    CHECK(forwarded == kQuery);
    auto wrong = forwarded;
    wrong[1] ^= 1;
    wrong[2] |= 0x80;
    ::sendto(resolver.fd.get(), wrong.data(), wrong.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
    pump(forwarder, done, 10);
    CHECK(done.empty());
    auto answer = forwarded;
    answer[2] |= 0x80;
    answer[3] = 0x83;  // NXDOMAIN, as the resolver says
    ::sendto(resolver.fd.get(), answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
    pump(forwarder, done, 20);
    REQUIRE(done.size() == 1);
    CHECK(done[0].client.token == 1);
    CHECK(done[0].message == answer);
    CHECK(forwarder.pending() == 0);
}

TEST_CASE("dns forward: a silent resolver times out and the next is tried; then SERVFAIL") {
    StandIn silent, second;
    Forwarder forwarder;
    forwarder.set_upstreams({silent.upstream, second.upstream});
    std::vector<Forwarder::Reply> done;
    forwarder.start(kQuery, parsed_query(), Forwarder::Client{2, 512}, 0, done);
    sockaddr_storage peer{};
    socklen_t length = 0;
    silent.receive(peer, length);
    forwarder.expire(kUpstreamTimeoutMs - 1, done);
    CHECK(done.empty());
    forwarder.expire(kUpstreamTimeoutMs, done);
    CHECK(done.empty());
    second.receive(peer, length);  // the second resolver got it after the first timed out
    forwarder.expire(2 * kUpstreamTimeoutMs, done);
    REQUIRE(done.size() == 1);
    CHECK((done[0].message[3] & 0xf) == static_cast<int>(Rcode::ServFail));
    CHECK(forwarder.pending() == 0);
}

TEST_CASE("dns forward: a resolver that refuses (nothing listens) is skipped at once") {
    Upstream closed;
    {
        StandIn gone;
        closed = gone.upstream;
    }
    Forwarder forwarder;
    forwarder.set_upstreams({closed});
    std::vector<Forwarder::Reply> done;
    auto start = std::chrono::steady_clock::now();
    forwarder.start(kQuery, parsed_query(), Forwarder::Client{3, 512}, 0, done);
    pump(forwarder, done, 1);
    REQUIRE(done.size() == 1);
    CHECK((done[0].message[3] & 0xf) == static_cast<int>(Rcode::ServFail));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
}

TEST_CASE("dns forward: more than kMaxPending queries in flight get SERVFAIL") {
    StandIn resolver;
    Forwarder forwarder;
    forwarder.set_upstreams({resolver.upstream});
    std::vector<Forwarder::Reply> done;
    for (size_t i = 0; i < kMaxPending; ++i) forwarder.start(kQuery, parsed_query(), Forwarder::Client{i, 512}, 0, done);
    CHECK(done.empty());
    forwarder.start(kQuery, parsed_query(), Forwarder::Client{9999, 512}, 0, done);
    REQUIRE(done.size() == 1);
    CHECK(done[0].client.token == 9999);
    forwarder.expire(kUpstreamTimeoutMs, done);
    CHECK(done.size() == kMaxPending + 1);
    CHECK(forwarder.pending() == 0);
}

TEST_CASE("dns forward: a truncated answer for a TCP client is fetched again over TCP") {
    StandIn resolver;
    sockaddr_in address{};
    std::memcpy(&address, &resolver.upstream.address, sizeof address);
    hako::sys::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener.get(), 4) == 0);
    Forwarder forwarder;
    forwarder.set_upstreams({resolver.upstream});
    std::vector<Forwarder::Reply> done;
    forwarder.start(kQuery, parsed_query(), Forwarder::Client{4, kMaxMessage, true}, 0, done);
    sockaddr_storage peer{};
    socklen_t length = 0;
    auto forwarded = resolver.receive(peer, length);
    auto truncated = forwarded;
    truncated[2] |= 0x82;  // a response, TC
    ::sendto(resolver.fd.get(), truncated.data(), truncated.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
    pump(forwarder, done, 1);  // the UDP reply: switches to TCP
    CHECK(done.empty());
    pump(forwarder, done, 2);  // connected: the query goes out
    pollfd p{listener.get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 2000) == 1);
    hako::sys::UniqueFd connection(::accept(listener.get(), nullptr, nullptr));
    uint8_t framed[512];
    ssize_t got = 0;
    for (int round = 0; round < 50 && got < static_cast<ssize_t>(kQuery.size() + 2); ++round) {
        pump(forwarder, done, 3);
        ssize_t n = ::recv(connection.get(), framed + got, sizeof framed - static_cast<size_t>(got), MSG_DONTWAIT);
        if (n > 0) got += n;
    }
    CHECK(std::vector<uint8_t>(framed + 2, framed + got) == kQuery);
    auto full = kQuery;
    full[2] |= 0x80;
    full[7] = 0;  // no answers needed: the reply itself is what counts
    std::vector<uint8_t> out = {0, static_cast<uint8_t>(full.size())};
    out.insert(out.end(), full.begin(), full.end());
    REQUIRE(::send(connection.get(), out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
    pump(forwarder, done, 4);
    REQUIRE(done.size() == 1);
    CHECK(done[0].message == full);
    CHECK((done[0].message[2] & 0x02) == 0);
}

TEST_CASE("dns forward: a truncated answer for a UDP client is relayed as it is") {
    StandIn resolver;
    Forwarder forwarder;
    forwarder.set_upstreams({resolver.upstream});
    std::vector<Forwarder::Reply> done;
    forwarder.start(kQuery, parsed_query(), Forwarder::Client{5, 512, false}, 0, done);
    sockaddr_storage peer{};
    socklen_t length = 0;
    auto truncated = resolver.receive(peer, length);
    truncated[2] |= 0x82;
    ::sendto(resolver.fd.get(), truncated.data(), truncated.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
    pump(forwarder, done, 1);
    REQUIRE(done.size() == 1);
    CHECK(done[0].message == truncated);
}
