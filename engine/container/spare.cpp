// This file implements the pool of spare container folders (spare.h).
#include "engine/container/spare.h"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <string>

#include "engine/container/retired_folder.h"
#include "engine/sys/fd.h"
#include "engine/sys/tree_removal.h"

namespace hako::container {
namespace {

namespace fs = std::filesystem;

// hako_each_entry's visit of the pool: takes the entry it is given by renaming it
// to the target (-1); one taken meanwhile by another create is skipped.
struct Taking {
    const char* target;
    bool taken = false;
};

int take_visit(int pool_fd, const char* name, unsigned char, void* argument) {
    auto& taking = *static_cast<Taking*>(argument);
    if (::renameat2(pool_fd, name, AT_FDCWD, taking.target, RENAME_NOREPLACE) == 0) {
        taking.taken = true;
        return -1;
    }
    return errno == ENOENT ? 0 : -1;
}

}  // namespace

bool take_spare_folder(const store::StateRoot& root, const fs::path& target) {
    sys::UniqueFd pool(::open(root.spare_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!pool) return false;
    Taking taking{target.c_str()};
    (void)hako_each_entry(pool.get(), take_visit, &taking);
    return taking.taken;
}

Result<void> dispose_retired(const store::StateRoot& root, const fs::path& retired) {
    if (retired.empty()) return ok();
    int error = hako_dispose_retired(root.path().c_str(), retired.c_str());
    if (error < 0) return Error("remove " + retired.string() + ": not a retired container folder of " + root.path().string());
    if (error > 0) return Error::from_syscall("remove", error, retired.string());
    return ok();
}

}  // namespace hako::container
