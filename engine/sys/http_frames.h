// This file declares the frames that hako and its HTTP helper, hako-fetch, exchange
// on a stream socket (engine/sys/http.h, src/fetch/main.cpp): one type byte, the
// payload's length as 4 bytes little-endian, the payload.
//   hako -> hako-fetch:  'R' request (JSON: method, url, headers, options), then
//                        'B' the request body when the request says it has one
//   hako-fetch -> hako:  'h' one raw header line, as libcurl hands it over (every
//                        answer's, redirects' too); 'S' the status, before the first
//                        'D' (body bytes) of the answer whose body follows; 'E' the
//                        end (JSON: "code" libcurl's result, "error", "status")
// A helper serves one request after the other until its socket closes.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

#include <sys/socket.h>
#include <unistd.h>

namespace hako::sys::http {

// The longest frame either side sends or accepts (a request body: a push chunk).
inline constexpr uint32_t kMaxFramePayload = 1u << 30;

// Writes one frame; false when the peer is gone or the payload is too long.
inline bool write_frame(int fd, char type, std::string_view payload) {
    if (payload.size() > kMaxFramePayload) return false;
    unsigned char head[5] = {static_cast<unsigned char>(type)};
    uint32_t length = static_cast<uint32_t>(payload.size());
    for (int i = 0; i < 4; ++i) head[1 + i] = static_cast<unsigned char>(length >> (8 * i));
    auto all = [fd](const void* data, size_t size) {
        const char* p = static_cast<const char*>(data);
        while (size > 0) {
            ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);  // no SIGPIPE when the peer is gone
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n;
            size -= static_cast<size_t>(n);
        }
        return true;
    };
    return all(head, sizeof head) && all(payload.data(), payload.size());
}

// Reads one frame; false at the end of the stream, on an error, or a frame too long.
inline bool read_frame(int fd, char& type, std::string& payload) {
    auto exact = [fd](void* data, size_t size) {
        char* p = static_cast<char*>(data);
        while (size > 0) {
            ssize_t n = ::read(fd, p, size);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n;
            size -= static_cast<size_t>(n);
        }
        return true;
    };
    unsigned char head[5];
    if (!exact(head, sizeof head)) return false;
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length |= static_cast<uint32_t>(head[1 + i]) << (8 * i);
    if (length > kMaxFramePayload) return false;
    type = static_cast<char>(head[0]);
    payload.resize(length);
    return exact(payload.data(), length);
}

}  // namespace hako::sys::http
