// This file implements BuildCache (see build_cache.h).
#include "engine/build/build_cache.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "engine/sys/digest.h"
#include "engine/sys/file.h"

namespace hako::build {

namespace fs = std::filesystem;

std::string cache_key(const std::vector<std::string>& parts) {
    sys::Sha256 hash;
    for (const auto& p : parts) {
        std::string length = std::to_string(p.size()) + ":";
        hash.update(length);
        hash.update(p);
    }
    return hash.digest_final();
}

std::optional<StageImage> BuildCache::get(const std::string& key, const image::ImageStore& store) const {
    auto hex = sys::digest_hex(key);
    if (!hex.ok()) return std::nullopt;
    auto text = sys::read_file(dir_ / "steps" / (*hex + ".json"), 64 << 20);
    if (!text.ok()) return std::nullopt;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("config") || !j["config"].is_string()) return std::nullopt;
    auto config = image::parse_image_config(j["config"].get<std::string>());
    if (!config.ok()) return std::nullopt;
    StageImage result{std::move(config).value(), {}};
    try {
        for (const auto& l : j.at("layers")) {
            image::LayerRef ref;
            ref.digest = l.at("digest").get<std::string>();
            ref.media_type = l.at("media_type").get<std::string>();
            ref.size = l.at("size").get<int64_t>();
            ref.diff_id = l.at("diff_id").get<std::string>();
            ref.link = l.at("link").get<std::string>();
            ref.unpacked_size = l.at("unpacked_size").get<int64_t>();
            // A layer collected since (image prune) makes the entry useless.
            if (!store.layers().has(ref.diff_id) || !store.blobs().has(ref.digest)) return std::nullopt;
            result.layers.push_back(std::move(ref));
        }
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
    if (result.layers.size() != result.config.diff_ids.size()) return std::nullopt;
    return result;
}

Result<void> BuildCache::put(const std::string& key, const StageImage& result) const {
    std::string hex = TRY(sys::digest_hex(key));
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : result.layers) {
        layers.push_back({{"digest", l.digest},
                          {"media_type", l.media_type},
                          {"size", l.size},
                          {"diff_id", l.diff_id},
                          {"link", l.link},
                          {"unpacked_size", l.unpacked_size}});
    }
    nlohmann::json j = {{"config", image::serialize(result.config)}, {"layers", layers}};
    std::error_code ec;
    fs::create_directories(dir_ / "steps", ec);
    return sys::write_file_atomic(dir_ / "steps" / (hex + ".json"), j.dump(), 0600);
}

Result<fs::path> BuildCache::mount_dir(const std::string& id) const {
    std::string hex = TRY(sys::digest_hex(sys::sha256_digest(id)));
    fs::path dir = dir_ / "mounts" / hex;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Error::from_syscall("mkdir", ec.value(), dir.string());
    return dir;
}

}  // namespace hako::build
