// This file declares how the responder forwards names it does not own: the host's
// resolvers (from resolv.conf), each query sent from its own connected UDP socket
// (a random source port), tried in turn with a short timeout, SERVFAIL when none answers;
// a truncated answer for a TCP client is asked again over TCP.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/net/dns_packet.h"
#include "engine/sys/fd.h"

namespace hako::dns {

struct Upstream {
    sockaddr_storage address{};
    socklen_t length = 0;
};

// The nameserver lines of a resolv.conf text (at most 3, as the C library reads),
// port 53; IPv6 scope suffixes (%eth0) are honoured.
std::vector<Upstream> parse_resolv_conf(std::string_view text);
// The same for a file; a missing or unreadable file gives no resolvers.
std::vector<Upstream> read_resolv_conf(const std::filesystem::path& path);

inline constexpr int kUpstreamTimeoutMs = 800;
inline constexpr size_t kMaxPending = 512;

class Forwarder {
public:
    // What the server keeps to send the answer back; opaque to the forwarder.
    struct Client {
        uint64_t token = 0;
        size_t reply_limit = kMaxMessage;  // larger replies are cut to a truncated header
        bool tcp = false;                   // the client asked over TCP: a truncated answer is fetched over TCP
    };
    struct Reply {
        Client client;
        std::vector<uint8_t> message;
    };

    void set_upstreams(std::vector<Upstream> upstreams) { upstreams_ = std::move(upstreams); }
    size_t upstream_count() const { return upstreams_.size(); }
    size_t pending() const { return pending_.size(); }

    // Forwards `raw` (the client's query as sent). When no resolver can be tried,
    // or too many queries are in flight, the SERVFAIL is in `done` at once.
    void start(std::span<const uint8_t> raw, const Query& query, Client client, int64_t now_ms,
               std::vector<Reply>& done);
    // The sockets to watch for replies.
    void poll_fds(std::vector<pollfd>& fds) const;
    // A socket became ready: readable, writable (a TCP query being sent) or failed.
    void on_readable(int fd, int64_t now_ms, std::vector<Reply>& done);
    // Timed-out tries move to the next resolver or end in SERVFAIL.
    void expire(int64_t now_ms, std::vector<Reply>& done);
    // Milliseconds until the next try times out; -1 when nothing is pending.
    int next_timeout_ms(int64_t now_ms) const;

private:
    struct Pending {
        std::vector<uint8_t> raw;
        Query query;
        Client client;
        size_t next_upstream = 0;
        int64_t deadline_ms = 0;
        sys::UniqueFd socket;
        bool over_tcp = false;
        std::vector<uint8_t> out, in;  // over TCP: framed query still to send, reply so far
    };
    // Sends to the next resolver that accepts the packet; false when none is left.
    bool try_next(Pending& pending, int64_t now_ms);
    // Asks the current resolver again over TCP; false when it cannot even connect.
    bool switch_to_tcp(Pending& pending, int64_t now_ms);
    // Over TCP: sends what is left and reads; the complete reply, or nullopt (failed set on error).
    std::optional<std::vector<uint8_t>> tcp_progress(Pending& pending, bool& failed);
    // Moves `pending` (whose socket changed) from `old_fd` to its new fd.
    void rekey(int old_fd);
    void fail(Pending& pending, std::vector<Reply>& done);

    std::vector<Upstream> upstreams_;
    std::unordered_map<int, Pending> pending_;  // by socket fd
};

}  // namespace hako::dns
