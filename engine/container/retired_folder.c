/* This file implements hako_dispose_retired (retired_folder.h). */
#define _GNU_SOURCE
#include "engine/container/retired_folder.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/sys/tree_removal.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* statx(2)'s result as far as read here (linux/stat.h's struct statx, 256 bytes;
 * musl's headers have neither it nor a wrapper). */
struct statx_head {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t spare0;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    unsigned char rest[256 - 64];
};
enum { STATX_TYPE_MASK = 0x1, STATX_MOUNT_ROOT_ATTR = 0x2000 };

/* The folders of a container's folder that a spare keeps (emptied). */
static const char* const kept_folders[] = {"rootfs", "upper", "work"};

static int is_kept_folder(const char* name) {
    for (size_t i = 0; i < sizeof kept_folders / sizeof kept_folders[0]; ++i)
        if (!strcmp(name, kept_folders[i])) return 1;
    return 0;
}

/* The files that net::prepare writes over in place at every start, before anything
 * reads them: kept as they are. Emptying them freed their block (a synchronous
 * discard on this ext4), and the next start's write allocated one again, and
 * ext4 flushes a file that was truncated to 0 and written again when it is closed
 * (auto_da_alloc): ~1 ms in the set-up of the next container. */
static int is_name_file(const char* name) {
    return !strcmp(name, "hosts") || !strcmp(name, "resolv.conf") || !strcmp(name, "hostname");
}

/* The records of a container's folder (container_store.h, monitor.cpp): each is kept
 * as ".NAME.spare", which the next container's first write of that record writes
 * over (sys::write_file_atomic) instead of making a file; its log, emptied, as
 * ".log.spare" (monitor_log_open). Inodes made and deleted are what a container
 * start pays most for on this ext4 (spare.h). */
static const char* const record_files[] = {"container.json", "state.json", "config.json"};
static const char* const spare_files[] = {".container.json.spare", ".state.json.spare", ".config.json.spare",
                                          HAKO_LOG_SPARE};
static const char log_suffix[] = "-json.log";

static int is_spare_file(const char* name) {
    for (size_t i = 0; i < sizeof spare_files / sizeof spare_files[0]; ++i)
        if (!strcmp(name, spare_files[i])) return 1;
    return 0;
}

/* The spare name of a record or of the log (the first of its files), or NULL. */
static const char* spare_name_of(const char* name) {
    for (size_t i = 0; i < sizeof record_files / sizeof record_files[0]; ++i)
        if (!strcmp(name, record_files[i])) return spare_files[i];
    size_t length = strlen(name);
    if (length > sizeof log_suffix - 1 && !strcmp(name + length - (sizeof log_suffix - 1), log_suffix))
        return HAKO_LOG_SPARE;
    return NULL;
}

/* Keeps the regular file `name` as `spare`, emptied first when it is the log; 1 when done. */
static int keep_as_spare(int dir_fd, const char* name, const char* spare) {
    int is_log = !strcmp(spare, HAKO_LOG_SPARE);
    int fd = openat(dir_fd, name, (is_log ? O_WRONLY : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    int done = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (!is_log || st.st_size == 0 || ftruncate(fd, 0) == 0);
    close(fd);
    return done && syscall(SYS_renameat2, dir_fd, name, dir_fd, spare, RENAME_NOREPLACE) == 0;
}

static int count_visit(int dir_fd, const char* name, unsigned char type, void* count) {
    (void)dir_fd, (void)name, (void)type;
    ++*(int*)count;
    return 0;
}

/* The number of entries of the folder `path` (0 when missing); INT_MAX when unknown. */
static int count_entries(const char* path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : INT_MAX;
    int count = 0;
    int error = hako_each_entry(fd, count_visit, &count);
    close(fd);
    return error ? INT_MAX : count;
}

/* A folder of the container's folder that is a real folder here, not a mount. */
static int plain_folder(int dir_fd, const char* name) {
    struct statx_head st;
    memset(&st, 0, sizeof st);
    if (syscall(SYS_statx, dir_fd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE_MASK, &st) != 0) return 0;
    if (!S_ISDIR(st.stx_mode)) return 0;
    return !(st.stx_attributes_mask & STATX_MOUNT_ROOT_ATTR) || !(st.stx_attributes & STATX_MOUNT_ROOT_ATTR);
}

/* upper/ is the container's "/": whatever the last container did to it (chmod,
 * chown, setfattr on /; overlay's own trusted.overlay.* marks) goes, so the next
 * container sees the root a fresh mkdir would give it. */
static int reset_upper_root(int upper_fd) {
    struct stat st;
    if (fstat(upper_fd, &st) != 0) return 0;
    if ((st.st_uid != 0 || st.st_gid != 0) && fchown(upper_fd, 0, 0) != 0) return 0;
    if ((st.st_mode & 07777) != 0755 && fchmod(upper_fd, 0755) != 0) return 0;
    char names[4096];
    ssize_t size = flistxattr(upper_fd, names, sizeof names);
    if (size < 0) return errno == ENOTSUP;
    for (ssize_t at = 0; at < size;) {
        const char* name = names + at;
        if (fremovexattr(upper_fd, name) != 0 && errno != ENODATA) return 0;
        at += (ssize_t)strlen(name) + 1;
    }
    return 1;
}

/* Brings one entry of the retired folder to what a fresh folder has; 1 when done. */
static int reset_entry(int dir_fd, const char* name) {
    if (is_kept_folder(name)) {
        int sub = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) return 0;
        int done = hako_empty_folder(sub) == 0 && (strcmp(name, "upper") || reset_upper_root(sub));
        close(sub);
        return done;
    }
    if (is_name_file(name) || is_spare_file(name)) {
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) return 1;
    }
    const char* spare = spare_name_of(name);
    if (spare && keep_as_spare(dir_fd, name, spare)) return 1;
    return hako_remove_tree_at(dir_fd, name) == 0;
}

static int reset_visit(int dir_fd, const char* name, unsigned char type, void* arg) {
    (void)type, (void)arg;
    return reset_entry(dir_fd, name) ? 0 : -1;
}

/* Empties `retired` to what ContainerStore::create makes and moves it into `pool`
 * under its own name; 1 when it is there. */
static int recycle(const char* pool, const char* retired, const char* name) {
    if (count_entries(pool) >= HAKO_MAX_SPARE_FOLDERS) return 0;
    int dir = open(retired, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return 0;
    int done = 1;
    for (size_t i = 0; done && i < sizeof kept_folders / sizeof kept_folders[0]; ++i)
        done = plain_folder(dir, kept_folders[i]);
    if (done) done = hako_each_entry(dir, reset_visit, NULL) == 0;
    close(dir);
    if (!done) return 0;
    if (mkdir(pool, 0700) != 0 && errno != EEXIST) return 0;
    char spare[PATH_MAX];
    if (snprintf(spare, sizeof spare, "%s/%s", pool, name) >= (int)sizeof spare) return 0;
    return syscall(SYS_renameat2, AT_FDCWD, retired, AT_FDCWD, spare, RENAME_NOREPLACE) == 0;
}

int hako_dispose_retired(const char* root, const char* retired) {
    /* Only what retire_files makes: ROOT/tmp/deleted-container-… (ROOT's "tmp" and
     * "spare" folders: engine/store/state_root.h). */
    if (!root[0]) return -1;
    size_t root_length = strlen(root);
    while (root_length > 0 && root[root_length - 1] == '/') --root_length;  /* "/" is "" here */
    static const char tmp_prefix[] = "/tmp/" HAKO_RETIRED_PREFIX;
    if (strncmp(retired, root, root_length) != 0 ||
        strncmp(retired + root_length, tmp_prefix, sizeof tmp_prefix - 1) != 0)
        return -1;
    const char* name = retired + root_length + 5; /* after "/tmp/" */
    if (strchr(name, '/') || !name[sizeof HAKO_RETIRED_PREFIX - 1]) return -1;
    char pool[PATH_MAX];
    if (snprintf(pool, sizeof pool, "%.*s/spare", (int)root_length, root) >= (int)sizeof pool) return ENAMETOOLONG;
    if (recycle(pool, retired, name)) return 0;
    char parent[PATH_MAX];
    if (snprintf(parent, sizeof parent, "%.*s/tmp", (int)root_length, root) >= (int)sizeof parent) return ENAMETOOLONG;
    int parent_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent_fd < 0) return errno == ENOENT ? 0 : errno;
    int error = hako_remove_tree_at(parent_fd, name);
    close(parent_fd);
    return error;
}
