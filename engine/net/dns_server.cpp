// This file implements the DNS responder process (dns_server.h): one poll loop, no
// threads, over a signalfd, an inotify watch of ROOT/networks, each gateway's UDP
// and TCP sockets, the TCP clients and the forwarder's upstream sockets.
#include "engine/net/dns_server.h"

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/net/dns_forward.h"
#include "engine/net/dns_records.h"
#include "engine/net/nat.h"
#include "engine/net/network_files.h"
#include "engine/runtime/state.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"

namespace hako::dns {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxConnections = 64;
constexpr int64_t kConnectionIdleMs = 10'000;
constexpr size_t kMaxForwardsPerConnection = 16;
constexpr int kUdpBatch = 64;
// A burst of ruleset changes (dockerd starting writes dozens) is checked once, after it settles.
constexpr int64_t kFirewallSettleMs = 50;
constexpr off_t kMaxLogSize = 1 << 20;

int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

IpAddress from_sockaddr(const sockaddr_storage& address) {
    IpAddress ip;
    if (address.ss_family == AF_INET) {
        ip.family = AF_INET;
        std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in&>(address).sin_addr, 4);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        // An IPv4-mapped source counts as its IPv4 address.
        if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
            ip.family = AF_INET;
            std::memcpy(ip.bytes.data(), &v6.sin6_addr.s6_addr[12], 4);
        } else {
            ip.family = AF_INET6;
            std::memcpy(ip.bytes.data(), &v6.sin6_addr, 16);
        }
    }
    return ip;
}

std::string text_of(const IpAddress& address) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(address.family, address.bytes.data(), text, sizeof text);
    return text;
}

// The IPv4 address a name under in-addr.arpa stands for, if it names one whole address.
std::optional<IpAddress> reverse_ipv4(const std::string& name) {
    const std::string suffix = ".in-addr.arpa";
    if (!name.ends_with(suffix)) return std::nullopt;
    std::string digits = name.substr(0, name.size() - suffix.size());
    unsigned parts[4];
    char tail = 0;
    if (std::sscanf(digits.c_str(), "%u.%u.%u.%u%c", &parts[0], &parts[1], &parts[2], &parts[3], &tail) != 4)
        return std::nullopt;
    return IpAddress::parse(std::to_string(parts[3]) + "." + std::to_string(parts[2]) + "." +
                            std::to_string(parts[1]) + "." + std::to_string(parts[0]));
}

class Server {
public:
    explicit Server(const ServerOptions& options) : options_(options), random_(std::random_device{}()) {}
    Result<void> open();
    [[noreturn]] void run();
    void log(const std::string& line);

private:
    struct Listener {
        IpAddress address;
        std::string network_id;
        sys::UniqueFd udp, tcp;
    };
    struct Connection {
        sys::UniqueFd fd;
        std::string network_id;
        std::vector<uint8_t> in, out;
        int64_t last_active = 0;
        size_t forwards = 0;
    };
    struct Client {
        bool tcp = false;
        uint64_t connection = 0;
        IpAddress listener;
        sockaddr_storage peer{};
        socklen_t peer_length = 0;
    };
    enum class Source { Signal, Inotify, Control, Firewall, Udp, Tcp, Connection, Upstream };

    void reload();
    void on_control();
    void watch_tree();
    void drain_inotify();
    void update_listeners();
    void maybe_exit_when_idle();
    void open_firewall_events();
    void on_firewall_event(int64_t now);
    void check_firewall(int64_t now);
    [[noreturn]] void leave(int status);
    const NetworkRecords* network(const std::string& id) const;
    Listener* listener_for(const IpAddress& address);

    void on_udp(int fd);
    void on_accept(int fd);
    void on_connection(uint64_t serial, short revents);
    void close_idle(int64_t now);
    // Answers one message; the reply is for `client` (at once, or later from the forwarder).
    void handle(std::span<const uint8_t> raw, const std::string& network_id, const IpAddress& source,
                const Client& client, size_t reply_limit);
    void deliver(const Client& client, const std::vector<uint8_t>& message);
    void deliver_forwarded(std::vector<Forwarder::Reply>& replies);
    void flush(Connection& connection);

    ServerOptions options_;
    std::mt19937 random_;
    sys::UniqueFd log_fd_, signal_fd_, inotify_fd_, control_fd_;
    sys::UniqueFd firewall_fd_;       // nftables change notifications
    int64_t firewall_check_at_ = 0;  // when to check our FORWARD accepts again; 0: not due
    std::vector<NetworkRecords> networks_;
    std::vector<Listener> listeners_;
    bool listeners_dirty_ = true;
    bool watch_failed_ = false;
    // What each inotify watch is of: a network's endpoints folder (its id), or "" for
    // ROOT, ROOT/networks and a network's own folder, whose changes reload everything.
    std::unordered_map<int, std::string> watched_endpoints_;
    std::unordered_map<uint64_t, Connection> connections_;
    uint64_t next_serial_ = 1;
    std::unordered_map<uint64_t, Client> clients_;  // forwarded queries awaiting a reply
    uint64_t next_token_ = 1;
    Forwarder forwarder_;
    int64_t last_exit_check_ = 0;
};

void Server::log(const std::string& line) {
    if (!log_fd_) return;
    time_t now = time(nullptr);
    char stamp[32];
    tm utc{};
    gmtime_r(&now, &utc);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &utc);
    std::string text = stamp + line + "\n";
    (void)!::write(log_fd_.get(), text.data(), text.size());
}

Result<void> Server::open() {
    fs::path log_path = options_.run_dir / kLogFile;
    struct ::stat st{};
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
    if (::stat(log_path.c_str(), &st) == 0 && st.st_size > kMaxLogSize) flags |= O_TRUNC;
    log_fd_.reset(::open(log_path.c_str(), flags, 0644));

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    signal_fd_.reset(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signal_fd_) return Error::from_syscall("signalfd", errno);
    inotify_fd_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify_fd_) return Error::from_syscall("inotify_init1", errno);

    // Each forwarded query holds a socket: room for all of them.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = std::min<rlim_t>(files.rlim_max, 4096);
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    fs::path control_path = options_.run_dir / kControlSocket;
    sockaddr_un control{};
    control.sun_family = AF_UNIX;
    if (control_path.native().size() < sizeof control.sun_path) {
        std::strcpy(control.sun_path, control_path.c_str());
        ::unlink(control_path.c_str());
        control_fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!control_fd_ || ::bind(control_fd_.get(), reinterpret_cast<sockaddr*>(&control), sizeof control) != 0)
            return Error::from_syscall("bind", errno, control_path.string());
        ::chmod(control_path.c_str(), 0600);
    }
    forwarder_.set_upstreams(read_resolv_conf(options_.resolv_conf));
    open_firewall_events();
    reload();
    update_listeners();
    std::string pid_line = std::to_string(getpid()) + " " + std::to_string(runtime::process_start_time(getpid())) + "\n";
    TRY(sys::write_file_atomic(options_.run_dir / kPidFile, pid_line));
    log("responder " + std::to_string(getpid()) + " started for " + options_.root.string() + " with " +
        std::to_string(forwarder_.upstream_count()) + " resolver(s) from " + options_.resolv_conf.string());
    return ok();
}

// dockerd (or anyone) may set the FORWARD policy to DROP after our networks exist:
// every nftables change is announced on NFNLGRP_NFTABLES, and each is followed by a
// check that our accepts are all there. iptables-legacy changes are not announced.
void Server::open_firewall_events() {
    firewall_fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_NETFILTER));
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = 1u << (NFNLGRP_NFTABLES - 1);
    if (!firewall_fd_ || ::bind(firewall_fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        log(std::string("cannot follow nftables changes: ") + std::strerror(errno));
        firewall_fd_.reset();
    }
    firewall_check_at_ = now_ms();  // and once at start
}

// Whether a batch of nftables notifications may have touched a FORWARD chain: a table,
// chain or rule of a table other than hako's own. Set elements (every published port
// of every attach) and hako's tables are left out, so attaches cost the responder nothing.
bool touches_foreign_chains(const char* data, size_t size) {
    // NLMSG_OK/NLMSG_NEXT spelt out on size_t: the macros mix int and __u32 (clang's -Wsign-compare).
    size_t remaining = size;
    auto fits = [&](const nlmsghdr* h) {
        return remaining >= sizeof(nlmsghdr) && h->nlmsg_len >= sizeof(nlmsghdr) && h->nlmsg_len <= remaining;
    };
    auto next = [&](const nlmsghdr* h) {
        size_t step = std::min<size_t>(NLMSG_ALIGN(h->nlmsg_len), remaining);
        remaining -= step;
        return reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(h) + step);
    };
    for (auto* h = reinterpret_cast<const nlmsghdr*>(data); fits(h); h = next(h)) {
        if (NFNL_SUBSYS_ID(h->nlmsg_type) != NFNL_SUBSYS_NFTABLES) continue;
        switch (NFNL_MSG_TYPE(h->nlmsg_type)) {
            case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE: case NFT_MSG_NEWCHAIN:
            case NFT_MSG_DELCHAIN: case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE: break;
            default: continue;
        }
        // After the nfgenmsg header, attribute 1 is the table's name in all six.
        size_t offset = NLMSG_LENGTH(sizeof(nfgenmsg));
        std::string_view table;
        while (offset + sizeof(nlattr) <= h->nlmsg_len) {
            auto* attribute = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(h) + offset);
            if (attribute->nla_len < sizeof(nlattr) || offset + attribute->nla_len > h->nlmsg_len) break;
            if ((attribute->nla_type & NLA_TYPE_MASK) == 1) {
                const char* text = reinterpret_cast<const char*>(attribute) + NLA_HDRLEN;
                table = std::string_view(text, strnlen(text, attribute->nla_len - NLA_HDRLEN));
                break;
            }
            offset += NLA_ALIGN(attribute->nla_len);
        }
        if (table.rfind("hako_", 0) != 0) return true;
    }
    return false;
}

void Server::on_firewall_event(int64_t now) {
    alignas(nlmsghdr) char buffer[16384];
    bool relevant = false;
    for (;;) {
        ssize_t n = ::recv(firewall_fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            relevant = relevant || touches_foreign_chains(buffer, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == ENOBUFS) {  // some were lost: they may have mattered
            relevant = true;
            continue;
        }
        break;
    }
    if (relevant && firewall_check_at_ == 0) firewall_check_at_ = now + kFirewallSettleMs;
}

// Never waits for the networks lock: a CLI that holds it may be waiting for our reload.
void Server::check_firewall(int64_t now) {
    if (firewall_check_at_ == 0 || now < firewall_check_at_) return;
    auto lock = sys::FileLock::try_acquire(net::networks_dir(options_.root) / "lock", sys::LockMode::Exclusive);
    if (!lock.ok()) {
        firewall_check_at_ = now + kFirewallSettleMs;
        return;
    }
    firewall_check_at_ = 0;
    if (networks_.empty()) return;
    if (auto ensured = net::ensure_forward_accepts(options_.root); !ensured.ok())
        log("FORWARD accepts: " + ensured.error().message);
    malloc_trim(0);  // what the check allocated goes back
}

void Server::watch_tree() {
    constexpr uint32_t kDirEvents = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF |
                                    IN_MOVE_SELF | IN_ONLYDIR;
    fs::path networks = options_.root / "networks";
    if (::inotify_add_watch(inotify_fd_.get(), networks.c_str(), kDirEvents) < 0) {
        // No networks folder yet: the root says when it comes.
        ::inotify_add_watch(inotify_fd_.get(), options_.root.c_str(), IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
        return;
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(networks, ec)) {
        for (const fs::path& dir : {entry.path(), entry.path() / "endpoints"}) {
            // A folder not there yet is announced by its parent's watch; any other failure
            // (the inotify limit) means changes could go unseen: read everything each time.
            int watch = ::inotify_add_watch(inotify_fd_.get(), dir.c_str(), kDirEvents);
            if (watch < 0 && errno != ENOENT && errno != ENOTDIR && !watch_failed_) {
                watch_failed_ = true;
                log("inotify_add_watch " + dir.string() + ": " + std::strerror(errno) + "; reloading on every sync");
            }
            if (watch >= 0 && dir.filename() == "endpoints")
                watched_endpoints_[watch] = entry.path().filename().string();
        }
    }
}

// Watches first, then reads: a change after the watch is seen, one before it is read.
void Server::reload() {
    watch_tree();
    std::vector<std::string> problems;
    networks_ = load_networks(options_.root, &problems);
    for (const std::string& problem : problems) log("skipped " + problem);
    listeners_dirty_ = true;
}

// Each "reload" request is answered once the records and listeners are current.
void Server::on_control() {
    for (;;) {
        char request[64];
        sockaddr_un peer{};
        socklen_t length = sizeof peer;
        ssize_t n = ::recvfrom(control_fd_.get(), request, sizeof request, 0, reinterpret_cast<sockaddr*>(&peer), &length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;
        if (std::string_view(request, static_cast<size_t>(n)) != "reload") continue;
        // inotify already says what changed: the records are read again only then.
        if (watch_failed_)
            reload();
        else
            drain_inotify();
        listeners_dirty_ = true;  // and the resolvers are read again with them
        update_listeners();
        ::sendto(control_fd_.get(), "ok", 2, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&peer), length);
    }
}

// Reads all pending inotify events. An endpoint file written or removed (an attach,
// a detach) is read alone into its network's records; any other change (a network
// created or removed, a lost event) reloads everything.
void Server::drain_inotify() {
    alignas(inotify_event) char buffer[4096];
    bool everything = false;
    std::vector<std::pair<std::string, std::string>> endpoints;  // network id, file name
    for (;;) {
        ssize_t n = ::read(inotify_fd_.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
            const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
            at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            auto watched = watched_endpoints_.find(event->wd);
            if (event->mask & IN_IGNORED) {
                if (watched != watched_endpoints_.end()) watched_endpoints_.erase(watched);
                everything = true;
                continue;
            }
            std::string name = event->len > 0 ? std::string(event->name) : std::string();
            if (watched == watched_endpoints_.end() || (event->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF)) ||
                name.empty()) {
                everything = true;
                continue;
            }
            if (name[0] == '.') continue;  // an atomic write's temporary file: its rename follows
            endpoints.emplace_back(watched->second, std::move(name));
        }
    }
    if (everything) {
        reload();
        return;
    }
    for (const auto& endpoint : endpoints) {
        // Named, not a structured binding: clang (the fuzz build) cannot capture those in a lambda.
        const auto& network_id = endpoint.first;
        const auto& file = endpoint.second;
        auto found = std::find_if(networks_.begin(), networks_.end(),
                                  [&](const NetworkRecords& candidate) { return candidate.id == network_id; });
        if (found == networks_.end()) {  // a network not read yet
            reload();
            return;
        }
        std::vector<std::string> problems;
        update_endpoint(*found, options_.root, file, &problems);
        for (const std::string& problem : problems) log("skipped " + problem);
    }
}

const NetworkRecords* Server::network(const std::string& id) const {
    for (const NetworkRecords& candidate : networks_)
        if (candidate.id == id) return &candidate;
    return nullptr;
}

Server::Listener* Server::listener_for(const IpAddress& address) {
    for (Listener& listener : listeners_)
        if (listener.address == address) return &listener;
    return nullptr;
}

// Sockets follow the networks: a new gateway gets its pair, a gone one is closed,
// the others stay open, so a reload drops no query.
void Server::update_listeners() {
    if (!listeners_dirty_) return;
    listeners_dirty_ = false;
    std::vector<Listener> next;
    for (const NetworkRecords& network : networks_) {
        for (const IpAddress& gateway : network.gateways) {
            if (std::any_of(next.begin(), next.end(), [&](const Listener& l) { return l.address == gateway; })) continue;
            if (Listener* existing = listener_for(gateway)) {
                Listener kept = std::move(*existing);
                existing->address = IpAddress{};
                kept.network_id = network.id;
                next.push_back(std::move(kept));
                continue;
            }
            Listener fresh{gateway, network.id, {}, {}};
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(static_cast<uint16_t>(options_.port));
            std::memcpy(&address.sin_addr, gateway.bytes.data(), 4);
            for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
                sys::UniqueFd fd(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
                int one = 1;
                // FREEBIND: the gateway may not be on its bridge yet; the socket works once it is.
                ::setsockopt(fd.get(), SOL_IP, IP_FREEBIND, &one, sizeof one);
                ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
                    (type == SOCK_STREAM && ::listen(fd.get(), 64) != 0)) {
                    log(std::string("cannot listen on ") + text_of(gateway) + ":" + std::to_string(options_.port) +
                        (type == SOCK_DGRAM ? "/udp: " : "/tcp: ") + std::strerror(errno));
                    continue;
                }
                (type == SOCK_DGRAM ? fresh.udp : fresh.tcp) = std::move(fd);
            }
            next.push_back(std::move(fresh));
        }
    }
    listeners_ = std::move(next);
    // Resolvers are read again with the networks, so a changed resolv.conf is followed too.
    forwarder_.set_upstreams(read_resolv_conf(options_.resolv_conf));
}

void Server::leave(int status) {
    // Our pid file goes only if it is still ours.
    fs::path pid_path = options_.run_dir / kPidFile;
    auto text = sys::read_file(pid_path, 256);
    if (text.ok() && std::atoi(text->c_str()) == getpid()) {
        ::unlink(pid_path.c_str());
        ::unlink((options_.run_dir / kControlSocket).c_str());
    }
    log("responder " + std::to_string(getpid()) + " stopped");
    _exit(status);
}

// With no bridge network left the responder goes by itself, under the sync lock so
// a sync that is starting a network at this moment is never answered by a leaving process.
void Server::maybe_exit_when_idle() {
    if (!networks_.empty()) return;
    int64_t now = now_ms();
    if (now - last_exit_check_ < 1000) return;
    last_exit_check_ = now;
    fs::path lock_path = options_.run_dir / kLockFile;
    sys::UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return;
    if (!any_bridge_network(options_.root)) leave(0);
}

void Server::deliver(const Client& client, const std::vector<uint8_t>& message) {
    if (client.tcp) {
        auto it = connections_.find(client.connection);
        if (it == connections_.end()) return;
        Connection& connection = it->second;
        connection.out.push_back(static_cast<uint8_t>(message.size() >> 8));
        connection.out.push_back(static_cast<uint8_t>(message.size() & 0xff));
        connection.out.insert(connection.out.end(), message.begin(), message.end());
        flush(connection);
        return;
    }
    Listener* listener = listener_for(client.listener);
    if (!listener || !listener->udp) return;
    ::sendto(listener->udp.get(), message.data(), message.size(), MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&client.peer), client.peer_length);
}

void Server::deliver_forwarded(std::vector<Forwarder::Reply>& replies) {
    for (Forwarder::Reply& reply : replies) {
        auto it = clients_.find(reply.client.token);
        if (it == clients_.end()) continue;
        Client client = it->second;
        clients_.erase(it);
        if (client.tcp) {
            auto connection = connections_.find(client.connection);
            if (connection != connections_.end() && connection->second.forwards > 0) --connection->second.forwards;
        }
        deliver(client, reply.message);
    }
    replies.clear();
}

void Server::handle(std::span<const uint8_t> raw, const std::string& network_id, const IpAddress& source,
                    const Client& client, size_t reply_limit) {
    // Changes of the tree that happened before this query arrived are seen now.
    drain_inotify();
    ParseResult parsed = parse_query(raw);
    switch (parsed.status) {
        case ParseStatus::Drop: return;
        case ParseStatus::FormErr:
            deliver(client, build_header_error(parsed.query.id, parsed.query.flags, Rcode::FormErr));
            return;
        case ParseStatus::NotImp:
            deliver(client, build_header_error(parsed.query.id, parsed.query.flags, Rcode::NotImp));
            return;
        case ParseStatus::Ok: break;
    }
    const Query& query = parsed.query;
    size_t limit = client.tcp ? kMaxMessage : std::min(reply_limit, query.udp_limit);
    const NetworkRecords* records = network(network_id);
    // Only containers of the network itself are answered from it.
    if (!records || !records->contains(source)) {
        deliver(client, build_reply(query, Rcode::Refused, {}, limit, false));
        return;
    }
    LocalAnswer local = lookup(*records, query.question, random_);
    if (local.known) {
        deliver(client, build_reply(query, Rcode::NoError, local.answers, limit, true));
        return;
    }
    // An address of the network that no container holds: ours to deny, not the world's.
    if (auto address = reverse_ipv4(query.question.name); address && records->contains(*address)) {
        deliver(client, build_reply(query, Rcode::NxDomain, {}, limit, true));
        return;
    }
    if (records->internal) {
        deliver(client, build_reply(query, Rcode::Refused, {}, limit, false));
        return;
    }
    if (client.tcp) {
        Connection& connection = connections_.at(client.connection);
        if (connection.forwards >= kMaxForwardsPerConnection) {
            deliver(client, build_reply(query, Rcode::ServFail, {}, limit, false));
            return;
        }
        ++connection.forwards;
    }
    uint64_t token = next_token_++;
    clients_.emplace(token, client);
    std::vector<Forwarder::Reply> done;
    forwarder_.start(raw, query, Forwarder::Client{token, limit, client.tcp}, now_ms(), done);
    deliver_forwarded(done);
}

void Server::on_udp(int fd) {
    auto listener = std::find_if(listeners_.begin(), listeners_.end(), [&](const Listener& l) { return l.udp.get() == fd; });
    if (listener == listeners_.end()) return;  // closed by a reload in this round
    uint8_t buffer[kMaxMessage];
    IpAddress listener_address = listener->address;
    std::string network_id = listener->network_id;
    for (int i = 0; i < kUdpBatch; ++i) {
        Client client;
        client.listener = listener_address;
        client.peer_length = sizeof client.peer;
        ssize_t n = ::recvfrom(fd, buffer, sizeof buffer, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&client.peer),
                               &client.peer_length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;
        handle({buffer, static_cast<size_t>(n)}, network_id, from_sockaddr(client.peer), client, kOurEdnsPayload);
        // handle may reload the records, never the listeners: `fd` stays open.
    }
}

void Server::on_accept(int listening_fd) {
    auto listener = std::find_if(listeners_.begin(), listeners_.end(), [&](const Listener& l) { return l.tcp.get() == listening_fd; });
    if (listener == listeners_.end()) return;
    for (;;) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        sys::UniqueFd fd(::accept4(listening_fd, reinterpret_cast<sockaddr*>(&peer), &length,
                                   SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) return;
        const NetworkRecords* records = network(listener->network_id);
        if (connections_.size() >= kMaxConnections || !records || !records->contains(from_sockaddr(peer))) continue;
        uint64_t serial = next_serial_++;
        connections_.emplace(serial, Connection{std::move(fd), listener->network_id, {}, {}, now_ms(), 0});
    }
}

void Server::flush(Connection& connection) {
    while (!connection.out.empty()) {
        ssize_t n = ::send(connection.fd.get(), connection.out.data(), connection.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        connection.out.erase(connection.out.begin(), connection.out.begin() + n);
    }
}

void Server::on_connection(uint64_t serial, short revents) {
    auto it = connections_.find(serial);
    if (it == connections_.end()) return;
    it->second.last_active = now_ms();
    if (revents & POLLOUT) flush(it->second);
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        uint8_t buffer[4096];
        bool closed = false;
        for (;;) {
            ssize_t n = ::recv(it->second.fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (n <= 0) {
                closed = true;
                break;
            }
            it->second.in.insert(it->second.in.end(), buffer, buffer + n);
            if (it->second.in.size() > 2 + kMaxMessage) break;
        }
        // Each framed message in turn; `handle` may touch connections_, so look the connection up again.
        for (;;) {
            it = connections_.find(serial);
            if (it == connections_.end()) return;
            std::vector<uint8_t>& in = it->second.in;
            if (in.size() < 2) break;
            size_t length = (size_t{in[0]} << 8) | in[1];
            if (in.size() < 2 + length) break;
            std::vector<uint8_t> message(in.begin() + 2, in.begin() + 2 + static_cast<long>(length));
            in.erase(in.begin(), in.begin() + 2 + static_cast<long>(length));
            Client client;
            client.tcp = true;
            client.connection = serial;
            sockaddr_storage peer{};
            socklen_t peer_length = sizeof peer;
            ::getpeername(it->second.fd.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length);
            std::string network_id = it->second.network_id;
            handle(message, network_id, from_sockaddr(peer), client, kMaxMessage);
        }
        it = connections_.find(serial);
        if (it != connections_.end() && closed && it->second.out.empty() && it->second.forwards == 0)
            connections_.erase(it);
    }
}

void Server::close_idle(int64_t now) {
    for (auto it = connections_.begin(); it != connections_.end();) {
        if (now - it->second.last_active > kConnectionIdleMs)
            it = connections_.erase(it);
        else
            ++it;
    }
}

void Server::run() {
    std::vector<pollfd> fds;
    std::vector<std::pair<Source, uint64_t>> sources;  // what each pollfd is
    std::vector<Forwarder::Reply> done;
    for (;;) {
        update_listeners();
        maybe_exit_when_idle();
        fds.clear();
        sources.clear();
        auto add = [&](int fd, short events, Source source, uint64_t index) {
            fds.push_back(pollfd{fd, events, 0});
            sources.emplace_back(source, index);
        };
        add(signal_fd_.get(), POLLIN, Source::Signal, 0);
        add(inotify_fd_.get(), POLLIN, Source::Inotify, 0);
        if (control_fd_) add(control_fd_.get(), POLLIN, Source::Control, 0);
        if (firewall_fd_) add(firewall_fd_.get(), POLLIN, Source::Firewall, 0);
        for (size_t i = 0; i < listeners_.size(); ++i) {
            if (listeners_[i].udp) add(listeners_[i].udp.get(), POLLIN, Source::Udp, i);
            if (listeners_[i].tcp) add(listeners_[i].tcp.get(), POLLIN, Source::Tcp, i);
        }
        for (const auto& [serial, connection] : connections_)
            add(connection.fd.get(), static_cast<short>(POLLIN | (connection.out.empty() ? 0 : POLLOUT)),
                Source::Connection, serial);
        forwarder_.poll_fds(fds);
        sources.resize(fds.size(), {Source::Upstream, 0});

        int64_t now = now_ms();
        int timeout = forwarder_.next_timeout_ms(now);
        if (!connections_.empty() || networks_.empty()) timeout = timeout < 0 ? 1000 : std::min(timeout, 1000);
        if (firewall_check_at_ != 0) {
            int until = static_cast<int>(std::max<int64_t>(0, firewall_check_at_ - now));
            timeout = timeout < 0 ? until : std::min(timeout, until);
        }
        int ready = ::poll(fds.data(), fds.size(), timeout);
        if (ready < 0 && errno != EINTR) {
            log(std::string("poll: ") + std::strerror(errno));
            leave(1);
        }
        now = now_ms();
        // A control request may replace listeners in this round: they are found by fd.
        for (size_t i = 0; ready > 0 && i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            auto [source, index] = sources[i];
            switch (source) {
                case Source::Signal: {
                    signalfd_siginfo info{};
                    while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
                        if (info.ssi_signo == SIGHUP) {
                            reload();
                        } else {
                            leave(0);
                        }
                    }
                    break;
                }
                case Source::Inotify: drain_inotify(); break;
                case Source::Control: on_control(); break;
                case Source::Firewall: on_firewall_event(now); break;
                case Source::Udp: on_udp(fds[i].fd); break;
                case Source::Tcp: on_accept(fds[i].fd); break;
                case Source::Connection: on_connection(index, fds[i].revents); break;
                case Source::Upstream:
                    forwarder_.on_readable(fds[i].fd, now, done);
                    deliver_forwarded(done);
                    break;
            }
        }
        forwarder_.expire(now_ms(), done);
        deliver_forwarded(done);
        close_idle(now);
        check_firewall(now_ms());
    }
}

}  // namespace

void serve(const ServerOptions& options, int status_fd) {
    Server server(options);
    auto opened = server.open();
    std::string line = opened.ok() ? "ready " + std::to_string(getpid()) + "\n" : "error " + opened.error().message + "\n";
    if (!opened.ok()) server.log("cannot start: " + opened.error().message);
    (void)!::write(status_fd, line.data(), line.size());
    ::close(status_fd);
    if (!opened.ok()) _exit(1);
    // The process was forked from a larger one: give back what it does not use.
    malloc_trim(0);
    server.run();
}

}  // namespace hako::dns
