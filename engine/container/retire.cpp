// This file implements retire_files (retire.h).
#include "engine/container/retire.h"

#include <stdio.h>
#include <unistd.h>

#include <cerrno>

namespace hako::container {

Result<std::filesystem::path> retire_files(const ContainerStore& store, const std::string& id) {
    if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
        return Error("invalid container id \"" + id + "\"");
    std::filesystem::path from = store.dir(id);
    std::filesystem::path to = store.root().tmp_dir() / (std::string(kRetiredPrefix) + id);
    // A leftover of an earlier, killed removal (not empty) cannot be replaced: go beside it.
    if (::rename(from.c_str(), to.c_str()) == 0) return to;
    if (errno == ENOENT) return std::filesystem::path();
    if (errno != ENOTEMPTY && errno != EEXIST) return Error::from_syscall("rename", errno, from.string());
    std::filesystem::path aside = to;
    aside += "-" + std::to_string(::getpid());
    if (::rename(from.c_str(), aside.c_str()) != 0) return Error::from_syscall("rename", errno, from.string());
    return aside;
}

}  // namespace hako::container
