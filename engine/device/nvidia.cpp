// This file implements NVIDIA discovery: device nodes, GPU UUIDs from the driver's
// /proc files, libraries from the ldconfig cache or library folders, and the edits
// that hand the selected GPUs to a container.
#include "engine/device/nvidia.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "engine/sys/file.h"

namespace hako::device::nvidia {
namespace fs = std::filesystem;
namespace {

// Library name prefixes per driver capability, as nvidia-container-toolkit groups them.
const std::map<std::string, std::vector<std::string>>& library_groups() {
    static const std::map<std::string, std::vector<std::string>> groups = {
        {"utility", {"libnvidia-ml.so", "libnvidia-cfg.so"}},
        {"compute",
         {"libcuda.so", "libcudadebugger.so", "libnvidia-opencl.so", "libnvidia-ptxjitcompiler.so",
          "libnvidia-fatbinaryloader.so", "libnvidia-allocator.so", "libnvidia-compiler.so", "libnvidia-nvvm.so",
          "libnvidia-gpucomp.so"}},
        {"video", {"libvdpau_nvidia.so", "libnvidia-encode.so", "libnvidia-opticalflow.so", "libnvcuvid.so"}},
        {"graphics",
         {"libnvidia-eglcore.so", "libnvidia-glcore.so", "libnvidia-tls.so", "libnvidia-glsi.so", "libnvidia-fbc.so",
          "libnvidia-ifr.so", "libnvidia-rtcore.so", "libnvoptix.so", "libGLX_nvidia.so", "libEGL_nvidia.so",
          "libGLESv2_nvidia.so", "libGLESv1_CM_nvidia.so", "libnvidia-glvkspirv.so"}},
        {"display", {"libnvidia-fbc.so"}},
        {"ngx", {"libnvidia-ngx.so"}},
    };
    return groups;
}

const std::map<std::string, std::vector<std::string>>& binary_groups() {
    static const std::map<std::string, std::vector<std::string>> groups = {
        {"utility", {"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced"}},
        {"compute", {"nvidia-cuda-mps-control", "nvidia-cuda-mps-server"}},
    };
    return groups;
}

bool is_driver_library(const std::string& name) {
    for (const auto& [cap, prefixes] : library_groups())
        for (const auto& prefix : prefixes)
            if (name.starts_with(prefix)) return true;
    return false;
}

// `ldconfig -p` lines: "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1".
std::vector<fs::path> ldconfig_libraries() {
    std::vector<fs::path> out;
    FILE* pipe = ::popen("ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null", "r");
    if (!pipe) return out;
    std::array<char, 4096> line{};
    while (std::fgets(line.data(), line.size(), pipe)) {
        std::string text(line.data());
        auto arrow = text.find("=> ");
        if (arrow == std::string::npos) continue;
        std::string path = text.substr(arrow + 3);
        while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
        if (is_driver_library(fs::path(path).filename().string())) out.emplace_back(path);
    }
    ::pclose(pipe);
    return out;
}

}  // namespace

fs::path default_root() {
    const char* env = std::getenv("HAKO_NVIDIA_ROOT");
    return env && *env ? fs::path(env) : fs::path("/");
}

Layout discover(const fs::path& root) {
    Layout layout;
    layout.root = root;
    std::error_code ec;
    static const std::regex gpu_node(R"(^nvidia([0-9]+)$)");
    for (const auto& entry : fs::directory_iterator(root / "dev", ec)) {
        std::string name = entry.path().filename().string();
        std::smatch m;
        if (std::regex_match(name, m, gpu_node))
            layout.gpus.push_back({std::stoi(m[1]), "", entry.path()});
        else if (name == "nvidiactl" || name.starts_with("nvidia-uvm") || name == "nvidia-modeset")
            layout.control.push_back(entry.path());
    }
    for (const auto& entry : fs::directory_iterator(root / "dev/nvidia-caps", ec)) layout.control.push_back(entry.path());
    std::sort(layout.control.begin(), layout.control.end());
    // "Device Minor: 0" and "GPU UUID: GPU-…" per card.
    for (const auto& entry : fs::directory_iterator(root / "proc/driver/nvidia/gpus", ec)) {
        auto text = sys::read_file(entry.path() / "information", 1 << 16);
        if (!text.ok()) continue;
        static const std::regex minor(R"(Device Minor:\s*([0-9]+))"), uuid(R"(GPU UUID:\s*(\S+))");
        std::smatch m1, m2;
        if (std::regex_search(*text, m1, minor) && std::regex_search(*text, m2, uuid))
            for (auto& gpu : layout.gpus)
                if (gpu.index == std::stoi(m1[1])) gpu.uuid = m2[1];
    }
    std::sort(layout.gpus.begin(), layout.gpus.end(), [](const Gpu& a, const Gpu& b) { return a.index < b.index; });

    std::set<fs::path> libraries;
    if (root == "/")
        for (auto& path : ldconfig_libraries()) libraries.insert(path);
    for (const char* dir : {"usr/lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu", "usr/lib64", "usr/lib",
                            "lib/x86_64-linux-gnu", "lib64"})
        for (const auto& entry : fs::directory_iterator(root / dir, ec)) {
            std::string name = entry.path().filename().string();
            if (is_driver_library(name) && !fs::is_directory(entry.path(), ec)) libraries.insert(entry.path());
        }
    layout.libraries.assign(libraries.begin(), libraries.end());
    for (const auto& [cap, names] : binary_groups())
        for (const auto& name : names)
            // Every copy: /usr/bin/nvidia-smi may be a wrapper that execs the one in
            // /usr/local/nvidia/bin (as on GPU cloud images).
            for (const char* dir : {"usr/bin", "usr/local/bin", "bin", "usr/local/nvidia/bin"})
                if (fs::exists(root / dir / name, ec)) layout.binaries.push_back(root / dir / name);
    return layout;
}

std::vector<std::string> driver_capabilities(const std::vector<std::string>& requested) {
    std::vector<std::string> out;
    for (const auto& cap : requested) {
        if (cap == "all") return {"compute", "compat32", "display", "graphics", "ngx", "utility", "video"};
        if (cap != "gpu" && cap != "nvidia" && std::find(out.begin(), out.end(), cap) == out.end()) out.push_back(cap);
    }
    if (out.empty()) out = {"compute", "utility"};
    return out;
}

Result<std::vector<Gpu>> select(const Layout& layout, int count, const std::vector<std::string>& device_ids) {
    std::string present = std::to_string(layout.gpus.size()) + " present";
    if (!layout.gpus.empty()) {
        present += " (";
        for (size_t i = 0; i < layout.gpus.size(); ++i)
            present += (i ? ", " : "") + std::to_string(layout.gpus[i].index) +
                       (layout.gpus[i].uuid.empty() ? "" : " " + layout.gpus[i].uuid);
        present += ")";
    }
    std::string root = layout.root == "/" ? "" : " under " + layout.root.string();
    if (!device_ids.empty()) {
        std::vector<Gpu> out;
        for (const auto& id : device_ids) {
            auto it = std::find_if(layout.gpus.begin(), layout.gpus.end(),
                                   [&](const Gpu& g) { return std::to_string(g.index) == id || (!g.uuid.empty() && g.uuid == id); });
            if (it == layout.gpus.end())
                return Error("could not satisfy GPU request: device_ids " + id + " asked, " + present + root);
            out.push_back(*it);
        }
        return out;
    }
    if (layout.gpus.empty() || (count > 0 && static_cast<size_t>(count) > layout.gpus.size()))
        return Error("could not satisfy GPU request: " + (count < 0 ? std::string("all") : std::to_string(count)) +
                     " asked, " + present + root);
    if (count < 0) return layout.gpus;
    return std::vector<Gpu>(layout.gpus.begin(), layout.gpus.begin() + count);
}

cdi::ContainerEdits edits_for(const Layout& layout, const std::vector<Gpu>& gpus,
                              const std::vector<std::string>& capabilities, bool all) {
    cdi::ContainerEdits edits;
    auto in_container = [&](const fs::path& host) {
        return "/" + host.lexically_relative(layout.root).generic_string();
    };
    for (const auto& gpu : gpus) edits.device_nodes.push_back({in_container(gpu.node), gpu.node.string(), "", {}, {}, {}, {}, {}, "rwm"});
    for (const auto& node : layout.control) {
        std::error_code ec;
        if (fs::is_directory(node, ec)) continue;
        edits.device_nodes.push_back({in_container(node), node.string(), "", {}, {}, {}, {}, {}, "rwm"});
    }
    std::set<std::string> wanted;
    for (const auto& cap : capabilities) {
        if (auto it = library_groups().find(cap); it != library_groups().end()) wanted.insert(it->second.begin(), it->second.end());
    }
    for (const auto& lib : layout.libraries) {
        std::string name = lib.filename().string();
        bool match = std::any_of(wanted.begin(), wanted.end(), [&](const std::string& p) { return name.starts_with(p); });
        if (match) edits.mounts.push_back({lib.string(), in_container(lib), "bind", {"ro", "nosuid", "nodev", "bind"}});
    }
    for (const auto& bin : layout.binaries) {
        std::string name = bin.filename().string();
        bool match = false;
        for (const auto& cap : capabilities)
            if (auto it = binary_groups().find(cap); it != binary_groups().end())
                match |= std::find(it->second.begin(), it->second.end(), name) != it->second.end();
        if (match) edits.mounts.push_back({bin.string(), in_container(bin), "bind", {"ro", "nosuid", "nodev", "bind"}});
    }
    // Libraries outside the loader's default folders (/usr/local/nvidia/lib64) are
    // found through LD_LIBRARY_PATH, as no ldconfig runs inside the container.
    std::string library_path;
    std::set<std::string> standard = {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                                      "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib"};
    std::set<std::string> added;
    for (const auto& mount : edits.mounts) {
        std::string dir = fs::path(mount.container_path).parent_path().string();
        if (mount.container_path.find(".so") == std::string::npos || standard.count(dir) || !added.insert(dir).second) continue;
        library_path += (library_path.empty() ? "" : ":") + dir;
    }
    if (!library_path.empty()) edits.env.push_back("LD_LIBRARY_PATH=" + library_path);
    std::string visible;
    for (const auto& gpu : gpus) visible += (visible.empty() ? "" : ",") + std::to_string(gpu.index);
    edits.env.push_back("NVIDIA_VISIBLE_DEVICES=" + (all ? std::string("all") : visible));
    std::string caps;
    for (const auto& cap : capabilities) caps += (caps.empty() ? "" : ",") + cap;
    edits.env.push_back("NVIDIA_DRIVER_CAPABILITIES=" + caps);
    return edits;
}

}  // namespace hako::device::nvidia
