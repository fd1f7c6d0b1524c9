/* This file declares the disposal of a --rm container's retired folder
 * (ROOT/tmp/deleted-container-ID, engine/container/retire.h): emptied and kept in the
 * pool of spare folders (ROOT/spare, spare.h) when it can be reused exactly as a
 * fresh one, otherwise removed. In C so that hako-monitor (C, musl) does it in its
 * own process after the CLI returned, without exec'ing a helper (a static glibc
 * C++ start costs ~2 ms of CPU here, taken from the next command), and the engine
 * (spare.cpp) shares it. */
#ifndef HAKO_CONTAINER_RETIRED_FOLDER_H
#define HAKO_CONTAINER_RETIRED_FOLDER_H

#ifdef __cplusplus
extern "C" {
#endif

/* The name of a retired folder under ROOT/tmp: this prefix and the container's id. */
#define HAKO_RETIRED_PREFIX "deleted-container-"

/* A spare folder's emptied log, which the next container's log becomes
 * (monitor_log_open); its records wait as ".container.json.spare",
 * ".state.json.spare" and ".config.json.spare" (sys::write_file_atomic). */
#define HAKO_LOG_SPARE ".log.spare"

/* At most this many spare folders wait; a disposal beyond them deletes its folder. */
#define HAKO_MAX_SPARE_FOLDERS 64

/* Disposes of `retired`, which must be ROOT/tmp/deleted-container-… of the state
 * root `root`: recycled into ROOT/spare (rootfs/ and work/ emptied, upper/ emptied
 * and its root back to 0755 root:root without extended attributes, the regular
 * files hosts, resolv.conf and hostname kept for the next start to write over,
 * container.json, state.json and config.json kept as spares (above), the log
 * emptied and kept as HAKO_LOG_SPARE, everything else removed) when rootfs/, upper/
 * and work/ are plain folders and the pool has room, otherwise removed.
 * Returns 0, -1 (nothing done) when `retired` is no retired folder of `root`, or the
 * errno value of the removal that failed. */
int hako_dispose_retired(const char* root, const char* retired);

#ifdef __cplusplus
}
#endif

#endif
