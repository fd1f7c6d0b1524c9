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
enum { BUFFER_SIZE = 4096 };
/* Levels down to this read their entries into a buffer on the stack (at most
 * ~140 KiB of it); deeper ones into a malloc'd buffer. A malloc'd buffer for each
 * folder cost hako-monitor (musl's malloc) an mmap, a munmap and two page faults
 * each time its disposal emptied one. */
enum { STACK_DEPTH = 32 };

static int remove_below(int parent, const char* name, int depth);

static int is_dot_or_dotdot(const char* name) {
    return name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0));
}

typedef int (*hako_visit)(int dir_fd, const char* name, unsigned char type, void* arg);

static int each_entry_into(char* buffer, int dir_fd, hako_visit visit, void* arg) {
    int result = 0;
    while (!result) {
        long n = syscall(SYS_getdents64, dir_fd, buffer, BUFFER_SIZE);
        if (n <= 0) {
            if (n < 0) result = errno;
            break;
        }
        for (long at = 0; at < n && !result;) {
            struct hako_dirent64* entry = (struct hako_dirent64*)(buffer + at);
            at += entry->d_reclen;
            if (!is_dot_or_dotdot(entry->d_name)) result = visit(dir_fd, entry->d_name, entry->d_type, arg);
        }
    }
    return result;
}

int hako_each_entry(int dir_fd, hako_visit visit, void* arg) {
    _Alignas(8) char buffer[BUFFER_SIZE];
    return each_entry_into(buffer, dir_fd, visit, arg);
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

/* hako_each_entry's visit for a removal; `depth` points at the folder's depth. */
static int remove_visit(int dir, const char* name, unsigned char type, void* depth) {
    return remove_entry(dir, name, type, *(const int*)depth);
}

static int remove_below(int parent, const char* name, int depth) {
    if (depth > MAX_DEPTH) return ELOOP;
    int dir = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return errno == ENOENT ? 0 : errno;
    int error;
    if (depth <= STACK_DEPTH) {
        error = hako_each_entry(dir, remove_visit, &depth);
    } else {
        char* buffer = malloc(BUFFER_SIZE); /* malloc aligns for the entries */
        error = buffer ? each_entry_into(buffer, dir, remove_visit, &depth) : ENOMEM;
        free(buffer);
    }
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
    int depth = 0;
    int error = hako_each_entry(dir, remove_visit, &depth);
    close(dir);
    return error;
}
