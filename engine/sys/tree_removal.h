/* This file declares hako_remove_tree_at, hako's one recursive delete (rm -rf), in C
 * so that hako-monitor (C, musl) and the engine (C++, sys::remove_tree) share it:
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
