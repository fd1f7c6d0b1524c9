// This file implements the files of secrets and configs (secrets.h): read from
// the host file or taken from the content, written atomically with their owner
// and mode, and bound read-only into the container.
#include "engine/volume/secrets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include "engine/container/options.h"
#include "engine/sys/file.h"

namespace hako::volume {

namespace fs = std::filesystem;

namespace {
constexpr size_t kMaxFileBytes = 64u << 20;
}

Result<runtime::Mount> materialize_file_mount(const fs::path& container_dir, size_t index, const nlohmann::json& entry) {
    const std::string type = entry.value("type", "secret");
    const std::string name = entry.value("source", "");
    std::string content;
    if (entry.contains("file")) {
        const std::string file = entry["file"].get<std::string>();
        auto read = sys::read_file(file, kMaxFileBytes);
        if (!read.ok())
            return Error(type + " " + name + ": " + read.error().message, container::kRunFailure);
        content = std::move(*read);
    } else {
        content = entry.value("content", "");
    }
    fs::path folder = container_dir / "files";
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) return Error("mkdir " + folder.string() + ": " + ec.message());
    ::chmod(folder.c_str(), 0700);
    fs::path path = folder / (std::to_string(index) + "-" + type + "-" + name);
    unsigned mode = static_cast<unsigned>(entry.value("mode", 0444));
    TRY(sys::write_file_atomic(path, content, 0600));
    uid_t uid = static_cast<uid_t>(std::stoul(entry.value("uid", std::string("0"))));
    gid_t gid = static_cast<gid_t>(std::stoul(entry.value("gid", std::string("0"))));
    if (::chown(path.c_str(), uid, gid) != 0) return Error::from_syscall("chown", errno, path.string());
    // After chown: chown clears the set-id bits a mode may ask for.
    if (::chmod(path.c_str(), mode) != 0) return Error::from_syscall("chmod", errno, path.string());
    runtime::Mount m;
    m.source = path.string();
    m.destination = entry.value("target", "");
    m.type = "bind";
    m.options = {"rbind", "ro", "nosuid", "nodev", "noexec"};
    return m;
}

}  // namespace hako::volume
