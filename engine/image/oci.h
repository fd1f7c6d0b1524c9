// This file implements the OCI image format's documents as typed values: the image
// config (application/vnd.oci.image.config.v1+json) and the manifest
// (application/vnd.oci.image.manifest.v1+json), with JSON conversion both ways.
// Docker's schema-2 media types are read as their OCI equivalents.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sys/error.h"

namespace hako::image {

namespace media_type {
inline constexpr const char* kManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media_type

struct Healthcheck {
    std::vector<std::string> test;  // ["CMD", …], ["CMD-SHELL", "…"], ["NONE"]
    int64_t interval_ns = 0;
    int64_t timeout_ns = 0;
    int64_t start_period_ns = 0;
    int64_t start_interval_ns = 0;
    int retries = 0;
};

// The "config" object of an image config: the defaults a container starts with.
struct ContainerDefaults {
    std::string user;
    std::set<std::string> exposed_ports;  // "80/tcp"
    std::vector<std::string> env;         // "KEY=value", in order
    std::optional<std::vector<std::string>> entrypoint;
    std::optional<std::vector<std::string>> cmd;
    std::set<std::string> volumes;
    std::string working_dir;
    std::map<std::string, std::string> labels;
    std::string stop_signal;
    std::optional<Healthcheck> healthcheck;
    std::vector<std::string> shell;
    std::vector<std::string> on_build;
    bool args_escaped = false;

    // Sets KEY in env (replacing an earlier KEY=…).
    void set_env(const std::string& key, const std::string& value);
};

struct HistoryEntry {
    std::string created;  // RFC 3339
    std::string created_by;
    std::string author;
    std::string comment;
    bool empty_layer = false;
};

struct ImageConfig {
    std::string created;  // RFC 3339, UTC
    std::string author;
    std::string architecture = "amd64";
    std::string os = "linux";
    std::string variant;
    ContainerDefaults config;
    std::vector<std::string> diff_ids;  // rootfs.diff_ids, lowest layer first
    std::vector<HistoryEntry> history;
};

struct Descriptor {
    std::string media_type;
    std::string digest;
    int64_t size = 0;
};

struct Manifest {
    std::string media_type = media_type::kManifest;
    Descriptor config;
    std::vector<Descriptor> layers;
};

// JSON conversion. The JSON keeps Docker's field names and a stable key order, so
// the same config always serialises to the same bytes (and the same image id).
nlohmann::ordered_json to_json(const ContainerDefaults& config);
nlohmann::ordered_json to_json(const ImageConfig& config);
nlohmann::ordered_json to_json(const Descriptor& descriptor);
nlohmann::ordered_json to_json(const Manifest& manifest);
std::string serialize(const ImageConfig& config);
std::string serialize(const Manifest& manifest);

Result<ContainerDefaults> parse_container_defaults(const nlohmann::json& json);
Result<ImageConfig> parse_image_config(std::string_view json);
Result<Manifest> parse_manifest(std::string_view json);

// The architecture of this machine in Go's naming (amd64, arm64, …).
std::string host_architecture();

}  // namespace hako::image
