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
#include <optional>

#include <nlohmann/json.hpp>

#include "engine/sys/fd.h"
#include "engine/sys/helper_process.h"
#include "engine/sys/http_frames.h"

namespace hako::sys::http {
namespace {

using json = nlohmann::json;

struct Helper {
    pid_t pid = -1;
    pid_t owner = -1;  // the process that started it: a fork's copy is not its parent
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
    if (t_helper && t_helper->pid > 0 && t_helper->owner == ::getpid()) return &*t_helper;
    if (t_helper && t_helper->owner != ::getpid()) t_helper->pid = -1;  // the parent's: leave it alone
    auto found = binary_beside_self("hako-fetch");
    if (!found.ok()) return std::move(found).error().context("HTTP transfers need hako-fetch");
    std::string binary = found->string();
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return Error::from_syscall("socketpair", errno, "hako-fetch");
    UniqueFd ours(pair[0]), theirs(pair[1]);
    // stderr kept: libcurl's own complaints (none expected) reach the user.
    pid_t pid = TRY(spawn_program(binary, {binary}, theirs.get(), true, false));
    t_helper.emplace();
    t_helper->pid = pid;
    t_helper->owner = ::getpid();
    t_helper->socket = std::move(ours);
    return &*t_helper;
}

}  // namespace

Result<Outcome> perform(const Request& request, const Handler& handler) {
    bool has_body = request.method != "GET" && request.method != "HEAD";
    if (has_body && request.body.size() > kMaxFramePayload)
        return Error(request.url + ": a request body of " + std::to_string(request.body.size()) +
                     " bytes is over hako-fetch's " + std::to_string(kMaxFramePayload) + " (use smaller chunks)");
    Helper* h = TRY(helper());
    // What ends a transfer early: the helper is killed (it may be mid-answer) and
    // the next transfer starts another.
    auto drop = [](auto result) -> Result<Outcome> {
        t_helper->end(true);
        return result;
    };
    Outcome stopped;
    stopped.stopped = true;
    json r = {{"method", request.method},
              {"url", request.url},
              {"headers", request.headers},
              {"has_body", has_body},
              {"max_redirects", request.max_redirects},
              {"protocols", request.protocols},
              {"connect_timeout", request.connect_timeout},
              {"low_speed_limit", request.low_speed_limit},
              {"low_speed_time", request.low_speed_time},
              {"user_agent", request.user_agent},
              {"basic", request.basic},
              {"userpwd", request.userpwd}};
    bool sent = write_frame(h->socket.get(), 'R', r.dump(-1, ' ', false, json::error_handler_t::replace));
    if (sent && has_body) sent = write_frame(h->socket.get(), 'B', request.body);
    if (!sent) return drop(Error("hako-fetch went away (" + request.url + ")"));
    std::string payload;
    for (;;) {
        pollfd p{h->socket.get(), POLLIN, 0};
        int ready = ::poll(&p, 1, 250);
        if (ready < 0 && errno != EINTR) return drop(Error::from_syscall("poll", errno, "hako-fetch"));
        if (handler.stop_requested && handler.stop_requested()) return drop(stopped);
        if (ready <= 0) continue;
        char type = 0;
        if (!read_frame(h->socket.get(), type, payload))
            return drop(Error("hako-fetch ended in the middle of " + request.url));
        switch (type) {
        case 'h':
            if (handler.on_header) handler.on_header(payload);
            break;
        case 'S':
            if (handler.on_start && !handler.on_start(std::strtol(payload.c_str(), nullptr, 10))) return drop(stopped);
            break;
        case 'D':
            if (handler.on_data && !handler.on_data(payload.data(), payload.size())) return drop(stopped);
            break;
        case 'E': {
            json end = json::parse(payload, nullptr, false);
            if (end.is_discarded() || !end.is_object())
                return drop(Error("hako-fetch: a malformed answer for " + request.url));
            Outcome outcome;
            outcome.curl_code = end.value("code", -1);
            outcome.error = end.value("error", std::string());
            outcome.status = end.value("status", 0L);
            return outcome;
        }
        default:
            return drop(Error("hako-fetch: an unknown frame for " + request.url));
        }
    }
}

}  // namespace hako::sys::http
