// This file implements the attach protocol's helpers and its client (attach.h).
#include "engine/monitor/attach.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace hako::monitor {

namespace fs = std::filesystem;

namespace {

volatile sig_atomic_t g_window_changed = 0;
void on_winch(int) { g_window_changed = 1; }

bool write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

bool send_packet(int fd, AttachMessage type, std::string_view payload) {
    std::string packet;
    packet.reserve(payload.size() + 1);
    packet.push_back(static_cast<char>(type));
    packet.append(payload);
    for (;;) {
        ssize_t n = ::send(fd, packet.data(), packet.size(), MSG_NOSIGNAL);
        if (n >= 0) return true;
        if (errno != EINTR) return false;
    }
}

std::string resize_payload(unsigned short rows, unsigned short cols) {
    std::string p(4, '\0');
    p[0] = static_cast<char>(rows >> 8);
    p[1] = static_cast<char>(rows & 0xff);
    p[2] = static_cast<char>(cols >> 8);
    p[3] = static_cast<char>(cols & 0xff);
    return p;
}

Result<sys::UniqueFd> connect_attach(const fs::path& container_dir) {
    // sun_path holds 108 bytes: reach the socket through the folder's fd.
    sys::UniqueFd dir(::open(container_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return Error::from_syscall("open", errno, container_dir.string());
    sys::UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!sock) return Error::from_syscall("socket", errno, "attach");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string path = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + kAttachSocketName;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return Error::from_syscall("connect", errno, (container_dir / kAttachSocketName).string());
    return sock;
}

Result<std::string> parse_detach_keys(std::string_view keys) {
    std::string bytes;
    size_t start = 0;
    while (start <= keys.size() && !keys.empty()) {
        size_t comma = keys.find(',', start);
        std::string_view key = keys.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (key.size() == 1) {
            bytes.push_back(key[0]);
        } else if (key.starts_with("ctrl-") && key.size() == 6) {
            char c = static_cast<char>(std::tolower(static_cast<unsigned char>(key[5])));
            if (c >= 'a' && c <= 'z') bytes.push_back(static_cast<char>(c - 'a' + 1));
            else if (c == '@') bytes.push_back(0);
            else if (c == '[') bytes.push_back(27);
            else if (c == '\\') bytes.push_back(28);
            else if (c == ']') bytes.push_back(29);
            else if (c == '^') bytes.push_back(30);
            else if (c == '_') bytes.push_back(31);
            else return Error::usage("invalid detach keys \"" + std::string(keys) + "\": unknown key " + std::string(key));
        } else {
            return Error::usage("invalid detach keys \"" + std::string(keys) + "\": unknown key " + std::string(key));
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return bytes;
}

std::pair<unsigned short, unsigned short> terminal_size(int fd) {
    winsize size{};
    if (fd < 0 || ::ioctl(fd, TIOCGWINSZ, &size) != 0) return {0, 0};
    return {size.ws_row, size.ws_col};
}

RawTerminal::RawTerminal(int fd) : fd_(fd) {
    if (fd < 0 || !::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    raw.c_oflag = saved_.c_oflag;  // keep output processing: our own messages stay readable
    active_ = ::tcsetattr(fd, TCSADRAIN, &raw) == 0;
}

RawTerminal::~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
}

Result<AttachEnd> attach_session(int socket_fd, const AttachStreams& streams) {
    std::string detach = TRY(parse_detach_keys(streams.detach_keys));
    bool terminal_in = streams.tty && streams.in >= 0 && ::isatty(streams.in);
    RawTerminal raw(terminal_in ? streams.in : -1);
    struct sigaction previous {};
    struct sigaction action {};
    action.sa_handler = on_winch;
    sigemptyset(&action.sa_mask);
    if (streams.tty) ::sigaction(SIGWINCH, &action, &previous);
    auto send_size = [&] {
        int probe = terminal_in ? streams.in : (::isatty(streams.out) ? streams.out : -1);
        auto [rows, cols] = terminal_size(probe);
        if (rows > 0 && cols > 0) send_packet(socket_fd, kResize, resize_payload(rows, cols));
    };
    if (streams.tty) send_size();

    bool reading_in = streams.in >= 0;
    size_t matched = 0;  // how many detach bytes were typed so far (held back)
    AttachEnd end = AttachEnd::Closed;
    std::vector<char> buffer(kAttachPacketMax);
    for (;;) {
        if (g_window_changed) {
            g_window_changed = 0;
            send_size();
        }
        pollfd fds[2] = {{socket_fd, POLLIN, 0}, {reading_in ? streams.in : -1, POLLIN, 0}};
        int ready = ::poll(fds, 2, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents) {
            ssize_t n = ::recv(socket_fd, buffer.data(), buffer.size(), 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            int target = buffer[0] == kStderr ? streams.err : streams.out;
            if (n > 1 && (buffer[0] == kStdout || buffer[0] == kStderr))
                write_all(target, buffer.data() + 1, static_cast<size_t>(n - 1));
        }
        if (reading_in && fds[1].revents) {
            char input[4096];
            ssize_t n = ::read(streams.in, input, sizeof input);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) {
                reading_in = false;
                if (streams.close_stdin_on_eof) send_packet(socket_fd, kCloseStdin, "");
                continue;
            }
            std::string out;
            bool detached = false;
            for (ssize_t i = 0; i < n; ++i) {
                char c = input[i];
                if (!detach.empty() && c == detach[matched]) {
                    if (++matched == detach.size()) {
                        detached = true;
                        break;
                    }
                    continue;
                }
                if (matched > 0) out.append(detach, 0, matched);  // not the sequence after all
                matched = 0;
                if (!detach.empty() && c == detach[0]) {
                    matched = 1;
                    if (matched == detach.size()) {
                        detached = true;
                        break;
                    }
                    continue;
                }
                out.push_back(c);
            }
            for (size_t at = 0; at < out.size(); at += kAttachPacketMax - 1)
                send_packet(socket_fd, kStdin, std::string_view(out).substr(at, kAttachPacketMax - 1));
            if (detached) {
                end = AttachEnd::Detached;
                break;
            }
        }
    }
    if (streams.tty) ::sigaction(SIGWINCH, &previous, nullptr);
    return end;
}

}  // namespace hako::monitor
