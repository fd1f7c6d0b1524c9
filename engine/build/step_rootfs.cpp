// This file implements StepRootfs (see step_rootfs.h).
#include "engine/build/step_rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

#include "engine/sys/fd.h"

namespace hako::build {

namespace fs = std::filesystem;

Result<StepRootfs> StepRootfs::mount(const image::ImageStore& store, const std::vector<image::LayerRef>& layers,
                                     bool writable) {
    StepRootfs step(TRY(store.root().make_temp("build-step-")));
    for (const char* sub : {"rootfs", "upper", "work", "empty"}) {
        fs::path p = step.dir() / sub;
        if (::mkdir(p.c_str(), 0755) != 0) return Error::from_syscall("mkdir", errno, p.string());
    }
    ::chmod(step.rootfs().c_str(), 0755);
    // Lower folders relative to ROOT (short links), highest first; the empty folder
    // at the bottom lets a read-only mount of one layer (or none) have two lowers.
    std::string rel = fs::relative(step.dir(), store.root().path()).string();
    std::string lower;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) lower += "l/" + it->link + ":";
    lower += rel + "/empty";
    std::string data = "lowerdir=" + lower;
    if (writable) data += ",upperdir=" + rel + "/upper,workdir=" + rel + "/work";
    // The working folder is the process's: builds running stages side by side take
    // turns here.
    static std::mutex chdir_mutex;
    std::lock_guard lock(chdir_mutex);
    sys::UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (::chdir(store.root().path().c_str()) != 0)
        return Error::from_syscall("chdir", errno, store.root().path().string());
    int rc = ::mount("overlay", step.rootfs().c_str(), "overlay", writable ? 0 : MS_RDONLY, data.c_str());
    int err = errno;
    if (cwd) (void)::fchdir(cwd.get());
    if (rc != 0) return Error::from_syscall("mount overlay", err, step.rootfs().string());
    step.mounted_ = true;
    return step;
}

StepRootfs::StepRootfs(StepRootfs&& other) noexcept : dir_(std::move(other.dir_)), mounted_(other.mounted_) {
    other.mounted_ = false;
}

StepRootfs::~StepRootfs() { unmount(); }

void StepRootfs::unmount() {
    if (!mounted_) return;
    ::umount2(rootfs().c_str(), MNT_DETACH);
    mounted_ = false;
}

}  // namespace hako::build
