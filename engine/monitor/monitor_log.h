/* This file declares hako-monitor's json-file log: docker's line format (the same
 * bytes as engine/container/log_line.h's encode_log_line) and the same rotation
 * as engine/monitor/log_writer.h, in C for the small static monitor. */
#ifndef HAKO_MONITOR_LOG_H
#define HAKO_MONITOR_LOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct monitor_log {
    const char* path;
    int64_t max_size; /* bytes; 0 = unlimited */
    int max_file;     /* >= 1 */
    int fd;
    int64_t size;
};

/* Opens (appends to) the log; -1 with errno on failure. */
int monitor_log_open(struct monitor_log* log, const char* path, int64_t max_size, int max_file);
/* Appends one entry {"log":TEXT,"stream":STREAM,"time":TIME}, rotating first when
 * it would pass max_size. A write error drops the line. */
void monitor_log_write(struct monitor_log* log, const char* text, size_t size, const char* stream, const char* time);
/* The time of an entry now: RFC 3339, UTC, nanoseconds ("…T09:41:08.123456789Z");
 * `out` holds at least 32 bytes. */
void monitor_log_time(char* out);

/* The encoded entry into `out` (which holds `capacity` bytes); returns the
 * encoded size (more than `capacity` means it was cut). For tests. */
size_t monitor_log_encode(const char* text, size_t size, const char* stream, const char* time, char* out,
                          size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
