// This file declares the attach protocol between a container's monitor and the
// clients that attach to it (run -it, start -a, container attach, compose), and
// the client side of it. The monitor listens on ROOT/containers/ID/attach.sock
// (SOCK_SEQPACKET); every message is one packet: a type byte, then its payload.
//   client → monitor: kStdin (bytes for the container's stdin or terminal),
//                     kResize (rows, cols as two big-endian uint16), kCloseStdin
//   monitor → client: kStdout, kStderr (the container's output as it comes)
// The monitor closes every attacher when the container's run ends.
#pragma once

#include <termios.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::monitor {

enum AttachMessage : uint8_t { kStdin = 0, kStdout = 1, kStderr = 2, kResize = 3, kCloseStdin = 4 };
inline constexpr size_t kAttachPacketMax = 16384 + 1;
inline constexpr const char* kAttachSocketName = "attach.sock";

// Sends one packet (MSG_NOSIGNAL); false when the peer is gone.
bool send_packet(int fd, AttachMessage type, std::string_view payload);
std::string resize_payload(unsigned short rows, unsigned short cols);

// Connects to the monitor of the container whose folder is `container_dir`.
Result<sys::UniqueFd> connect_attach(const std::filesystem::path& container_dir);

struct AttachStreams {
    int in = -1;  // -1: nothing to forward
    int out = 1;
    int err = 2;
    bool tty = false;
    bool close_stdin_on_eof = false;  // run -i: the container's stdin ends with ours
    std::string detach_keys = "ctrl-p,ctrl-q";
};
enum class AttachEnd { Closed, Detached };

// "ctrl-p,ctrl-q", "ctrl-a,x" → the bytes that detach ("" keys: never detach).
Result<std::string> parse_detach_keys(std::string_view keys);

// Copies `in` to the monitor and its output to out/err until the monitor closes
// the socket (the run ended) or the detach keys are typed. With tty and a
// terminal on `in`, the terminal is put in raw mode for the session and its
// size is sent at the start and on every SIGWINCH.
Result<AttachEnd> attach_session(int socket_fd, const AttachStreams& streams);

// The terminal size of `fd` (0, 0 when it is not a terminal).
std::pair<unsigned short, unsigned short> terminal_size(int fd);

// Puts a terminal in raw mode and restores it when destroyed.
class RawTerminal {
public:
    explicit RawTerminal(int fd);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_ = -1;
    bool active_ = false;
    termios saved_{};
};

}  // namespace hako::monitor
