// This file implements parse_run_mount, SecretFiles and the mount point clean-up
// (see run_mount.h).
#include "engine/build/run_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <map>
#include <set>

#include "engine/build/build_flags.h"
#include "engine/sys/fd.h"

namespace hako::build {

namespace fs = std::filesystem;

namespace {

Result<bool> parse_bool(const std::string& key, const std::string& value) {
    if (value.empty() || value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    return Error(key + "=" + value + ": expected true or false");
}

template <typename T>
Result<T> parse_number(const std::string& key, const std::string& value, int base) {
    unsigned long long n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n, base);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n > 0xffffffffULL)
        return Error(key + "=" + value + ": expected " + (base == 8 ? "an octal mode" : "a number"));
    return static_cast<T>(n);
}

std::string absolute_target(const std::string& target) {
    if (target.empty() || target[0] == '/') return target;
    return "/" + target;
}

}  // namespace

Result<RunMount> parse_run_mount(std::string_view spec, int ssh_index) {
    // Keys each type takes (BuildKit's set); the first group is common.
    static const std::map<std::string, std::set<std::string>> keys = {
        {"bind", {"source", "from", "rw", "readonly"}},
        {"cache", {"id", "sharing", "from", "source", "mode", "uid", "gid", "readonly"}},
        {"tmpfs", {"size"}},
        {"secret", {"id", "required", "mode", "uid", "gid", "env"}},
        {"ssh", {"id", "required", "mode", "uid", "gid"}},
    };
    auto fail = [&](const std::string& why) { return Error("RUN --mount=" + std::string(spec) + ": " + why); };
    std::vector<std::pair<std::string, std::string>> fields;
    RunMount m;
    for (const auto& field : split_fields(spec)) {
        size_t eq = field.find('=');
        std::string key = field.substr(0, eq), value = eq == std::string::npos ? "" : field.substr(eq + 1);
        if (key == "src") key = "source";
        if (key == "dst" || key == "destination") key = "target";
        if (key == "ro") key = "readonly";
        if (key == "readwrite") key = "rw";
        if (key == "type") {
            if (!keys.count(value)) return fail("unknown mount type \"" + value + "\" (bind, cache, tmpfs, secret or ssh)");
            m.type = value;
        } else {
            fields.emplace_back(key, value);
        }
    }
    const auto& allowed = keys.at(m.type);
    m.read_only = m.type == "bind";
    for (const auto& field : fields) {
        // Named references, not a structured binding: clang 14 rejects capturing one in the lambda below.
        const std::string& key = field.first;
        const std::string& value = field.second;
        if (key != "target" && !allowed.count(key)) return fail("unexpected key \"" + key + "\" for type=" + m.type);
        Result<void> done = ok();
        auto flag = [&](bool& out) {
            auto b = parse_bool(key, value);
            if (!b.ok()) done = b.error();
            else out = *b;
        };
        if (key == "target") m.target = value;
        else if (key == "id") m.id = value;
        else if (key == "source") m.source = value;
        else if (key == "from") m.from = value;
        else if (key == "env") m.env = value;
        else if (key == "size") m.size = value;
        else if (key == "sharing") {
            if (value != "shared" && value != "private" && value != "locked") done = Error("sharing=" + value + ": expected shared, private or locked");
        } else if (key == "required") flag(m.required);
        else if (key == "readonly") flag(m.read_only);
        else if (key == "rw") {
            bool rw = false;
            flag(rw);
            m.read_only = !rw;
        } else if (key == "mode") {
            auto n = parse_number<mode_t>(key, value, 8);
            if (n.ok()) m.mode = *n; else done = n.error();
        } else if (key == "uid" || key == "gid") {
            auto n = parse_number<uint32_t>(key, value, 10);
            if (!n.ok()) done = n.error();
            else if (key == "uid") m.uid = *n;
            else m.gid = *n;
        }
        if (!done.ok()) return fail(done.error().message);
    }
    m.target = absolute_target(m.target);
    if (m.type == "secret") {
        if (m.id.empty() && !m.target.empty()) m.id = fs::path(m.target).filename().string();
        if (m.id.empty()) return fail("a secret needs id=ID (or target=PATH)");
        if (m.target.empty() && m.env.empty()) m.target = "/run/secrets/" + m.id;
    } else if (m.type == "ssh") {
        if (m.id.empty()) m.id = "default";
        if (m.target.empty()) m.target = "/run/buildkit/ssh_agent." + std::to_string(ssh_index);
    } else if (m.target.empty()) {
        return fail("needs target=PATH");
    }
    if (m.target == "/") return fail("the target cannot be /");
    return m;
}

Result<SecretFiles> SecretFiles::create(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Error::from_syscall("mkdir", errno, dir.string());
    if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=16m") != 0)
        return Error::from_syscall("mount tmpfs", errno, dir.string());
    return SecretFiles(dir);
}

SecretFiles::SecretFiles(SecretFiles&& other) noexcept : dir_(std::move(other.dir_)), count_(other.count_) {
    other.dir_.clear();
}

SecretFiles::~SecretFiles() {
    if (!dir_.empty()) ::umount2(dir_.c_str(), MNT_DETACH);
}

Result<fs::path> SecretFiles::add(const std::string& content, const RunMount& mount) {
    fs::path file = dir_ / std::to_string(count_++);
    mode_t mode = mount.mode.value_or(mount.type == "ssh" ? 0600 : 0400) & 07777;
    sys::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error::from_syscall("open", errno, file.string());
    size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_syscall("write", errno, file.string());
        written += size_t(n);
    }
    if (::fchown(fd.get(), mount.uid.value_or(0), mount.gid.value_or(0)) != 0)
        return Error::from_syscall("fchown", errno, file.string());
    if (::fchmod(fd.get(), mode) != 0) return Error::from_syscall("fchmod", errno, file.string());
    return file;
}

Result<ScratchView> ScratchView::create(const fs::path& source, const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0) return Error::from_syscall("mkdir", errno, dir.string());
    std::error_code ec;
    if (!fs::is_directory(source, ec)) {
        fs::path copy = dir / source.filename();
        fs::copy_file(source, copy, ec);
        if (ec) return Error::from_syscall("copy", ec.value(), source.string());
        return ScratchView(copy, false);
    }
    if (source.string().find_first_of(":,\\") != std::string::npos)
        return Error("a writable bind of " + source.string() + " (a path with ':', ',' or '\\') is not supported");
    for (const char* sub : {"upper", "work", "merged"}) {
        fs::path p = dir / sub;
        if (::mkdir(p.c_str(), 0755) != 0) return Error::from_syscall("mkdir", errno, p.string());
    }
    std::string data = "lowerdir=" + source.string() + ",upperdir=" + (dir / "upper").string() +
                       ",workdir=" + (dir / "work").string();
    fs::path merged = dir / "merged";
    if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) != 0)
        return Error::from_syscall("mount overlay", errno, merged.string());
    return ScratchView(merged, true);
}

ScratchView::ScratchView(ScratchView&& other) noexcept : path_(std::move(other.path_)), mounted_(other.mounted_) {
    other.mounted_ = false;
}

ScratchView::~ScratchView() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

std::optional<fs::path> missing_mount_point(const fs::path& rootfs, const std::string& target) {
    fs::path relative;
    for (const auto& part : fs::path(target).relative_path()) {
        if (part == "." || part.empty()) continue;
        if (part == "..") return std::nullopt;
        relative /= part;
        struct stat st {};
        if (::lstat((rootfs / relative).c_str(), &st) != 0) return errno == ENOENT ? std::optional(relative) : std::nullopt;
        if (S_ISLNK(st.st_mode)) return std::nullopt;
    }
    return std::nullopt;
}

namespace {

// Whether PATH (not followed) holds nothing but empty folders and empty files.
bool only_empty(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return false;
    if (S_ISREG(st.st_mode)) return st.st_size == 0;
    if (!S_ISDIR(st.st_mode)) return false;
    std::error_code ec;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        if (!only_empty(it->path())) return false;
    }
    return !ec;
}

}  // namespace

Result<void> remove_mount_point(const fs::path& upper, const fs::path& relative) {
    fs::path path = upper / relative;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return ok();
    if (!only_empty(path)) return ok();
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) return Error::from_syscall("remove", ec.value(), path.string());
    return ok();
}

}  // namespace hako::build
