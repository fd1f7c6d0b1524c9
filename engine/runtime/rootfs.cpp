// This file implements the container's filesystem view: the spec's mounts made
// inside the rootfs through confined paths, pivot_root, masked and read-only paths.
#include "engine/runtime/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>

#include "engine/runtime/path_in_root.h"
#include "engine/sys/fd.h"

namespace hako::runtime {
namespace {

namespace fs = std::filesystem;

Result<void> do_mount(const std::string& source, const std::string& target, const char* type, unsigned long flags,
                      const std::string& data, const std::string& what) {
    if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(), type, flags,
                data.empty() ? nullptr : data.c_str()) != 0)
        return Error::from_syscall("mount", errno, what);
    return ok();
}

// The flags a read-only bind remount must keep: the kernel refuses to clear
// nosuid/nodev/noexec that the mount below carries.
unsigned long locked_flags(const std::string& path) {
    struct statvfs st {};
    if (statvfs(path.c_str(), &st) != 0) return 0;
    unsigned long flags = 0;
    if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    return flags;
}

// The mount_setattr(2) attributes for MS_* flags.
uint64_t mount_attributes(unsigned long flags) {
    uint64_t attr = 0;
    if (flags & MS_RDONLY) attr |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID) attr |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV) attr |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC) attr |= MOUNT_ATTR_NOEXEC;
    if (flags & MS_NODIRATIME) attr |= MOUNT_ATTR_NODIRATIME;
    if (flags & MS_NOATIME) attr |= MOUNT_ATTR_NOATIME;
    else if (flags & MS_STRICTATIME) attr |= MOUNT_ATTR_STRICTATIME;
    else if (flags & MS_RELATIME) attr |= MOUNT_ATTR_RELATIME;
    return attr;
}

// A bind mount made with the new mount API: the source is cloned as a detached
// tree, given its flags and propagation while nobody can see it, and attached
// onto the already resolved target fd. No path is looked up again after the
// target was resolved inside the root, so a symlink swapped in meanwhile (the
// CVE-2021-30465 race) cannot move the mount. Returns ENOSYS on old kernels.
Result<void> bind_detached(const Mount& m, const MountOptions& options, int target_fd) {
    unsigned int clone_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (options.recursive ? AT_RECURSIVE : 0);
    int tree = static_cast<int>(::open_tree(AT_FDCWD, m.source.c_str(), clone_flags));
    if (tree < 0) return Error::from_syscall("open_tree", errno, m.source);
    sys::UniqueFd tree_owner(tree);
    mount_attr attr{};
    attr.attr_set = mount_attributes(options.flags);
    if (attr.attr_set & MOUNT_ATTR__ATIME) attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.propagation = options.propagation & ~static_cast<unsigned long>(MS_REC);
    bool recursive_attr = options.recursive || (options.propagation & MS_REC);
    if ((attr.attr_set || attr.propagation) &&
        ::mount_setattr(tree, "", AT_EMPTY_PATH | (recursive_attr ? AT_RECURSIVE : 0), &attr, sizeof attr) != 0)
        return Error::from_syscall("mount_setattr", errno, m.destination);
    if (::move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        return Error::from_syscall("move_mount", errno, m.destination);
    return ok();
}

Result<void> mount_one(int root_fd, const Mount& m) {
    MountOptions options = parse_mount_options(m.options);
    bool bind = options.bind || m.type == "bind";
    NodeKind kind = NodeKind::Directory;
    if (bind) {
        struct stat st {};
        if (::stat(m.source.c_str(), &st) != 0) return Error::from_syscall("stat", errno, m.source);
        if (!S_ISDIR(st.st_mode)) kind = NodeKind::File;
    }
    if (m.type == "cgroup" || m.type == "cgroup2")
        return Error("mount " + m.destination + ": cgroup mounts are not supported by hako's runtime yet");
    // Resolved once, confined to the root: a symlink planted in the image or in a
    // volume mounted earlier resolves inside the container, never onto the host.
    auto target = TRY(ensure_in_root(root_fd, m.destination, kind));
    std::string target_path = fd_path(target.get());
    if (bind) {
        auto detached = bind_detached(m, options, target.get());
        if (detached.ok()) return ok();
        if (detached.error().errno_value != ENOSYS) return detached;
        TRY(do_mount(m.source, target_path, nullptr, MS_BIND | (options.recursive ? MS_REC : 0), "",
                     m.destination));
        // Flags other than bind need a remount of the new mount, found again by path.
        unsigned long extra = options.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                               MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME);
        if (extra) {
            auto mounted = TRY(open_in_root(root_fd, m.destination, O_PATH));
            std::string mounted_path = fd_path(mounted.get());
            TRY(do_mount("", mounted_path, nullptr, MS_BIND | MS_REMOUNT | extra | locked_flags(mounted_path), "",
                         m.destination));
        }
    } else {
        TRY(do_mount(m.source, target_path, m.type.c_str(), options.flags, options.data, m.destination));
    }
    if (options.propagation) {
        auto mounted = TRY(open_in_root(root_fd, m.destination, O_PATH));
        TRY(do_mount("", fd_path(mounted.get()), nullptr, options.propagation, "", m.destination));
    }
    return ok();
}

unsigned long propagation_of(const std::string& name) {
    static const std::map<std::string, unsigned long> names = {
        {"private", MS_PRIVATE},     {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
        {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},        {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};
    auto it = names.find(name);
    return it == names.end() ? 0 : it->second;
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    struct Flag {
        bool clear;
        unsigned long flag;
    };
    static const std::map<std::string, Flag> flags = {
        {"ro", {false, MS_RDONLY}},         {"rw", {true, MS_RDONLY}},          {"nosuid", {false, MS_NOSUID}},
        {"suid", {true, MS_NOSUID}},        {"nodev", {false, MS_NODEV}},       {"dev", {true, MS_NODEV}},
        {"noexec", {false, MS_NOEXEC}},     {"exec", {true, MS_NOEXEC}},        {"sync", {false, MS_SYNCHRONOUS}},
        {"async", {true, MS_SYNCHRONOUS}},  {"dirsync", {false, MS_DIRSYNC}},   {"remount", {false, MS_REMOUNT}},
        {"mand", {false, MS_MANDLOCK}},     {"nomand", {true, MS_MANDLOCK}},    {"atime", {true, MS_NOATIME}},
        {"noatime", {false, MS_NOATIME}},   {"diratime", {true, MS_NODIRATIME}}, {"nodiratime", {false, MS_NODIRATIME}},
        {"relatime", {false, MS_RELATIME}}, {"norelatime", {true, MS_RELATIME}}, {"strictatime", {false, MS_STRICTATIME}},
        {"nostrictatime", {true, MS_STRICTATIME}}};
    MountOptions out;
    for (const auto& option : options) {
        if (option == "bind" || option == "rbind") {
            out.bind = true;
            out.recursive = out.recursive || option == "rbind";
        } else if (auto p = propagation_of(option)) {
            out.propagation = p;
        } else if (auto it = flags.find(option); it != flags.end()) {
            if (it->second.clear) out.flags &= ~it->second.flag;
            else out.flags |= it->second.flag;
        } else {
            out.data += (out.data.empty() ? "" : ",") + option;
        }
    }
    if (out.bind) out.flags |= MS_BIND;
    return out;
}

Result<void> prepare_rootfs(const Spec& spec, const fs::path& rootfs, int console_fd) {
    unsigned long root_propagation = MS_PRIVATE | MS_REC;
    // A mount that asks for shared or slave propagation only receives the host's
    // mount events if the container's copy of the host mounts stays a slave (as
    // docker sets rootfsPropagation); events never flow back to the host.
    for (const auto& m : spec.mounts)
        if (parse_mount_options(m.options).propagation & (MS_SHARED | MS_SLAVE)) root_propagation = MS_SLAVE | MS_REC;
    if (!spec.linux_spec.rootfs_propagation.empty()) {
        root_propagation = propagation_of(spec.linux_spec.rootfs_propagation);
        if (!root_propagation) return Error("unknown rootfsPropagation " + spec.linux_spec.rootfs_propagation);
    }
    TRY(do_mount("", "/", nullptr, root_propagation, "", "/ (propagation)"));
    // pivot_root needs the new root to be a mount point.
    TRY(do_mount(rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, "", rootfs.string()));
    int fd = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error::from_syscall("open", errno, rootfs.string());
    sys::UniqueFd root_fd(fd);

    for (const auto& m : spec.mounts) TRY(mount_one(root_fd.get(), m));
    TRY(create_devices(root_fd.get(), spec.linux_spec.devices));
    TRY(create_dev_links(root_fd.get()));
    if (console_fd >= 0) {
        auto console = TRY(ensure_in_root(root_fd.get(), "/dev/console", NodeKind::File));
        TRY(do_mount(fd_path(console_fd), fd_path(console.get()), nullptr, MS_BIND, "", "/dev/console"));
    }
    TRY(ensure_in_root(root_fd.get(), spec.process.cwd, NodeKind::Directory));
    return ok();
}

Result<void> pivot_to(const fs::path& rootfs) {
    int old_root = ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (old_root < 0) return Error::from_syscall("open", errno, "/");
    sys::UniqueFd old_owner(old_root);
    int new_root = ::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (new_root < 0) return Error::from_syscall("open", errno, rootfs.string());
    sys::UniqueFd new_owner(new_root);
    if (fchdir(new_root) != 0) return Error::from_syscall("chdir", errno, rootfs.string());
    // pivot_root(".", ".") stacks the old root under the new one; detach it.
    if (syscall(SYS_pivot_root, ".", ".") != 0) return Error::from_syscall("pivot_root", errno, rootfs.string());
    if (fchdir(old_root) != 0) return Error::from_syscall("fchdir", errno, "old root");
    TRY(do_mount("", ".", nullptr, MS_SLAVE | MS_REC, "", "old root"));
    if (umount2(".", MNT_DETACH) != 0) return Error::from_syscall("umount2", errno, "old root");
    if (chdir("/") != 0) return Error::from_syscall("chdir", errno, "/");
    return ok();
}

Result<void> finalize_rootfs(const Spec& spec) {
    for (const auto& [key, value] : spec.linux_spec.sysctl) {
        std::string path = "/proc/sys/" + key;
        for (auto& c : path)
            if (c == '.') c = '/';
        int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) return Error::from_syscall("open", errno, "sysctl " + key);
        ssize_t n = ::write(fd, value.data(), value.size());
        int saved = errno;
        ::close(fd);
        if (n < 0) return Error::from_syscall("write", saved, "sysctl " + key);
    }
    for (const auto& path : spec.linux_spec.masked_paths) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno == ENOENT) continue;
            return Error::from_syscall("stat", errno, path);
        }
        if (S_ISDIR(st.st_mode)) TRY(do_mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k", path));
        else TRY(do_mount("/dev/null", path, nullptr, MS_BIND, "", path));
    }
    for (const auto& path : spec.linux_spec.readonly_paths) {
        if (::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
            if (errno == ENOENT) continue;
            return Error::from_syscall("mount", errno, path);
        }
        TRY(do_mount("", path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path), "", path));
    }
    if (spec.root.readonly)
        TRY(do_mount("", "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), "", "/ (read-only)"));
    return ok();
}

}  // namespace hako::runtime
