// This file implements container cp (copy.h): opening a container's root, docker
// cp's rules for what a source and a destination mean, and the copy itself through
// the entry streams of copy_tar.h.
#include "engine/container/copy.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/container/copy_tar.h"
#include "engine/container/init_layer.h"
#include "engine/container/lifecycle.h"
#include "engine/image/image_store.h"
#include "engine/sys/safe_path.h"

namespace hako::container {

namespace {

using sys::UniqueFd;

// A path as docker cp reads it: its folder, its last name, and the two suffixes
// that change the meaning ("DIR/" must be a folder, "DIR/." means its contents).
struct CopyPath {
    std::string dir;   // "" for a bare name
    std::string base;  // "" for the root
    bool trailing_slash = false;
    bool contents = false;
};

CopyPath split_copy_path(std::string path) {
    CopyPath p;
    p.contents = path == "." || (path.size() >= 2 && path.compare(path.size() - 2, 2, "/.") == 0);
    if (p.contents) path.resize(path.size() - 1);
    p.trailing_slash = !path.empty() && path.back() == '/';
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path == "/") return p;
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        p.base = path;
    } else {
        p.dir = slash == 0 ? "/" : path.substr(0, slash);
        p.base = path.substr(slash + 1);
    }
    return p;
}

std::string container_dir(const CopyPath& p) { return p.dir.empty() ? "/" : p.dir; }
std::string host_dir(const CopyPath& p) { return p.dir.empty() ? "." : p.dir; }

Error not_found(const std::string& path, const ContainerRecord& record) {
    return Error("Could not find the file " + path + " in container " + record.name);
}

bool is_dir(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

Result<UniqueFd> open_host(const std::string& path, int flags) {
    UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
    if (!fd) return Error::from_syscall("open", errno, path);
    return fd;
}

// Opens a folder of the container (for a destination); a missing one is docker's
// "Could not find the file" error.
Result<UniqueFd> open_container_dir(int root, const std::string& path, const ContainerRecord& record) {
    auto fd = sys::open_confined(root, path, O_PATH | O_DIRECTORY, 0, sys::Resolve::InRoot);
    if (!fd.ok() && fd.error().errno_value == ENOENT) return not_found(path, record);
    if (!fd.ok() && fd.error().errno_value == ENOTDIR) return Error(path + " in container " + record.name + " is not a directory");
    return fd;
}

}  // namespace

ContainerRoot::ContainerRoot(ContainerRoot&& other) noexcept
    : fd_(std::move(other.fd_)), mount_point_(std::move(other.mount_point_)) {
    other.mount_point_.clear();
}

ContainerRoot::~ContainerRoot() {
    fd_.reset();
    if (mount_point_.empty()) return;
    // Detached, so the folder is empty before rmdir, never a path into the container.
    if (::umount2(mount_point_.c_str(), MNT_DETACH) == 0) ::rmdir(mount_point_.c_str());
}

Result<ContainerRoot> ContainerRoot::open(const ContainerStore& store, const ContainerRecord& record) {
    ContainerRoot root;
    ContainerState state = store.observed_state(record.id);
    if (is_running(state) && state.pid > 0) {
        std::string proc_root = "/proc/" + std::to_string(state.pid) + "/root";
        root.fd_.reset(::open(proc_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (root.fd_) return root;
        // The container just stopped: fall through to its layers.
    }
    auto images = TRY(image::ImageStore::open(store.root().path()));
    auto image = TRY(images.record(record.image_id));
    std::string lower;
    for (const auto& layer : image.layers) lower = "l/" + layer.link + (lower.empty() ? "" : ":") + lower;
    if (lower.empty()) return Error("image " + record.image_id + " of container " + record.name + " has no layers");
    TRY(ensure_init_layer(store.root()));
    lower = std::string(kInitLayerName) + ":" + lower;  // as the monitor mounts it
    std::string rel = "containers/" + record.id;
    std::string data = "lowerdir=" + lower + ",upperdir=" + rel + "/upper,workdir=" + rel + "/work";

    // A private mount namespace (when this process may make one: it has no threads)
    // makes the mount vanish with the process, even a killed one.
    if (::unshare(CLONE_NEWNS) == 0) (void)::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr);
    std::string mount_point = (store.root().tmp_dir() / "cp-XXXXXX").string();
    if (!::mkdtemp(mount_point.data())) return Error::from_syscall("mkdtemp", errno, mount_point);
    // The layers are named relative to ROOT (a deep stack's options fit one page).
    UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (::chdir(store.root().path().c_str()) != 0) {
        int err = errno;
        ::rmdir(mount_point.c_str());
        return Error::from_syscall("chdir", err, store.root().path().string());
    }
    int rc = ::mount("overlay", mount_point.c_str(), "overlay", 0, data.c_str());
    int err = errno;
    if (cwd) (void)::fchdir(cwd.get());
    if (rc != 0) {
        ::rmdir(mount_point.c_str());
        return Error::from_syscall("mount overlay", err, mount_point);
    }
    root.mount_point_ = mount_point;
    root.fd_.reset(::open(mount_point.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root.fd_) return Error::from_syscall("open", errno, mount_point);
    return root;
}

Result<void> copy_from_container(const ContainerStore& store, const ContainerRecord& record, const std::string& src,
                                 const std::string& dest, int out_fd, const CopyOptions& options) {
    ContainerRoot root = TRY(ContainerRoot::open(store, record));
    CopyPath from = split_copy_path(src);
    auto node = sys::open_confined(root.fd(), src.empty() ? "/" : src, O_PATH | (options.follow_link ? 0 : O_NOFOLLOW), 0,
                                   sys::Resolve::InRoot);
    if (!node.ok()) {
        if (node.error().errno_value == ENOENT) return not_found(src, record);
        if (node.error().errno_value == ENOTDIR) return Error(src + " in container " + record.name + " is not a directory");
        return std::move(node).error();
    }
    bool source_is_dir = is_dir(node->get());
    if ((from.trailing_slash || from.contents) && !source_is_dir)
        return Error(src + " in container " + record.name + " is not a directory");
    std::string top = from.contents ? "" : from.base;

    if (dest == "-") {
        auto sink = TRY(make_tar_sink(out_fd));
        return walk_tree(node->get(), top, *sink);
    }
    CopyPath to = split_copy_path(dest);
    struct stat st {};
    UniqueFd dir;
    int rc = ::stat(dest.c_str(), &st);
    int err = rc == 0 ? 0 : errno;
    if (rc == 0 && S_ISDIR(st.st_mode)) {
        dir = TRY(open_host(dest, O_PATH | O_DIRECTORY));
    } else if (rc == 0 || err == ENOENT) {
        bool exists = rc == 0;
        if (exists && source_is_dir) return Error("cannot overwrite non-directory " + dest + " with directory " + src);
        if (!exists && to.trailing_slash && !source_is_dir) return Error("destination directory " + dest + " does not exist");
        if (to.base.empty()) return Error("invalid destination " + dest);
        dir = TRY(open_host(host_dir(to), O_PATH | O_DIRECTORY));
        top = to.base;
    } else {
        return Error::from_syscall("stat", err, dest);
    }
    DiskSinkOptions sink_options;
    sink_options.keep_owner = options.archive;
    auto sink = TRY(make_disk_sink(dir.get(), sink_options));
    return walk_tree(node->get(), top, *sink);
}

Result<void> copy_to_container(const ContainerStore& store, const ContainerRecord& record, const std::string& src,
                               int in_fd, const std::string& dest, const CopyOptions& options) {
    ContainerRoot root = TRY(ContainerRoot::open(store, record));
    CopyPath to = split_copy_path(dest);
    DiskSinkOptions sink_options;
    sink_options.keep_owner = options.archive;
    if (src == "-") {
        auto dir = sys::open_confined(root.fd(), dest.empty() ? "/" : dest, O_PATH | O_DIRECTORY, 0, sys::Resolve::InRoot);
        if (!dir.ok()) {
            if (dir.error().errno_value == ENOENT) return not_found(dest, record);
            if (dir.error().errno_value == ENOTDIR) return Error("destination \"" + dest + "\" must be a directory");
            return std::move(dir).error();
        }
        // A tar on stdin keeps its owners, as docker cp does.
        sink_options.keep_owner = true;
        auto sink = TRY(make_disk_sink(dir->get(), sink_options));
        return read_tar(in_fd, *sink);
    }

    CopyPath from = split_copy_path(src);
    UniqueFd node(::open(src.c_str(), O_PATH | O_CLOEXEC | (options.follow_link ? 0 : O_NOFOLLOW)));
    if (!node) return Error::from_syscall("lstat", errno, src);
    bool source_is_dir = is_dir(node.get());
    if ((from.trailing_slash || from.contents) && !source_is_dir) return Error(src + " is not a directory");
    std::string top = from.contents ? "" : from.base;

    UniqueFd dir;
    auto existing = sys::open_confined(root.fd(), dest.empty() ? "/" : dest, O_PATH, 0, sys::Resolve::InRoot);
    if (existing.ok() && is_dir(existing->get())) {
        dir = std::move(existing.value());
    } else if (existing.ok() || existing.error().errno_value == ENOENT) {
        if (existing.ok() && source_is_dir)
            return Error("cannot overwrite non-directory " + dest + " with directory " + src);
        if (!existing.ok() && to.trailing_slash && !source_is_dir)
            return Error("destination directory " + dest + " does not exist in container " + record.name);
        if (to.base.empty()) return Error("invalid destination " + dest);
        dir = TRY(open_container_dir(root.fd(), container_dir(to), record));
        top = to.base;
    } else {
        return std::move(existing).error();
    }
    auto sink = TRY(make_disk_sink(dir.get(), sink_options));
    return walk_tree(node.get(), top, *sink);
}

}  // namespace hako::container
