/* This file declares hako_remove_tree_at, hako's one recursive delete (rm -rf), and
 * hako_each_entry, its walk of a folder's entries, in C so that hako-monitor (C,
 * musl) and the engine (C++: sys::remove_tree, the spare folders) share them:
 * each folder is opened once, read with getdents64 and its entries unlinked by name
 * relative to it, so a container's folder goes in some thirty system calls instead
 * of std::filesystem::remove_all's sixty. */
#ifndef HAKO_SYS_TREE_REMOVAL_H
#define HAKO_SYS_TREE_REMOVAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One entry of getdents64(2)'s buffer (neither libc names this struct). */
struct hako_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Calls `visit(dir_fd, name, type, arg)` for each entry of the open folder `dir_fd`
 * but . and .. (type: d_type, DT_UNKNOWN where the filesystem does not say), reading
 * from the fd's offset with getdents64; `visit` may remove or rename the entry it
 * is given. Returns 0 after the last entry, the first nonzero value `visit`
 * returned (stopping there), or the errno value of a failed read. */
int hako_each_entry(int dir_fd, int (*visit)(int dir_fd, const char* name, unsigned char type, void* arg),
                    void* arg);

/* Removes the entry `name` of the folder `parent_fd` and, when it is a folder,
 * everything below it, never following a symlink (a link is removed, not what it
 * points to). A missing entry is no error. Mounts below are not crossed specially:
 * unmount them first. Returns 0, or the errno value of the first step that failed. */
int hako_remove_tree_at(int parent_fd, const char* name);

/* Empties the folder `dir_fd` (its entries go, the folder stays). 0 or an errno value. */
int hako_empty_folder(int dir_fd);

#ifdef __cplusplus
}
#endif

#endif
