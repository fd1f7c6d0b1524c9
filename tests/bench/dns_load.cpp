// A small DNS load generator and stand-in resolver for tests/bench/dns_bench.sh:
//   dns_load load SERVER NAME SECONDS CONCURRENCY   queries/s and latency percentiles (UDP, A)
//   dns_load serve ADDRESS                           answers every A query at once (a test upstream)
//   dns_load sync ROOT COUNT                         runs dns::sync COUNT times, prints the mean time
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/net/dns_control.h"
#include "engine/net/dns_packet.h"

using namespace hako::dns;
using Clock = std::chrono::steady_clock;

namespace {

sockaddr_in endpoint(const char* address, int port) {
    sockaddr_in out{};
    out.sin_family = AF_INET;
    out.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, address, &out.sin_addr) != 1) {
        std::fprintf(stderr, "bad address %s\n", address);
        std::exit(2);
    }
    return out;
}

int serve(const char* address) {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    auto local = endpoint(address, 53);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        std::perror("bind");
        return 1;
    }
    uint8_t buffer[1500];
    for (;;) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        ssize_t n = ::recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &length);
        if (n < 12) continue;
        ParseResult parsed = parse_query({buffer, static_cast<size_t>(n)});
        if (parsed.status != ParseStatus::Ok) continue;
        auto reply = build_reply(parsed.query, Rcode::NoError, {{RecordType::A, 60, {10, 202, 99, 99}, {}}}, 512, false);
        ::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
    }
}

int load(const char* server, const char* name, double seconds, int concurrency) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    auto to = endpoint(server, 53);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        std::perror("connect");
        return 1;
    }
    auto wire = encode_name(name);
    std::vector<uint8_t> query = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    query.insert(query.end(), wire->begin(), wire->end());
    query.insert(query.end(), {0, 1, 0, 1});
    std::vector<Clock::time_point> sent(65536);
    std::vector<bool> outstanding(65536, false);
    std::vector<double> latencies_us;
    latencies_us.reserve(1 << 20);
    uint16_t next_id = 0;
    int in_flight = 0;
    long lost = 0, errors = 0;
    auto start = Clock::now();
    auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    auto send_one = [&] {
        uint16_t id = next_id++;
        if (outstanding[id]) {  // a query 65536 ago never came back
            ++lost;
            --in_flight;
        }
        query[0] = static_cast<uint8_t>(id >> 8);
        query[1] = static_cast<uint8_t>(id);
        sent[id] = Clock::now();
        if (::send(fd, query.data(), query.size(), 0) == static_cast<ssize_t>(query.size())) {
            outstanding[id] = true;
            ++in_flight;
        }
    };
    while (Clock::now() < end) {
        while (in_flight < concurrency) send_one();
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) != 1) {  // everything in flight is lost
            lost += in_flight;
            std::fill(outstanding.begin(), outstanding.end(), false);
            in_flight = 0;
            continue;
        }
        uint8_t buffer[1500];
        ssize_t n;
        while ((n = ::recv(fd, buffer, sizeof buffer, 0)) >= 12) {
            uint16_t id = static_cast<uint16_t>((buffer[0] << 8) | buffer[1]);
            if (!outstanding[id]) continue;
            outstanding[id] = false;
            --in_flight;
            if ((buffer[3] & 0xf) != 0 || ((buffer[6] << 8) | buffer[7]) == 0) ++errors;
            latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent[id]).count());
        }
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(latencies_us.begin(), latencies_us.end());
    auto percentile = [&](double p) {
        return latencies_us.empty() ? 0.0 : latencies_us[std::min(latencies_us.size() - 1, static_cast<size_t>(p * latencies_us.size()))];
    };
    std::printf("%-22s %9.0f q/s  p50 %7.1f us  p99 %7.1f us  answered %zu  lost %ld  errors %ld\n", name,
                latencies_us.size() / elapsed, percentile(0.50), percentile(0.99), latencies_us.size(), lost, errors);
    return 0;
}

int sync_many(const char* root, int count) {
    auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        auto result = sync(root);
        if (!result.ok()) {
            std::fprintf(stderr, "sync: %s\n", result.error().message.c_str());
            return 1;
        }
    }
    double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / count;
    std::printf("dns::sync (responder running, reload acknowledged): %.0f us mean over %d\n", us, count);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "serve" && argc == 3) return serve(argv[2]);
    if (mode == "load" && argc == 6) return load(argv[2], argv[3], std::atof(argv[4]), std::atoi(argv[5]));
    if (mode == "sync" && argc == 4) return sync_many(argv[2], std::atoi(argv[3]));
    std::fprintf(stderr, "usage: dns_load load SERVER NAME SECONDS CONCURRENCY | serve ADDRESS | sync ROOT COUNT\n");
    return 2;
}
