/* This file implements hako_remove_tree_at (tree_removal.h) on openat, getdents64
 * and unlinkat. */
#define _GNU_SOURCE
#include "engine/sys/tree_removal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { MAX_DEPTH = 4096 }; /* each level holds an fd: EMFILE comes first */
enum { BUFFER_SIZE = 16384 };

static int remove_below(int parent, const char* name, int depth);

static int is_dot_or_dotdot(const char* name) {
    return name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0));
}

/* Removes one entry of `dir`: a file or link by unlinkat, a folder (or an entry
 * whose type the filesystem does not report and that turns out to be one) by recursion. */
static int remove_entry(int dir, const char* name, unsigned char type, int depth) {
    if (type != DT_DIR) {
        if (unlinkat(dir, name, 0) == 0 || errno == ENOENT) return 0;
        if (errno != EISDIR && !(type == DT_UNKNOWN && errno == EPERM)) return errno;
    }
    return remove_below(dir, name, depth + 1);
}

/* Removes every entry of the open folder `dir`. */
static int remove_entries(int dir, int depth) {
    char* buffer = malloc(BUFFER_SIZE); /* malloc aligns for the entries */
    if (!buffer) return ENOMEM;
    int error = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buffer, BUFFER_SIZE);
        if (n < 0) {
            error = errno;
            break;
        }
        if (n == 0) break;
        for (long at = 0; at < n && !error;) {
            struct hako_dirent64* entry = (struct hako_dirent64*)(buffer + at);
            at += entry->d_reclen;
            if (!is_dot_or_dotdot(entry->d_name)) error = remove_entry(dir, entry->d_name, entry->d_type, depth);
        }
        if (error) break;
    }
    free(buffer);
    return error;
}

static int remove_below(int parent, const char* name, int depth) {
    if (depth > MAX_DEPTH) return ELOOP;
    int dir = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return errno == ENOENT ? 0 : errno;
    int error = remove_entries(dir, depth);
    close(dir);
    if (error) return error;
    if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return errno;
    return 0;
}

int hako_remove_tree_at(int parent_fd, const char* name) {
    if (!name || !*name || strchr(name, '/') || is_dot_or_dotdot(name)) return EINVAL;
    return remove_entry(parent_fd, name, DT_UNKNOWN, 0);
}

int hako_empty_folder(int dir_fd) {
    /* A copy: getdents64 moves the offset of the fd it reads. */
    int dir = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return errno;
    int error = remove_entries(dir, 0);
    close(dir);
    return error;
}
