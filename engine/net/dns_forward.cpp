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
        return true;
    }
    return false;
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
    for (const auto& [fd, pending] : pending_) fds.push_back(pollfd{fd, POLLIN, 0});
}

void Forwarder::on_readable(int fd, int64_t now_ms, std::vector<Reply>& done) {
    auto it = pending_.find(fd);
    if (it == pending_.end()) return;
    Pending& pending = it->second;
    uint8_t buffer[kMaxMessage];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0) break;  // refused (ICMP) or another error: the next resolver
        // Only the answer to this query: same id, a response, the same question.
        std::span<const uint8_t> reply(buffer, static_cast<size_t>(n));
        size_t question_end = 12 + pending.query.question_wire.size();
        if (reply.size() < question_end || ((reply[0] << 8) | reply[1]) != pending.query.id || !(reply[2] & 0x80))
            continue;
        std::vector<uint8_t> message(reply.begin(), reply.end());
        if (message.size() > pending.client.reply_limit) {
            message = build_reply(pending.query, static_cast<Rcode>(reply[3] & 0x0f), {}, pending.client.reply_limit, false);
            message[2] |= 0x02;  // TC: ask again over TCP
        }
        done.push_back(Reply{pending.client, std::move(message)});
        pending_.erase(it);
        return;
    }
    int old_fd = fd;
    if (try_next(pending, now_ms)) {
        Pending moved = std::move(pending);
        pending_.erase(old_fd);
        int new_fd = moved.socket.get();
        pending_.emplace(new_fd, std::move(moved));
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
