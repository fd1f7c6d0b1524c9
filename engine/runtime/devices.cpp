// This file implements the device nodes and links of a container's /dev: mknod
// with the spec's modes and owners, or a bind of the host node where mknod is refused.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

#include "engine/runtime/path_in_root.h"
#include "engine/runtime/rootfs.h"
#include "engine/sys/fd.h"

namespace hako::runtime {
namespace {

// The folder a device node goes in, opened once for every node it holds (most
// are straight under /dev), and whether a node made there is already owned by
// this process's uid and gid (no set-group-id folder): then no chown is needed.
struct DeviceFolder {
    std::string path;
    sys::UniqueFd fd;
    bool owner_is_creator = false;
    uid_t euid = 0;  // this process's, asked once per folder
    gid_t egid = 0;
};

Result<void> open_device_folder(int root_fd, const std::string& path, DeviceFolder& folder) {
    if (folder.fd && folder.path == path) return ok();
    folder.fd = TRY(ensure_in_root(root_fd, path, NodeKind::Directory));
    folder.path = path;
    struct stat st {};
    folder.owner_is_creator = fstat(folder.fd.get(), &st) == 0 && !(st.st_mode & S_ISGID);
    folder.euid = ::geteuid();
    folder.egid = ::getegid();
    return ok();
}

Result<void> create_device(int root_fd, const Device& device, DeviceFolder& folder) {
    std::filesystem::path path(device.path);
    if (!path.is_absolute() || !device.path.starts_with("/dev/"))
        return Error("device " + device.path + ": must live under /dev");
    TRY(open_device_folder(root_fd, path.parent_path().string(), folder));
    int parent = folder.fd.get();
    std::string name = path.filename().string();
    mode_t type = device.type == "b" ? S_IFBLK : device.type == "p" ? S_IFIFO : S_IFCHR;
    mode_t mode = type | (device.file_mode.value_or(0666) & 07777);
    int rc = mknodat(parent, name.c_str(), mode, makedev(device.major, device.minor));
    if (rc != 0 && errno == EEXIST) {
        ::unlinkat(parent, name.c_str(), 0);
        rc = mknodat(parent, name.c_str(), mode, makedev(device.major, device.minor));
    }
    if (rc != 0) {
        if (errno != EPERM) return Error::from_syscall("mknod", errno, device.path);
        // Where mknod is not allowed, bind the host's node instead (as runc does).
        auto target = TRY(ensure_in_root(root_fd, device.path, NodeKind::File));
        if (mount(device.path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) != 0)
            return Error::from_syscall("bind", errno, device.path);
        return ok();
    }
    uid_t uid = device.uid.value_or(0);
    gid_t gid = device.gid.value_or(0);
    if (folder.owner_is_creator && uid == folder.euid && gid == folder.egid) return ok();  // mknod made it so
    if (fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        return Error::from_syscall("chown", errno, device.path);
    return ok();
}

}  // namespace

Result<void> create_devices(int root_fd, const std::vector<Device>& devices) {
    std::vector<Device> all = devices;
    const Device defaults[] = {{"/dev/null", "c", 1, 3, 0666, 0, 0},   {"/dev/zero", "c", 1, 5, 0666, 0, 0},
                               {"/dev/full", "c", 1, 7, 0666, 0, 0},   {"/dev/random", "c", 1, 8, 0666, 0, 0},
                               {"/dev/urandom", "c", 1, 9, 0666, 0, 0}, {"/dev/tty", "c", 5, 0, 0666, 0, 0}};
    for (const auto& d : defaults)
        if (std::none_of(all.begin(), all.end(), [&](const Device& x) { return x.path == d.path; })) all.push_back(d);
    DeviceFolder folder;
    for (const auto& device : all) TRY(create_device(root_fd, device, folder));
    return ok();
}

Result<void> create_dev_links(int root_fd) {
    auto dev = TRY(ensure_in_root(root_fd, "/dev", NodeKind::Directory));
    const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "fd"},   {"/proc/self/fd/0", "stdin"},
                                                         {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                                         {"pts/ptmx", "ptmx"},      {"/proc/kcore", "core"}};
    for (const auto& [target, name] : links) {
        if (std::string(name) == "ptmx") ::unlinkat(dev.get(), name, 0);
        if (std::string(name) == "core" && ::access("/proc/kcore", F_OK) != 0) continue;  // as runc
        if (symlinkat(target, dev.get(), name) != 0 && errno != EEXIST)
            return Error::from_syscall("symlink", errno, std::string("/dev/") + name);
    }
    return ok();
}

}  // namespace hako::runtime
