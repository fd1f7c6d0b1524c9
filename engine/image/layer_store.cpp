// This file implements LayerStore (see layer_store.h).
#include "engine/image/layer_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <system_error>

#include "engine/image/layer_unpack.h"
#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"

namespace hako::image {

namespace {

// 26 characters of [A-Z0-9], as Docker's overlay2 link ids.
Result<std::string> random_link_id() {
    sys::UniqueFd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_syscall("open", errno, "/dev/urandom");
    unsigned char bytes[26];
    if (::read(fd.get(), bytes, sizeof bytes) != ssize_t(sizeof bytes)) {
        return Error::from_syscall("read", errno, "/dev/urandom");
    }
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string id;
    for (unsigned char b : bytes) id += alphabet[b % 36];
    return id;
}

Result<LayerInfo> read_layer_json(const std::filesystem::path& file) {
    std::string text = TRY(sys::read_file(file, 1 << 20));
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error(file.string() + ": not a layer record");
    LayerInfo info;
    info.diff_id = j.value("diff_id", "");
    info.link = j.value("link", "");
    info.size = j.value("size", int64_t(0));
    info.compression = j.value("compression", "");
    if (!sys::is_sha256_digest(info.diff_id) || info.link.empty()) {
        return Error(file.string() + ": layer record lacks diff_id or link");
    }
    return info;
}

}  // namespace

std::filesystem::path LayerStore::diff_dir(const std::string& diff_id) const {
    return root_.layers_dir() / (sys::is_sha256_digest(diff_id) ? diff_id.substr(7) : diff_id) / "diff";
}

bool LayerStore::has(const std::string& diff_id) const {
    if (!sys::is_sha256_digest(diff_id)) return false;
    return ::access((root_.layers_dir() / diff_id.substr(7) / "layer.json").c_str(), F_OK) == 0;
}

Result<LayerInfo> LayerStore::get(const std::string& diff_id) const {
    std::string hex = TRY(sys::digest_hex(diff_id));
    auto info = read_layer_json(root_.layers_dir() / hex / "layer.json");
    if (!info.ok() && info.error().errno_value == ENOENT) {
        return Error("layer " + diff_id + " is not in the store");
    }
    return info;
}

Result<LayerInfo> LayerStore::add(int fd) const {
    sys::TempDir scratch = TRY(root_.make_temp("layer-"));
    std::filesystem::path diff = scratch.path() / "diff";
    if (::mkdir(diff.c_str(), 0755) != 0) return Error::from_syscall("mkdir", errno, diff.string());
    UnpackResult unpacked = TRY(unpack_layer(fd, diff));

    std::string hex = unpacked.diff_id.substr(7);
    std::filesystem::path final_dir = root_.layers_dir() / hex;
    auto lock = TRY(root_.lock());
    if (auto existing = get(unpacked.diff_id); existing.ok()) {
        // Same content already stored: keep it; make sure its short link exists.
        std::filesystem::path link = link_path(existing->link);
        std::string target = "../layers/" + hex + "/diff";
        if (::access(link.c_str(), F_OK) != 0) ::symlink(target.c_str(), link.c_str());
        LayerInfo info = std::move(existing.value());
        info.compression = compression_name(unpacked.compression);
        return info;
    }
    LayerInfo info;
    info.diff_id = unpacked.diff_id;
    info.size = unpacked.content_size;
    info.compression = compression_name(unpacked.compression);
    for (int attempt = 0;; ++attempt) {
        info.link = TRY(random_link_id());
        std::string target = "../layers/" + hex + "/diff";
        if (::symlink(target.c_str(), link_path(info.link).c_str()) == 0) break;
        if (errno != EEXIST || attempt > 8) return Error::from_syscall("symlink", errno, link_path(info.link).string());
    }
    nlohmann::ordered_json record = {{"diff_id", info.diff_id},
                                     {"link", info.link},
                                     {"size", info.size},
                                     {"tar_size", unpacked.tar_size},
                                     {"compression", info.compression}};
    TRY(sys::write_file_atomic(scratch.path() / "link", info.link));
    TRY(sys::write_file_atomic(scratch.path() / "layer.json", record.dump() + "\n"));
    ::chmod(scratch.path().c_str(), 0711);
    if (::rename(scratch.path().c_str(), final_dir.c_str()) != 0) {
        int err = errno;
        ::unlink(link_path(info.link).c_str());
        return Error::from_syscall("rename", err, final_dir.string());
    }
    scratch.release();
    return info;
}

Result<std::vector<std::string>> LayerStore::list() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(root_.layers_dir().c_str());
    if (!d) return Error::from_syscall("opendir", errno, root_.layers_dir().string());
    while (dirent* e = ::readdir(d)) {
        std::string_view name(e->d_name);
        if (name.size() == 64 && sys::is_hex(name)) out.push_back("sha256:" + std::string(name));
    }
    ::closedir(d);
    return out;
}

Result<void> LayerStore::remove(const std::string& diff_id) const {
    std::string hex = TRY(sys::digest_hex(diff_id));
    std::filesystem::path dir = root_.layers_dir() / hex;
    auto info = get(diff_id);
    sys::TempDir grave = TRY(root_.make_temp("deleted-layer-"));
    std::filesystem::path moved = grave.path() / "layer";
    if (::rename(dir.c_str(), moved.c_str()) != 0) {
        if (errno == ENOENT) return ok();
        return Error::from_syscall("rename", errno, dir.string());
    }
    if (info.ok()) ::unlink(link_path(info->link).c_str());
    return ok();  // `grave` removes the files
}

Result<void> LayerStore::remove_dangling_links() const {
    DIR* d = ::opendir(root_.links_dir().c_str());
    if (!d) return Error::from_syscall("opendir", errno, root_.links_dir().string());
    std::vector<std::string> dangling;
    struct stat st {};
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (::stat(link_path(name).c_str(), &st) != 0 && errno == ENOENT) dangling.push_back(name);
    }
    ::closedir(d);
    for (const auto& name : dangling) ::unlink(link_path(name).c_str());
    return ok();
}

}  // namespace hako::image
