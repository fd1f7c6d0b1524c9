// This file implements Starter (starter.h): the helper's request loop and the
// CLI's side of its socket. A request is a container id; the answer is 'o' with
// the monitor's status pipe attached (SCM_RIGHTS), or 'e' and the error message.
#include "src/reconcile/starter.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/monitor/monitor.h"

namespace hako::reconcile {

namespace {

constexpr int kHelperSocketFd = 3;
constexpr size_t kMaxMessage = 4096;

bool send_reply(int socket, const std::string& text, int fd) {
    iovec data{const_cast<char*>(text.data()), text.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
    }
    for (;;) {
        if (::sendmsg(socket, &message, MSG_NOSIGNAL) >= 0) return true;
        if (errno != EINTR) return false;
    }
}

// The helper's body: one request at a time until the CLI closes its end.
[[noreturn]] void serve(const std::filesystem::path& root) {
    char request[kMaxMessage];
    for (;;) {
        ssize_t n = ::recv(kHelperSocketFd, request, sizeof request, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(0);
        monitor::SpawnOptions options{root, std::string(request, static_cast<size_t>(n)), -1, -1};
        auto spawned = monitor::spawn(options);
        bool sent = spawned.ok() ? send_reply(kHelperSocketFd, "o", spawned->status.get())
                                 : send_reply(kHelperSocketFd, "e" + spawned.error().message, -1);
        if (!sent) _exit(0);
    }
}

}  // namespace

Result<Starter::Helper> Starter::fork_helper(const std::filesystem::path& root) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        return Error::from_syscall("socketpair", errno, "monitor starter");
    sys::UniqueFd ours(pair[0]), theirs(pair[1]);
    pid_t pid = ::fork();
    if (pid < 0) return Error::from_syscall("fork", errno, "monitor starter");
    if (pid == 0) {
        // Nothing of the CLI's stays open here: not its locks, not its output pipes.
        if (::dup2(theirs.get(), kHelperSocketFd) < 0) _exit(1);
        ::syscall(SYS_close_range, kHelperSocketFd + 1, ~0u, 0u);
        int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
        serve(root);
    }
    return Helper{std::move(ours), pid};
}

Result<std::unique_ptr<Starter>> Starter::launch(const std::filesystem::path& root) {
    std::unique_ptr<Starter> starter(new Starter());
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    size_t count = static_cast<size_t>(std::clamp(cpus, 1L, 4L));
    for (size_t i = 0; i < count; ++i) {
        auto helper = fork_helper(root);
        if (!helper.ok()) {
            if (starter->helpers_.empty()) return std::move(helper).error();
            break;  // fewer helpers only make the starts take turns more
        }
        starter->helpers_.push_back(std::move(*helper));
        starter->free_.push_back(i);
    }
    return starter;
}

// The helpers end when their sockets close; their exits (the teardown of a copy of
// the CLI's address space, some milliseconds each) are not waited for here, where
// they would hold up the verb's end: a detached thread reaps them (or init does,
// should the CLI exit first).
Starter::~Starter() {
    std::vector<pid_t> pids;
    for (auto& helper : helpers_) {
        helper.socket.reset();
        pids.push_back(helper.pid);
    }
    std::thread([pids = std::move(pids)] {
        for (pid_t pid : pids)
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
    }).detach();
}

Result<sys::UniqueFd> Starter::spawn_monitor(const std::string& id) {
    if (id.empty() || id.size() >= kMaxMessage) return Error("invalid container id \"" + id + "\"");
    size_t index;
    {
        std::unique_lock lock(mutex_);
        freed_.wait(lock, [&] { return !free_.empty(); });
        index = free_.back();
        free_.pop_back();
    }
    auto status = ask(helpers_[index], id);
    {
        std::lock_guard lock(mutex_);
        free_.push_back(index);
    }
    freed_.notify_one();
    return status;
}

// One request to one helper, which only this thread uses meanwhile.
Result<sys::UniqueFd> Starter::ask(Helper& helper, const std::string& id) {
    for (;;) {
        if (::send(helper.socket.get(), id.data(), id.size(), MSG_NOSIGNAL) >= 0) break;
        if (errno != EINTR) return Error::from_syscall("send", errno, "monitor starter");
    }
    char reply[kMaxMessage];
    iovec data{reply, sizeof reply};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n;
    while ((n = ::recvmsg(helper.socket.get(), &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (n < 0) return Error::from_syscall("recvmsg", errno, "monitor starter");
    sys::UniqueFd status;
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
        status.reset(fd);
    }
    if (n == 0) return Error("the monitor starter of container " + id + " exited");
    if (reply[0] == 'e') return Error(std::string(reply + 1, static_cast<size_t>(n - 1)));
    if (reply[0] != 'o' || !status) return Error("the monitor starter gave no status pipe for container " + id);
    return status;
}

}  // namespace hako::reconcile
