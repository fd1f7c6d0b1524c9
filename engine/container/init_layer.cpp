// This file implements the init layer (init_layer.h).
#include "engine/container/init_layer.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/sys/remove_tree.h"

namespace hako::container {

namespace fs = std::filesystem;

Result<void> ensure_init_layer(const store::StateRoot& root) {
    fs::path layer = root.path() / kInitLayerName;
    struct stat st {};
    if (::lstat(layer.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return Error(layer.string() + ": not a folder");
        return ok();
    }
    if (errno != ENOENT) return Error::from_syscall("stat", errno, layer.string());
    std::string temp = (root.tmp_dir() / "init-layer-XXXXXX").string();
    if (!::mkdtemp(temp.data())) return Error::from_syscall("mkdtemp", errno, temp);
    auto made = [&]() -> Result<void> {
        // The layer's own root folder is never seen (overlay shows the top one that
        // has a path); etc/ is, merged over the image's /etc: docker's modes.
        if (::chmod(temp.c_str(), 0755) != 0) return Error::from_syscall("chmod", errno, temp);
        fs::path etc = fs::path(temp) / "etc";
        if (::mkdir(etc.c_str(), 0755) != 0 || ::chmod(etc.c_str(), 0755) != 0)
            return Error::from_syscall("mkdir", errno, etc.string());
        for (const char* name : {"hosts", "hostname", "resolv.conf"}) {
            fs::path file = etc / name;
            int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0) return Error::from_syscall("create", errno, file.string());
            int changed = ::fchmod(fd, 0644);
            ::close(fd);
            if (changed != 0) return Error::from_syscall("chmod", errno, file.string());
        }
        if (::rename(temp.c_str(), layer.c_str()) == 0) return ok();
        if (errno == EEXIST || errno == ENOTEMPTY) return ok();  // another process made it first
        return Error::from_syscall("rename", errno, layer.string());
    };
    auto result = made();
    if (::access(temp.c_str(), F_OK) == 0) (void)sys::remove_tree(temp);
    return result;
}

}  // namespace hako::container
