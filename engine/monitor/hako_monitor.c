/* This file implements hako-monitor, the steady state of a container's monitor:
 * the hako process that set the container up (engine/monitor/monitor.cpp)
 * execve()s it, keeping its pid and the container's init as its child, so a
 * running container costs a small static program instead of the whole CLI. One
 * poll loop, no threads: it pumps the container's output into the json-file log
 * (and the first run's attached CLI), serves attachers on attach.sock (attach.h's
 * protocol), stops the container on request (SIGUSR1 with the grace seconds,
 * SIGTERM/INT/HUP), runs each healthcheck probe as `__monitor-probe`, and when
 * the init exits execve()s `__monitor-exit` for the exit's bookkeeping (restart,
 * cleanup). Both verbs run in the lean hako-exit beside hako (src/exitpath/), or in
 * hako itself when hako-exit is missing; exec'd by host path, from the host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/container/retired_folder.h"
#include "engine/monitor/monitor_log.h"

/* attach.h's message types and sizes. */
enum { kStdin = 0, kStdout = 1, kStderr = 2, kResize = 3, kCloseStdin = 4 };
#define ATTACH_PACKET_MAX (16384 + 1)
#define MAX_ATTACHERS 64
#define MAX_HELD 64
#define LINE_MAX_BYTES 16384 /* docker cuts log lines there too */
#define DRAIN_MS 2000        /* a daemonised grandchild may hold a pipe open */
#define PROBE_GRACE_MS 10000 /* a probe applies its own timeout; this is the backstop */

struct stream {
    const char* name;
    int kind;
    int fd;     /* read end (or the terminal's master side), -1 once at EOF */
    int attach; /* the first run's attached CLI, -1 when none */
    size_t pending_size;
    char pending[2 * LINE_MAX_BYTES];
};

struct health {
    int64_t interval_ms, timeout_ms, start_period_ms, start_interval_ms;
};

struct monitor {
    const char* hako; /* host path of the hako binary */
    char* exit_bin;   /* hako-exit in hako's folder, or NULL: the hidden verbs' binary */
    const char* root;
    const char* id;
    pid_t init;
    int status_fd, listen_fd, input_fd, pty_fd;
    int tty;
    int stop_signal, stop_timeout;
    int has_health;
    struct health health;
    int64_t started_ms; /* CLOCK_MONOTONIC of the run's start */
    struct monitor_log log;
    struct stream out, err;
    int attachers[MAX_ATTACHERS];
    int attacher_count;
    int held[MAX_HELD]; /* the published ports' reserved sockets, for __monitor-exit */
    int held_count;
    int signal_fd;
    int stop_requested;
    int64_t kill_deadline;
    int exited;
    int wait_status;
    pid_t probe;
    int64_t probe_deadline, next_probe;
    int health_starting;
    int exit_by_caller; /* the attached CLI may run the exit path (monitor.h, "ended") */
};

static struct monitor m;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_sigpipe(int signal) { (void)signal; }

static void close_fd(int* fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Writes everything, or closes `fd` when its reader went away. */
static void write_all(int* fd, const char* data, size_t size) {
    while (*fd >= 0 && size > 0) {
        ssize_t n = write(*fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close_fd(fd);
            return;
        }
        data += n;
        size -= (size_t)n;
    }
}

static int send_packet(int fd, int type, const char* data, size_t size) {
    char kind = (char)type;
    struct iovec parts[2] = {{&kind, 1}, {(void*)data, size}};
    struct msghdr message = {0};
    message.msg_iov = parts;
    message.msg_iovlen = 2;
    for (;;) {
        if (sendmsg(fd, &message, MSG_NOSIGNAL) >= 0) return 1;
        if (errno != EINTR) return 0;
    }
}

/* --- options --------------------------------------------------------------- */

static int64_t number(const char* text) { return strtoll(text, NULL, 10); }

static void usage(const char* why) {
    static const char text[] = "hako-monitor: started by hako only (";
    if (write(2, text, sizeof text - 1) < 0 || write(2, why, strlen(why)) < 0 || write(2, ")\n", 2) < 0) _exit(125);
    _exit(125);
}

static void parse(int argc, char** argv) {
    m.status_fd = m.listen_fd = m.input_fd = m.pty_fd = -1;
    m.out.fd = m.err.fd = m.out.attach = m.err.attach = -1;
    m.out.name = "stdout";
    m.out.kind = kStdout;
    m.err.name = "stderr";
    m.err.kind = kStderr;
    m.stop_signal = SIGTERM;
    m.stop_timeout = 10;
    m.probe = 0;
    m.kill_deadline = -1;
    const char* log_path = NULL;
    int64_t log_max_size = 0, log_max_file = 1;
    for (int i = 1; i < argc; ++i) {
        char* key = argv[i];
        char* value = strchr(key, '=');
        if (strncmp(key, "--", 2) != 0 || !value) usage(key);
        *value++ = 0;
        key += 2;
        if (!strcmp(key, "hako")) m.hako = value;
        else if (!strcmp(key, "root")) m.root = value;
        else if (!strcmp(key, "id")) m.id = value;
        else if (!strcmp(key, "pid")) m.init = (pid_t)number(value);
        else if (!strcmp(key, "status-fd")) m.status_fd = (int)number(value);
        else if (!strcmp(key, "listen-fd")) m.listen_fd = (int)number(value);
        else if (!strcmp(key, "out-fd")) m.out.fd = (int)number(value);
        else if (!strcmp(key, "err-fd")) m.err.fd = (int)number(value);
        else if (!strcmp(key, "in-fd")) m.input_fd = (int)number(value);
        else if (!strcmp(key, "pty-fd")) m.pty_fd = (int)number(value);
        else if (!strcmp(key, "tty")) m.tty = (int)number(value);
        else if (!strcmp(key, "attach-out")) m.out.attach = (int)number(value);
        else if (!strcmp(key, "attach-err")) m.err.attach = (int)number(value);
        else if (!strcmp(key, "attacher")) {
            if (m.attacher_count < MAX_ATTACHERS) m.attachers[m.attacher_count++] = (int)number(value);
        } else if (!strcmp(key, "hold")) {
            if (m.held_count < MAX_HELD) m.held[m.held_count++] = (int)number(value);
        } else if (!strcmp(key, "log")) log_path = value;
        else if (!strcmp(key, "log-max-size")) log_max_size = number(value);
        else if (!strcmp(key, "log-max-file")) log_max_file = number(value);
        else if (!strcmp(key, "stop-signal")) m.stop_signal = (int)number(value);
        else if (!strcmp(key, "stop-timeout")) m.stop_timeout = (int)number(value);
        else if (!strcmp(key, "started-ms")) m.started_ms = number(value);
        else if (!strcmp(key, "exit-by-caller")) m.exit_by_caller = (int)number(value);
        else if (!strcmp(key, "health")) {
            /* interval,timeout,start_period,start_interval in milliseconds */
            long long v[4];
            if (sscanf(value, "%lld,%lld,%lld,%lld", &v[0], &v[1], &v[2], &v[3]) != 4) usage("--health");
            m.health = (struct health){v[0], v[1], v[2], v[3]};
            m.has_health = 1;
        } else usage(key);
    }
    if (!m.hako || !m.root || !m.id || m.init <= 0 || !log_path) usage("missing options");
    const char* slash = strrchr(m.hako, '/');
    if (slash) {
        static const char name[] = "hako-exit";
        size_t folder = (size_t)(slash - m.hako) + 1;
        m.exit_bin = malloc(folder + sizeof name);
        if (m.exit_bin) {
            memcpy(m.exit_bin, m.hako, folder);
            memcpy(m.exit_bin + folder, name, sizeof name);
        }
    }
    if (monitor_log_open(&m.log, log_path, log_max_size, (int)log_max_file) != 0) m.log.fd = -1;
}

/* Every fd it was given stays out of what it executes (probes, hako), but for
 * the two that __monitor-exit takes on. */
static void set_cloexec(int fd, int on) {
    if (fd < 0) return;
    fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0); /* the only fd flag there is */
}

/* --- output -------------------------------------------------------------- */

static void log_text(struct stream* s, const char* text, size_t size) {
    char time[32];
    monitor_log_time(time);
    monitor_log_write(&m.log, text, size, s->name, time);
}

static void flush(struct stream* s) {
    if (s->pending_size > 0) log_text(s, s->pending, s->pending_size);
    s->pending_size = 0;
}

static void drop_closed_attachers(void) {
    int kept = 0;
    for (int i = 0; i < m.attacher_count; ++i)
        if (m.attachers[i] >= 0) m.attachers[kept++] = m.attachers[i];
    m.attacher_count = kept;
}

static void emit(struct stream* s, const char* data, size_t size) {
    write_all(&s->attach, data, size);
    for (int i = 0; i < m.attacher_count; ++i)
        if (!send_packet(m.attachers[i], s->kind, data, size)) close_fd(&m.attachers[i]);
    drop_closed_attachers();
    memcpy(s->pending + s->pending_size, data, size);
    s->pending_size += size;
    size_t start = 0;
    for (char* newline; (newline = memchr(s->pending + start, '\n', s->pending_size - start)) != NULL;) {
        size_t end = (size_t)(newline - s->pending) + 1;
        log_text(s, s->pending + start, end - start);
        start = end;
    }
    memmove(s->pending, s->pending + start, s->pending_size - start);
    s->pending_size -= start;
    if (s->pending_size >= LINE_MAX_BYTES) flush(s);
}

static void pump(struct stream* s) {
    char buffer[LINE_MAX_BYTES];
    ssize_t n = read(s->fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) { /* EOF, or EIO from a terminal whose last slave closed */
        flush(s);
        close_fd(&s->fd);
        return;
    }
    emit(s, buffer, (size_t)n);
}

/* --- attachers --------------------------------------------------------------- */

static void accept_attacher(void) {
    int fd = accept4(m.listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    /* Outside a run there is nothing to attach to: the client sees EOF at once. */
    if (m.exited || (m.out.fd < 0 && m.err.fd < 0) || m.attacher_count == MAX_ATTACHERS) {
        close(fd);
        return;
    }
    m.attachers[m.attacher_count++] = fd;
}

static void serve_attacher(int index) {
    static char packet[ATTACH_PACKET_MAX];
    ssize_t n = recv(m.attachers[index], packet, sizeof packet, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        close_fd(&m.attachers[index]);
        return;
    }
    switch (packet[0]) {
        case kStdin:
            write_all(&m.input_fd, packet + 1, (size_t)(n - 1));
            break;
        case kResize:
            if (m.pty_fd >= 0 && n == 5) {
                const unsigned char* b = (const unsigned char*)packet;
                struct winsize size = {(unsigned short)(b[1] << 8 | b[2]), (unsigned short)(b[3] << 8 | b[4]), 0, 0};
                ioctl(m.pty_fd, TIOCSWINSZ, &size);
            }
            break;
        case kCloseStdin:
            if (!m.tty) close_fd(&m.input_fd);
            break;
        default:
            break;
    }
}

/* --- stop ------------------------------------------------------------------ */

static void begin_stop(int grace_seconds) {
    m.stop_requested = 1;
    if (m.exited) return;
    if (grace_seconds < 0) grace_seconds = m.stop_timeout;
    if (grace_seconds == 0) {
        kill(m.init, SIGKILL);
        return;
    }
    kill(m.init, m.stop_signal);
    m.kill_deadline = now_ms() + (int64_t)grace_seconds * 1000;
}

/* --- healthcheck ----------------------------------------------------------- */

static int64_t probe_delay_ms(int64_t since_start_ms) {
    if (m.health_starting && since_start_ms < m.health.start_period_ms) return m.health.start_interval_ms;
    return m.health.interval_ms;
}

/* Runs a hidden verb (argv[1] on): hako-exit, else (missing: a build without it)
 * the full hako, which has the same verbs. Returns only when neither would run. */
static void exec_verb(char** argv) {
    if (m.exit_bin) {
        argv[0] = m.exit_bin;
        execv(m.exit_bin, argv);
    }
    argv[0] = (char*)m.hako;
    execv(m.hako, argv);
}

static void start_probe(void) {
    char since[32];
    int64_t now = now_ms();
    snprintf(since, sizeof since, "%lld", (long long)((now - m.started_ms) * 1000000));
    pid_t pid = fork();
    if (pid < 0) {
        m.next_probe = now + m.health.interval_ms;
        return;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char* argv[] = {(char*)m.hako, "--root", (char*)m.root, "__monitor-probe", (char*)m.id, since, NULL};
        exec_verb(argv);
        _exit(125);
    }
    m.probe = pid;
    m.probe_deadline = now + m.health.timeout_ms + PROBE_GRACE_MS;
}

/* __monitor-probe's exit status: 0 healthy, 1 unhealthy, 2 still starting;
 * anything else (-1: it was killed) leaves the status as it was. */
static void finish_probe(int exit_code) {
    m.probe = 0;
    if (exit_code >= 0 && exit_code <= 2) m.health_starting = exit_code == 2;
    int64_t now = now_ms();
    m.next_probe = now + probe_delay_ms(now - m.started_ms);
}

static void stop_probe(void) {
    if (m.probe <= 0) return;
    kill(m.probe, SIGKILL);
    while (waitpid(m.probe, NULL, 0) < 0 && errno == EINTR) {
    }
    m.probe = 0;
}

/* --- signals --------------------------------------------------------------- */

static void handle_signals(void) {
    struct signalfd_siginfo info;
    while (read(m.signal_fd, &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGCHLD) {
            int status = 0;
            pid_t pid;
            while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid == m.init) {
                    m.exited = 1;
                    m.wait_status = status;
                } else if (pid == m.probe) {
                    finish_probe(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                } /* else: an orphan adopted as subreaper (an external runtime's) */
            }
        } else if (info.ssi_signo == SIGUSR1) {
            begin_stop(info.ssi_int);
        } else {
            begin_stop(-1);
        }
    }
}

/* --- the loop ---------------------------------------------------------------- */

static void supervise(void) {
    int64_t drain_deadline = -1;
    if (m.has_health) {
        m.health_starting = 1;
        m.next_probe = m.started_ms + probe_delay_ms(0);
    }
    struct pollfd fds[4 + MAX_ATTACHERS];
    for (;;) {
        if (m.exited && m.out.fd < 0 && m.err.fd < 0) break;
        int64_t now = now_ms();
        if (m.exited && drain_deadline < 0) drain_deadline = now + DRAIN_MS;
        if (m.exited && now >= drain_deadline) break;
        if (!m.exited && m.kill_deadline >= 0 && now >= m.kill_deadline) {
            kill(m.init, SIGKILL);
            m.kill_deadline = -1;
        }
        int probing = m.has_health && !m.exited && !m.stop_requested;
        if (m.probe > 0 && now >= m.probe_deadline) {
            stop_probe();
            finish_probe(-1);
        }
        if (probing && m.probe <= 0 && now >= m.next_probe) start_probe();

        int64_t deadline = m.exited ? drain_deadline : m.kill_deadline;
        if (probing || m.probe > 0) {
            int64_t at = m.probe > 0 ? m.probe_deadline : m.next_probe;
            if (deadline < 0 || at < deadline) deadline = at;
        }
        int64_t wait = deadline < 0 ? -1 : deadline - now_ms();
        int timeout = wait < 0 ? (deadline < 0 ? -1 : 0) : (int)wait;

        fds[0] = (struct pollfd){m.signal_fd, POLLIN, 0};
        fds[1] = (struct pollfd){m.out.fd, POLLIN, 0};
        fds[2] = (struct pollfd){m.err.fd, POLLIN, 0};
        fds[3] = (struct pollfd){m.listen_fd, POLLIN, 0};
        int count = m.attacher_count;
        for (int i = 0; i < count; ++i) fds[4 + i] = (struct pollfd){m.attachers[i], POLLIN, 0};
        int ready = poll(fds, (nfds_t)(4 + count), timeout);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        if (fds[0].revents) handle_signals();
        if (fds[1].revents && m.out.fd >= 0) pump(&m.out);
        if (fds[2].revents && m.err.fd >= 0) pump(&m.err);
        if (fds[3].revents) accept_attacher();
        for (int i = 0; i < count && i < m.attacher_count; ++i)
            if (fds[4 + i].revents && m.attachers[i] >= 0) serve_attacher(i);
        drop_closed_attachers();
    }
    flush(&m.out);
    flush(&m.err);
}

/* Offers the exit path to the attached CLI ("ended", monitor.h) and waits for its
 * answer. "done [RETIRED]": the CLI did it all; what is left is the disposal of a
 * --rm container's retired folder, done here after the CLI returned
 * (hako_dispose_retired). Returns when the CLI answered "fallback" or went away. */
static void offer_exit(void) {
    char line[4200];
    int length = snprintf(line, sizeof line, "ended %d %d\n", m.wait_status, m.stop_requested);
    if (send(m.status_fd, line, (size_t)length, MSG_NOSIGNAL) != length) return;
    ssize_t n;
    while ((n = recv(m.status_fd, line, sizeof line - 1, 0)) < 0 && errno == EINTR) {
    }
    if (n <= 0) return;
    line[n] = 0;
    if (strncmp(line, "done", 4) != 0) return;
    char* retired = line + 4;
    retired[strcspn(retired, "\n")] = 0;
    while (*retired == ' ') ++retired;
    if (*retired) {
        close_fd(&m.status_fd);
        close_fd(&m.listen_fd);
        /* Nothing waits for this disposal, while the CLI that answered is leaving and
         * its caller (a shell, a script's next command) wants a CPU: at nice 19 the
         * unlinks give way to them. It runs here, not in an exec'd hako-exit, whose
         * start (a static glibc C++ program: ~2 ms of CPU with its cpuid probes)
         * was taken from the next command. */
        (void)setpriority(PRIO_PROCESS, 0, 19);
        (void)hako_dispose_retired(m.root, retired);
    }
    _exit(0);
}

/* Hands the exit to `__monitor-exit` (restart, cleanup, "exit N"). */
static void hand_over(void) {
    close_fd(&m.out.fd);
    close_fd(&m.err.fd);
    close_fd(&m.input_fd);
    close_fd(&m.pty_fd);
    close_fd(&m.out.attach);
    close_fd(&m.err.attach);
    for (int i = 0; i < m.attacher_count; ++i) close_fd(&m.attachers[i]);
    m.attacher_count = 0;
    stop_probe();
    close_fd(&m.signal_fd);
    close_fd(&m.log.fd);
    if (m.exit_by_caller && m.status_fd >= 0) offer_exit();
    set_cloexec(m.status_fd, 0);
    set_cloexec(m.listen_fd, 0);
    char held[MAX_HELD * 12 + 2] = "-";
    for (int i = 0, at = 0; i < m.held_count; ++i) {
        set_cloexec(m.held[i], 0);
        at += snprintf(held + at, sizeof held - (size_t)at, "%s%d", i ? "," : "", m.held[i]);
    }
    char status[16], stopped[4], status_fd[16], listen_fd[16];
    snprintf(status, sizeof status, "%d", m.wait_status);
    snprintf(stopped, sizeof stopped, "%d", m.stop_requested);
    snprintf(status_fd, sizeof status_fd, "%d", m.status_fd);
    snprintf(listen_fd, sizeof listen_fd, "%d", m.listen_fd);
    char* argv[] = {(char*)m.hako, "--root", (char*)m.root, "__monitor-exit", "--", (char*)m.id,
                    status,        stopped,  status_fd,     listen_fd,        held,  NULL};
    exec_verb(argv);
    /* Nothing left to do the bookkeeping: at least let an attached CLI go. */
    int code = WIFEXITED(m.wait_status) ? WEXITSTATUS(m.wait_status) : 128 + WTERMSIG(m.wait_status);
    char line[32];
    int length = snprintf(line, sizeof line, "exit %d\n", code);
    write_all(&m.status_fd, line, (size_t)length);
    _exit(1);
}

int main(int argc, char** argv) {
    parse(argc, argv);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigpipe; /* a handler, not SIG_IGN: nothing exec'd inherits it */
    sigaction(SIGPIPE, &action, NULL);
    sigset_t mask;
    sigemptyset(&mask);
    int signals[] = {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; ++i) sigaddset(&mask, signals[i]);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    m.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    int given[] = {m.status_fd, m.listen_fd, m.out.fd, m.err.fd, m.input_fd, m.pty_fd, m.out.attach, m.err.attach};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; ++i) set_cloexec(given[i], 1);
    for (int i = 0; i < m.attacher_count; ++i) set_cloexec(m.attachers[i], 1);
    for (int i = 0; i < m.held_count; ++i) set_cloexec(m.held[i], 1);
    /* The init may have ended before the signalfd existed: its SIGCHLD is pending
     * still (blocked since the set-up), so the first read sees it. */
    if (m.signal_fd >= 0) {
        handle_signals();
        supervise();
    } else {
        while (waitpid(m.init, &m.wait_status, 0) < 0 && errno == EINTR) {
        }
        m.exited = 1;
    }
    hand_over();
    return 0;
}
