// This file implements hako's side of its HTTP transfers (http.h): one hako-fetch
// helper per thread, started with posix_spawn on first use, spoken to in the frames
// of http_frames.h.
#include "engine/sys/http.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "engine/sys/fd.h"
#include "engine/sys/helper_process.h"
#include "engine/sys/http_frames.h"

namespace hako::sys::http {
namespace {

using json = nlohmann::json;

// hako-fetch beside the running binary.
Result<std::string> fetch_binary() {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return Error::from_syscall("readlink", ec.value(), "/proc/self/exe");
    std::filesystem::path helper = self.parent_path() / "hako-fetch";
    if (::access(helper.c_str(), X_OK) != 0)
        return Error("HTTP transfers need hako-fetch beside " + self.string() + " (" + helper.string() +
                     " is missing; it is built and installed with hako)");
    return helper.string();
}

struct Helper {
    pid_t pid = -1;
    UniqueFd socket;

    Helper() = default;
    Helper(const Helper&) = delete;
    Helper& operator=(const Helper&) = delete;
    // The helper ends on end of file; a killed one is reaped at once.
    ~Helper() { end(false); }
    void end(bool kill) {
        if (pid <= 0) return;
        if (kill) ::kill(pid, SIGKILL);
        socket.reset();
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        pid = -1;
    }
};

thread_local std::optional<Helper> t_helper;

Result<Helper*> helper() {
    if (t_helper && t_helper->pid > 0) return &*t_helper;
    std::string binary = TRY(fetch_binary());
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return Error::from_syscall("socketpair", errno, "hako-fetch");
    UniqueFd ours(pair[0]), theirs(pair[1]);
    // stderr kept: libcurl's own complaints (none expected) reach the user.
    pid_t pid = TRY(spawn_program(binary, {binary}, theirs.get(), true, false));
    t_helper.emplace();
    t_helper->pid = pid;
    t_helper->socket = std::move(ours);
    return &*t_helper;
}

Outcome stopped() {
    Outcome outcome;
    outcome.stopped = true;
    return outcome;
}

}  // namespace

Result<Outcome> perform(const Request& request, const Handler& handler) {
    Helper* h = TRY(helper());
    json r = {{"method", request.method},
              {"url", request.url},
              {"headers", request.headers},
              {"has_body", request.method != "GET" && request.method != "HEAD"},
              {"max_redirects", request.max_redirects},
              {"protocols", request.protocols},
              {"connect_timeout", request.connect_timeout},
              {"low_speed_limit", request.low_speed_limit},
              {"low_speed_time", request.low_speed_time},
              {"user_agent", request.user_agent},
              {"basic", request.basic},
              {"userpwd", request.userpwd}};
    bool sent = write_frame(h->socket.get(), 'R', r.dump(-1, ' ', false, json::error_handler_t::replace));
    if (sent && r["has_body"].get<bool>()) sent = write_frame(h->socket.get(), 'B', request.body);
    if (!sent) {
        t_helper->end(true);
        return Error("hako-fetch went away (" + request.url + ")");
    }
    std::string payload;
    for (;;) {
        pollfd p{h->socket.get(), POLLIN, 0};
        int ready = ::poll(&p, 1, 250);
        if (ready < 0 && errno != EINTR) {
            t_helper->end(true);
            return Error::from_syscall("poll", errno, "hako-fetch");
        }
        if (handler.stop_requested && handler.stop_requested()) {
            t_helper->end(true);
            return stopped();
        }
        if (ready <= 0) continue;
        char type = 0;
        if (!read_frame(h->socket.get(), type, payload)) {
            t_helper->end(true);
            return Error("hako-fetch ended in the middle of " + request.url);
        }
        switch (type) {
        case 'h':
            if (handler.on_header) handler.on_header(payload);
            break;
        case 'S':
            if (handler.on_start && !handler.on_start(std::strtol(payload.c_str(), nullptr, 10))) {
                t_helper->end(true);
                return stopped();
            }
            break;
        case 'D':
            if (handler.on_data && !handler.on_data(payload.data(), payload.size())) {
                t_helper->end(true);
                return stopped();
            }
            break;
        case 'E': {
            json end = json::parse(payload, nullptr, false);
            if (end.is_discarded() || !end.is_object()) {
                t_helper->end(true);
                return Error("hako-fetch: a malformed answer for " + request.url);
            }
            Outcome outcome;
            outcome.curl_code = end.value("code", -1);
            outcome.error = end.value("error", std::string());
            outcome.status = end.value("status", 0L);
            return outcome;
        }
        default:
            t_helper->end(true);
            return Error("hako-fetch: an unknown frame for " + request.url);
        }
    }
}

}  // namespace hako::sys::http
