// This file declares NVIDIA GPU discovery without a CDI spec: device nodes under
// ROOT/dev, the driver's libraries (ldconfig cache and library folders) and binaries,
// chosen by driver capabilities, as nvidia-container-toolkit would mount them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/device/cdi.h"
#include "engine/sys/error.h"

namespace hako::device::nvidia {

struct Gpu {
    int index = 0;      // the N of /dev/nvidiaN
    std::string uuid;   // from ROOT/proc/driver/nvidia/gpus/*/information, when present
    std::filesystem::path node;  // host path of /dev/nvidiaN
};

struct Layout {
    std::filesystem::path root;                  // "/" on a real host
    std::vector<Gpu> gpus;                       // sorted by index
    std::vector<std::filesystem::path> control;  // nvidiactl, nvidia-uvm*, nvidia-modeset, nvidia-caps/*
    std::vector<std::filesystem::path> libraries;  // host paths
    std::vector<std::filesystem::path> binaries;
};

// The discovery root: env HAKO_NVIDIA_ROOT, else "/".
std::filesystem::path default_root();

// What the host offers under `root`.
Layout discover(const std::filesystem::path& root);

// The capabilities a request names, minus "gpu"; "all" expands; none → compute, utility.
std::vector<std::string> driver_capabilities(const std::vector<std::string>& requested);

// Picks GPUs for a request: count -1 = all, count N = the first N, or device_ids
// (indices or UUIDs). Fails, saying what was asked and what exists, when it cannot.
Result<std::vector<Gpu>> select(const Layout& layout, int count, const std::vector<std::string>& device_ids);

// The edits that hand `gpus` to a container: their nodes and the control nodes,
// the libraries and binaries of `capabilities` read-only at the same paths, and
// NVIDIA_VISIBLE_DEVICES / NVIDIA_DRIVER_CAPABILITIES.
cdi::ContainerEdits edits_for(const Layout& layout, const std::vector<Gpu>& gpus,
                              const std::vector<std::string>& capabilities, bool all);

}  // namespace hako::device::nvidia
