// This file implements run_in_container (see run_step.h).
#include "engine/build/run_step.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "engine/runtime/linux_container.h"
#include "engine/runtime/spec_defaults.h"
#include "engine/sys/fd.h"

namespace hako::build {

namespace {

std::string random_id() {
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
        for (auto& b : bytes) b = static_cast<unsigned char>(std::rand());
    }
    std::string id = "build-";
    char hex[3];
    for (unsigned char b : bytes) {
        std::snprintf(hex, sizeof hex, "%02x", b);
        id += hex;
    }
    return id;
}

// The caller's shared hold on the clone guard (see run_step.h): let go while this
// thread blocks, made exclusive while it clones or sets up the container's network.
class CloneGuard {
public:
    explicit CloneGuard(std::shared_mutex* mutex) : mutex_(mutex) {}
    template <typename F>
    auto blocked(F&& wait) {
        if (mutex_) mutex_->unlock_shared();
        auto result = wait();
        if (mutex_) mutex_->lock_shared();
        return result;
    }
    template <typename F>
    auto exclusive(F&& work) {
        if (mutex_) {
            mutex_->unlock_shared();
            mutex_->lock();
        }
        auto result = work();
        if (mutex_) {
            mutex_->unlock();
            mutex_->lock_shared();
        }
        return result;
    }

private:
    std::shared_mutex* mutex_;
};

}  // namespace

Result<int> run_in_container(const RunSpec& spec, const std::filesystem::path& rootfs,
                             const std::filesystem::path& work_dir, const std::filesystem::path& state_root,
                             const std::function<void(std::string_view line)>& output,
                             std::shared_mutex* clone_guard) {
    runtime::ContainerConfig c;
    c.args = spec.args;
    c.env = spec.env;
    c.cwd = spec.cwd.empty() ? "/" : spec.cwd;
    c.user = spec.user;
    c.hostname = "buildkitsandbox";
    c.network = spec.network == "host" ? runtime::NetworkMode::Host : runtime::NetworkMode::None;
    if (spec.shm_size > 0) c.shm_size = spec.shm_size;
    c.mounts = spec.mounts;
    c.rootfs = rootfs.string();
    std::string id = random_id();
    c.cgroups_path = "/hako/" + id;
    if (spec.configure) {
        if (auto configured = spec.configure(c); !configured.ok()) return Error("RUN: " + configured.error().message);
    }
    auto built = runtime::build_spec(c, rootfs);
    if (!built.ok()) return Error("RUN: " + built.error().message);
    runtime::Spec runtime_spec = std::move(built).value();

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Error::from_syscall("pipe2", errno, "RUN output");
    sys::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    sys::UniqueFd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    runtime::CreateOptions options;
    options.id = id;
    options.state_root = state_root;
    options.stdio = {null_in.get(), write_end.get(), write_end.get()};
    options.cgroup_path = c.cgroups_path;
    CloneGuard guard(clone_guard);
    auto container = TRY(guard.exclusive([&] { return runtime::create(runtime_spec, work_dir, options); }));
    write_end.reset();
    if (spec.attach) {
        if (auto attached = guard.exclusive([&] { return spec.attach(container.pid()); }); !attached.ok()) {
            (void)runtime::destroy(container);
            return Error("RUN: " + attached.error().message);
        }
    }
    if (auto started = runtime::start(container); !started.ok()) {
        (void)runtime::destroy(container);
        return std::move(started).error();
    }
    std::string pending;
    char buffer[8192];
    bool open = true;
    int wait_status = 0;
    bool exited = false;
    bool killed = false;
    while (!exited || open) {
        if (spec.cancel && spec.cancel->load() && !killed && !exited) {
            ::kill(container.pid(), SIGKILL);  // the init of its own pid namespace: all of it goes
            killed = true;
        }
        if (open) {
            pollfd p{read_end.get(), POLLIN, 0};
            int ready = guard.blocked([&] { return ::poll(&p, 1, exited ? 0 : 100); });
            if (ready > 0) {
                ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
                if (n > 0) {
                    pending.append(buffer, size_t(n));
                    size_t nl;
                    while ((nl = pending.find('\n')) != std::string::npos) {
                        output(std::string_view(pending).substr(0, nl));
                        pending.erase(0, nl + 1);
                    }
                } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                    open = false;
                }
            } else if (exited) {
                open = false;  // init is gone and nothing more is ready: stop reading
            }
        }
        if (!exited) {
            bool block = !open && !spec.cancel;
            pid_t r = block ? guard.blocked([&] { return ::waitpid(container.pid(), &wait_status, 0); })
                            : ::waitpid(container.pid(), &wait_status, WNOHANG);
            if (r == container.pid()) exited = true;
            else if (r == 0 && !open) guard.blocked([] { return ::usleep(20000); });
            else if (r < 0 && errno != EINTR) return Error::from_syscall("waitpid", errno, id);
        }
    }
    if (!pending.empty()) output(pending);
    (void)runtime::destroy(container);
    return runtime::exit_status_of(wait_status);
}

}  // namespace hako::build
