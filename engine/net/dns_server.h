// This file declares the DNS responder process of a state root: one poll loop that
// listens on every bridge network's gateway (UDP and TCP port 53), answers each
// network's own names, forwards the rest, and follows ROOT/networks as it changes;
// it also puts back hako's FORWARD accepts whenever an nftables change removed them.
#pragma once

#include <filesystem>

namespace hako::dns {

struct ServerOptions {
    std::filesystem::path root;         // the state root (absolute)
    std::filesystem::path run_dir;      // where dns.pid, dns.lock and dns.log live
    std::filesystem::path resolv_conf;  // the host's resolvers (HAKO_RESOLV_CONF at start)
    int port = 53;
};

// Files of the responder in the run folder.
inline constexpr const char* kPidFile = "dns.pid";    // "PID STARTTIME\n"
inline constexpr const char* kLockFile = "dns.lock";  // held by sync, and by the responder as it leaves
inline constexpr const char* kLogFile = "dns.log";
// A unix datagram socket: "reload" → the responder reloads, opens and closes its
// listeners, and answers "ok", so a sync returns only once the records are current.
inline constexpr const char* kControlSocket = "dns.sock";

// The responder's body, in the double-forked process: binds, writes the pid file,
// writes "ready PID\n" (or "error MESSAGE\n") to status_fd and closes it, then serves
// until SIGTERM or until no bridge network is left. Never returns.
[[noreturn]] void serve(const ServerOptions& options, int status_fd);

}  // namespace hako::dns
