// This file implements forwarding to the host's resolvers (dns_forward.h).
#include "engine/net/dns_forward.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <sstream>

#include "engine/sys/file.h"

namespace hako::dns {

std::vector<Upstream> parse_resolv_conf(std::string_view text) {
    constexpr size_t kMaxResolvers = 3;
    std::vector<Upstream> upstreams;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line) && upstreams.size() < kMaxResolvers) {
        std::istringstream words(line);
        std::string keyword, address;
        if (!(words >> keyword >> address) || keyword != "nameserver") continue;
        Upstream upstream;
        auto* v4 = reinterpret_cast<sockaddr_in*>(&upstream.address);
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&upstream.address);
        std::string scope;
        if (auto percent = address.find('%'); percent != std::string::npos) {
            scope = address.substr(percent + 1);
            address.resize(percent);
        }
        if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
            v4->sin_family = AF_INET;
            v4->sin_port = htons(53);
            upstream.length = sizeof(sockaddr_in);
        } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons(53);
            if (!scope.empty()) v6->sin6_scope_id = if_nametoindex(scope.c_str());
            upstream.length = sizeof(sockaddr_in6);
        } else {
            continue;
        }
        upstreams.push_back(upstream);
    }
    return upstreams;
}

std::vector<Upstream> read_resolv_conf(const std::filesystem::path& path) {
    auto text = sys::read_file(path, 1 << 20);
    return text.ok() ? parse_resolv_conf(*text) : std::vector<Upstream>{};
}

bool Forwarder::try_next(Pending& pending, int64_t now_ms) {
    while (pending.next_upstream < upstreams_.size()) {
        const Upstream& upstream = upstreams_[pending.next_upstream++];
        sys::UniqueFd socket(::socket(upstream.address.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!socket) continue;
        if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&upstream.address), upstream.length) != 0)
            continue;
        if (::send(socket.get(), pending.raw.data(), pending.raw.size(), 0) < 0) continue;
        pending.socket = std::move(socket);
        pending.deadline_ms = now_ms + kUpstreamTimeoutMs;
        pending.over_tcp = false;
        pending.in.clear();
        pending.out.clear();
        return true;
    }
    return false;
}

bool Forwarder::switch_to_tcp(Pending& pending, int64_t now_ms) {
    const Upstream& upstream = upstreams_[pending.next_upstream - 1];
    sys::UniqueFd socket(::socket(upstream.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket) return false;
    if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&upstream.address), upstream.length) != 0 &&
        errno != EINPROGRESS)
        return false;
    pending.socket = std::move(socket);
    pending.over_tcp = true;
    pending.out = {static_cast<uint8_t>(pending.raw.size() >> 8), static_cast<uint8_t>(pending.raw.size() & 0xff)};
    pending.out.insert(pending.out.end(), pending.raw.begin(), pending.raw.end());
    pending.in.clear();
    pending.deadline_ms = now_ms + kUpstreamTimeoutMs;
    return true;
}

std::optional<std::vector<uint8_t>> Forwarder::tcp_progress(Pending& pending, bool& failed) {
    failed = false;
    while (!pending.out.empty()) {
        ssize_t n = ::send(pending.socket.get(), pending.out.data(), pending.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)) return std::nullopt;
        if (n <= 0) {
            failed = true;
            return std::nullopt;
        }
        pending.out.erase(pending.out.begin(), pending.out.begin() + n);
    }
    uint8_t buffer[4096];
    for (;;) {
        ssize_t n = ::recv(pending.socket.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            failed = true;
            return std::nullopt;
        }
        pending.in.insert(pending.in.end(), buffer, buffer + n);
        if (pending.in.size() >= 2) {
            size_t length = (size_t{pending.in[0]} << 8) | pending.in[1];
            if (pending.in.size() >= 2 + length) return std::vector<uint8_t>(pending.in.begin() + 2, pending.in.begin() + 2 + static_cast<long>(length));
        }
    }
    return std::nullopt;
}

void Forwarder::rekey(int old_fd) {
    auto node = pending_.extract(old_fd);
    int new_fd = node.mapped().socket.get();
    node.key() = new_fd;
    pending_.insert(std::move(node));
}

void Forwarder::fail(Pending& pending, std::vector<Reply>& done) {
    done.push_back(Reply{pending.client, build_reply(pending.query, Rcode::ServFail, {}, pending.client.reply_limit, false)});
}

void Forwarder::start(std::span<const uint8_t> raw, const Query& query, Client client, int64_t now_ms,
                      std::vector<Reply>& done) {
    Pending pending{{raw.begin(), raw.end()}, query, client, 0, 0, {}};
    if (pending_.size() >= kMaxPending || !try_next(pending, now_ms)) {
        fail(pending, done);
        return;
    }
    int fd = pending.socket.get();
    pending_.emplace(fd, std::move(pending));
}

void Forwarder::poll_fds(std::vector<pollfd>& fds) const {
    for (const auto& [fd, pending] : pending_)
        fds.push_back(pollfd{fd, static_cast<short>(POLLIN | (pending.out.empty() ? 0 : POLLOUT)), 0});
}

void Forwarder::on_readable(int fd, int64_t now_ms, std::vector<Reply>& done) {
    auto it = pending_.find(fd);
    if (it == pending_.end()) return;
    Pending& pending = it->second;
    size_t question_end = 12 + pending.query.question_wire.size();
    // Only the answer to this query: same id, a response, room for the question.
    auto answers_query = [&](std::span<const uint8_t> reply) {
        return reply.size() >= question_end && ((reply[0] << 8) | reply[1]) == pending.query.id && (reply[2] & 0x80);
    };
    auto finish = [&](std::vector<uint8_t> message) {
        if (message.size() > pending.client.reply_limit) {
            Rcode rcode = static_cast<Rcode>(message[3] & 0x0f);
            message = build_reply(pending.query, rcode, {}, pending.client.reply_limit, false);
            message[2] |= 0x02;  // TC: ask again over TCP
        }
        done.push_back(Reply{pending.client, std::move(message)});
        pending_.erase(it);
    };
    bool failed = false;
    if (pending.over_tcp) {
        auto reply = tcp_progress(pending, failed);
        if (reply && answers_query(*reply)) return finish(std::move(*reply));
        if (!reply && !failed) return;
        // A TCP failure: the next resolver, over UDP as always.
    } else {
        uint8_t buffer[kMaxMessage];
        for (;;) {
            ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            if (n < 0) break;  // refused (ICMP) or another error: the next resolver
            std::span<const uint8_t> reply(buffer, static_cast<size_t>(n));
            if (!answers_query(reply)) continue;
            std::vector<uint8_t> message(reply.begin(), reply.end());
            if ((reply[2] & 0x02) && pending.client.tcp && switch_to_tcp(pending, now_ms)) {
                rekey(fd);
                return;
            }
            return finish(std::move(message));
        }
    }
    if (try_next(pending, now_ms)) {
        rekey(fd);
    } else {
        fail(pending, done);
        pending_.erase(it);
    }
}

void Forwarder::expire(int64_t now_ms, std::vector<Reply>& done) {
    std::vector<int> due;
    for (const auto& [fd, pending] : pending_)
        if (pending.deadline_ms <= now_ms) due.push_back(fd);
    for (int fd : due) {
        auto node = pending_.extract(fd);
        Pending& pending = node.mapped();
        if (try_next(pending, now_ms)) {
            int new_fd = pending.socket.get();
            pending_.emplace(new_fd, std::move(pending));
        } else {
            fail(pending, done);
        }
    }
}

int Forwarder::next_timeout_ms(int64_t now_ms) const {
    int64_t next = -1;
    for (const auto& [fd, pending] : pending_) {
        int64_t left = std::max<int64_t>(0, pending.deadline_ms - now_ms);
        if (next < 0 || left < next) next = left;
    }
    return static_cast<int>(std::min<int64_t>(next, INT_MAX));
}

}  // namespace hako::dns
