/* This file implements hako-monitor's json-file log (monitor_log.h): the line
 * encoding streams through a small buffer, so a 16 KiB line costs no more
 * memory than a short one. */
#define _GNU_SOURCE
#include "engine/monitor/monitor_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/container/retired_folder.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* Where encoded bytes go: counted always, copied while they fit, and written to
 * `fd` (when >= 0) each time the buffer fills. */
struct sink {
    char* buffer;
    size_t capacity, used, total;
    int fd;
    int failed;
    int64_t* written;
};

static void sink_flush(struct sink* s) {
    size_t at = 0;
    while (s->fd >= 0 && !s->failed && at < s->used) {
        ssize_t n = write(s->fd, s->buffer + at, s->used - at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            s->failed = 1;
            break;
        }
        at += (size_t)n;
        if (s->written) *s->written += n;
    }
    if (s->fd >= 0) s->used = 0;
}

static void put(struct sink* s, const char* data, size_t size) {
    s->total += size;
    while (size > 0) {
        if (s->used == s->capacity) {
            if (s->fd < 0) return;
            sink_flush(s);
        }
        size_t room = s->capacity - s->used;
        size_t n = size < room ? size : room;
        memcpy(s->buffer + s->used, data, n);
        s->used += n;
        data += n;
        size -= n;
    }
}

static void put_text(struct sink* s, const char* text) { put(s, text, strlen(text)); }

/* The length of the well-formed UTF-8 sequence at the start of `text`, or 0
 * (the same rules as log_line.cpp). */
static size_t utf8_sequence_length(const unsigned char* text, size_t size) {
    unsigned char lead = text[0];
    size_t length = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xC2 && lead <= 0xDF ? 2 : 0;
    if (length == 0 || length > size) return 0;
    for (size_t i = 1; i < length; ++i)
        if ((text[i] & 0xC0) != 0x80) return 0;
    if (lead == 0xE0 && text[1] < 0xA0) return 0;  /* overlong */
    if (lead == 0xED && text[1] >= 0xA0) return 0; /* surrogates */
    if (lead == 0xF0 && text[1] < 0x90) return 0;  /* overlong */
    if (lead == 0xF4 && text[1] >= 0x90) return 0; /* beyond U+10FFFF */
    return length;
}

static void encode(struct sink* s, const char* text, size_t size, const char* stream, const char* time) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char* bytes = (const unsigned char*)text;
    put_text(s, "{\"log\":\"");
    size_t plain = 0; /* start of the run of bytes copied as they are */
    for (size_t i = 0; i < size; ++i) {
        unsigned char c = bytes[i];
        const char* escape = NULL;
        char unicode[7];
        if (c >= 0x80) {
            size_t length = utf8_sequence_length(bytes + i, size - i);
            if (length > 0) {
                i += length - 1;
                continue;
            }
            escape = "\xEF\xBF\xBD";
        } else if (c == '"') {
            escape = "\\\"";
        } else if (c == '\\') {
            escape = "\\\\";
        } else if (c == '\n') {
            escape = "\\n";
        } else if (c == '\r') {
            escape = "\\r";
        } else if (c == '\t') {
            escape = "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(unicode, "\\u00", 4);
            unicode[4] = hex[c >> 4];
            unicode[5] = hex[c & 15];
            unicode[6] = 0;
            escape = unicode;
        } else {
            continue;
        }
        put(s, text + plain, i - plain);
        put_text(s, escape);
        plain = i + 1;
    }
    put(s, text + plain, size - plain);
    put_text(s, "\",\"stream\":\"");
    put_text(s, stream);
    put_text(s, "\",\"time\":\"");
    put_text(s, time);
    put_text(s, "\"}\n");
}

size_t monitor_log_encode(const char* text, size_t size, const char* stream, const char* time, char* out,
                          size_t capacity) {
    struct sink s = {out, capacity, 0, 0, -1, 0, NULL};
    encode(&s, text, size, stream, time);
    return s.total;
}

int monitor_log_open(struct monitor_log* log, const char* path, int64_t max_size, int max_file) {
    log->path = path;
    log->max_size = max_size;
    log->max_file = max_file < 1 ? 1 : max_file;
    log->size = 0;
    /* A first log takes the emptied one a recycled folder keeps (HAKO_LOG_SPARE)
     * instead of making a file; a log already there stays (a restart appends). */
    int claimed = 0;
    const char* slash = strrchr(path, '/');
    char spare[4096];
    if (slash && snprintf(spare, sizeof spare, "%.*s/" HAKO_LOG_SPARE, (int)(slash - path), path) < (int)sizeof spare)
        claimed = syscall(SYS_renameat2, AT_FDCWD, spare, AT_FDCWD, path, RENAME_NOREPLACE) == 0;
    log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (log->fd < 0) return -1;
    struct stat st;
    if (fstat(log->fd, &st) == 0) log->size = st.st_size;
    if (claimed && log->size > 0 && ftruncate(log->fd, 0) == 0) log->size = 0;  /* never another's lines */
    return 0;
}

static void numbered(char* out, size_t capacity, const char* path, int n) { snprintf(out, capacity, "%s.%d", path, n); }

/* As docker's json-file driver: PATH.1 is the newest rotated file; with one
 * file the log starts again empty (a follower sees the size drop). */
static void rotate(struct monitor_log* log) {
    if (log->max_file > 1) {
        char from[4096], to[4096];
        numbered(to, sizeof to, log->path, log->max_file - 1);
        unlink(to);
        for (int n = log->max_file - 2; n >= 1; --n) {
            numbered(from, sizeof from, log->path, n);
            numbered(to, sizeof to, log->path, n + 1);
            rename(from, to);
        }
        numbered(to, sizeof to, log->path, 1);
        rename(log->path, to);
        if (log->fd >= 0) close(log->fd);
        log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    } else if (log->fd >= 0) {
        if (ftruncate(log->fd, 0) != 0) return;
    }
    log->size = 0;
}

void monitor_log_write(struct monitor_log* log, const char* text, size_t size, const char* stream, const char* time) {
    if (log->max_size > 0 && log->size > 0) {
        size_t length = monitor_log_encode(text, size, stream, time, NULL, 0);
        if (log->size + (int64_t)length > log->max_size) rotate(log);
    }
    if (log->fd < 0) return;
    char buffer[4096];
    struct sink s = {buffer, sizeof buffer, 0, 0, log->fd, 0, &log->size};
    encode(&s, text, size, stream, time);
    sink_flush(&s);
}

/* Writes `value` as `width` decimal digits (zero padded) and returns the end. */
static char* digits(char* out, long value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) out[i] = (char)('0' + value % 10);
    return out + width;
}

void monitor_log_time(char* out) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm parts;
    gmtime_r(&now.tv_sec, &parts);
    char* p = digits(out, parts.tm_year + 1900, 4);
    *p++ = '-';
    p = digits(p, parts.tm_mon + 1, 2);
    *p++ = '-';
    p = digits(p, parts.tm_mday, 2);
    *p++ = 'T';
    p = digits(p, parts.tm_hour, 2);
    *p++ = ':';
    p = digits(p, parts.tm_min, 2);
    *p++ = ':';
    p = digits(p, parts.tm_sec, 2);
    *p++ = '.';
    p = digits(p, now.tv_nsec, 9);
    *p++ = 'Z';
    *p = 0;
}
