// This file implements ImageStore (see image_store.h): records, the tags index,
// import, tag, remove, prune and the garbage collection of blobs and layers.
#include "engine/image/image_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/image/change.h"
#include "engine/image/reference.h"
#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"
#include "engine/sys/clock.h"

namespace hako::image {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// repositories.json: normalised repository name → tag → image id.
struct ImageStore::Index {
    std::map<std::string, std::map<std::string, std::string>> repositories;

    std::vector<std::string> tags_of(const std::string& id) const {
        std::vector<std::string> out;
        for (const auto& [name, tags] : repositories) {
            for (const auto& [tag, target] : tags) {
                if (target == id) out.push_back(name + ":" + tag);
            }
        }
        return out;
    }
    void untag(const std::string& name, const std::string& tag) {
        auto it = repositories.find(name);
        if (it == repositories.end()) return;
        it->second.erase(tag);
        if (it->second.empty()) repositories.erase(it);
    }
    void untag_all(const std::string& id, std::vector<std::string>& untagged) {
        for (const auto& full : tags_of(id)) {
            size_t colon = full.rfind(':');
            untag(full.substr(0, colon), full.substr(colon + 1));
            untagged.push_back(image::familiar_name(full.substr(0, colon)) + full.substr(colon));
        }
    }
};

namespace {

std::string familiar_tag(const std::string& name_and_tag) {
    size_t colon = name_and_tag.rfind(':');
    return familiar_name(name_and_tag.substr(0, colon)) + name_and_tag.substr(colon);
}

Result<ImageRecord> parse_record(std::string_view text, const std::string& what) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error(what + ": not an image record");
    ImageRecord r;
    r.id = j.value("id", "");
    if (!sys::is_sha256_digest(r.id)) return Error(what + ": image record without a valid id");
    if (j.contains("manifest") && j["manifest"].is_object()) {
        r.manifest_digest = j["manifest"].value("digest", "");
        r.manifest_media_type = j["manifest"].value("mediaType", "");
    }
    r.created = j.value("created", "");
    r.architecture = j.value("architecture", "");
    r.os = j.value("os", "");
    r.size = j.value("size", int64_t(0));
    r.last_tag_time = j.value("last_tag_time", "");
    if (j.contains("layers") && j["layers"].is_array()) {
        for (const auto& l : j["layers"]) {
            LayerRef ref;
            ref.digest = l.value("digest", "");
            ref.media_type = l.value("mediaType", "");
            ref.size = l.value("size", int64_t(0));
            ref.diff_id = l.value("diff_id", "");
            ref.link = l.value("link", "");
            ref.unpacked_size = l.value("unpacked_size", int64_t(0));
            r.layers.push_back(std::move(ref));
        }
    }
    if (j.contains("repo_digests") && j["repo_digests"].is_array()) {
        for (const auto& d : j["repo_digests"]) {
            if (d.is_string()) r.repo_digests.push_back(d.get<std::string>());
        }
    }
    return r;
}

ojson record_json(const ImageRecord& r) {
    ojson j = ojson::object();
    j["id"] = r.id;
    j["manifest"] = ojson{{"digest", r.manifest_digest}, {"mediaType", r.manifest_media_type}};
    j["created"] = r.created;
    j["architecture"] = r.architecture;
    j["os"] = r.os;
    j["size"] = r.size;
    ojson layers = ojson::array();
    for (const auto& l : r.layers) {
        layers.push_back(ojson{{"digest", l.digest},
                               {"mediaType", l.media_type},
                               {"size", l.size},
                               {"diff_id", l.diff_id},
                               {"link", l.link},
                               {"unpacked_size", l.unpacked_size}});
    }
    j["layers"] = std::move(layers);
    j["repo_digests"] = r.repo_digests;
    j["last_tag_time"] = r.last_tag_time;
    return j;
}

// Ids of every image record (file names images/<64 hex>.json).
Result<std::vector<std::string>> record_ids(const std::filesystem::path& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return Error::from_syscall("opendir", errno, dir.string());
    while (dirent* e = ::readdir(d)) {
        std::string_view name(e->d_name);
        if (name.size() == 69 && name.substr(64) == ".json" && sys::is_hex(name.substr(0, 64))) {
            out.push_back("sha256:" + std::string(name.substr(0, 64)));
        }
    }
    ::closedir(d);
    return out;
}

Error no_such_image(std::string_view ref) { return Error("no such image: " + std::string(ref)); }

}  // namespace

Result<ImageStore> ImageStore::open(const std::filesystem::path& root) {
    store::StateRoot state = TRY(store::StateRoot::open(root));
    return ImageStore(std::move(state));
}

ImageStore::ImageStore(store::StateRoot root) : root_(root), blobs_(root), layers_(root) {}

Result<ImageStore::Index> ImageStore::load_index() const {
    Index index;
    auto text = sys::read_file(root_.images_dir() / "repositories.json", 64u << 20);
    if (!text.ok()) {
        if (text.error().errno_value == ENOENT) return index;
        return std::move(text).error();
    }
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error("images/repositories.json: not a JSON object");
    if (j.contains("repositories") && j["repositories"].is_object()) {
        for (const auto& [name, tags] : j["repositories"].items()) {
            if (!tags.is_object()) continue;
            for (const auto& [tag, id] : tags.items()) {
                if (id.is_string()) index.repositories[name][tag] = id.get<std::string>();
            }
        }
    }
    return index;
}

Result<void> ImageStore::save_index(const Index& index) const {
    ojson j = ojson::object();
    j["repositories"] = ojson::object();
    for (const auto& [name, tags] : index.repositories) {
        ojson t = ojson::object();
        for (const auto& [tag, id] : tags) t[tag] = id;
        j["repositories"][name] = std::move(t);
    }
    return sys::write_file_atomic(root_.images_dir() / "repositories.json", j.dump(2) + "\n", 0600);
}

Result<ImageRecord> ImageStore::read_record(const std::string& id, const Index& index) const {
    std::string hex = TRY(sys::digest_hex(id));
    std::filesystem::path file = root_.images_dir() / (hex + ".json");
    auto text = sys::read_file(file, 16u << 20);
    if (!text.ok()) {
        if (text.error().errno_value == ENOENT) return no_such_image(id);
        return std::move(text).error();
    }
    ImageRecord r = TRY(parse_record(*text, file.string()));
    r.repo_tags = index.tags_of(r.id);
    return r;
}

Result<void> ImageStore::write_record(const ImageRecord& record) const {
    std::string hex = TRY(sys::digest_hex(record.id));
    return sys::write_file_atomic(root_.images_dir() / (hex + ".json"), record_json(record).dump(2) + "\n",
                                  0600);
}

Result<std::string> ImageStore::lookup(std::string_view ref, const Index& index, bool& by_name,
                                       std::string& name_key) const {
    by_name = false;
    name_key.clear();
    std::string_view hex = ref;
    bool sha_prefix = hex.substr(0, 7) == "sha256:";
    if (sha_prefix) hex.remove_prefix(7);
    auto exists = [&](const std::string& id) {
        return ::access((root_.images_dir() / (id.substr(7) + ".json")).c_str(), F_OK) == 0;
    };
    if (hex.size() == 64 && sys::is_hex(hex)) {
        std::string id = "sha256:" + std::string(hex);
        if (exists(id)) return id;
        return no_such_image(ref);
    }
    if (!sha_prefix) {
        auto parsed = parse_reference_with_default_tag(ref);
        if (parsed.ok()) {
            if (!parsed->digest.empty()) {
                std::string wanted = parsed->name() + "@" + parsed->digest;
                for (const auto& id : TRY(record_ids(root_.images_dir()))) {
                    auto r = read_record(id, index);
                    if (!r.ok()) continue;
                    if (std::find(r->repo_digests.begin(), r->repo_digests.end(), wanted) != r->repo_digests.end() ||
                        r->manifest_digest == parsed->digest) {
                        by_name = true;
                        name_key = wanted;
                        return id;
                    }
                }
            } else if (auto repo = index.repositories.find(parsed->name()); repo != index.repositories.end()) {
                if (auto tag = repo->second.find(parsed->tag); tag != repo->second.end()) {
                    by_name = true;
                    name_key = parsed->name() + ":" + parsed->tag;
                    return tag->second;
                }
            }
        } else if (!sys::is_hex(hex)) {
            return std::move(parsed).error();
        }
    }
    if (!hex.empty() && sys::is_hex(hex)) {
        std::vector<std::string> matches;
        for (const auto& id : TRY(record_ids(root_.images_dir()))) {
            if (id.compare(7, hex.size(), hex) == 0) matches.push_back(id);
        }
        if (matches.size() == 1) return matches.front();
        if (matches.size() > 1) return Error("image id prefix \"" + std::string(ref) + "\" is ambiguous");
    }
    return no_such_image(ref);
}

Result<ImageRecord> ImageStore::resolve(std::string_view ref) const {
    Index index = TRY(load_index());
    bool by_name = false;
    std::string key;
    std::string id = TRY(lookup(ref, index, by_name, key));
    return read_record(id, index);
}

Result<ImageRecord> ImageStore::record(const std::string& id) const {
    Index index = TRY(load_index());
    return read_record(id, index);
}

Result<std::string> ImageStore::config_json(const std::string& id) const { return blobs_.read(id); }

namespace {

// Parsed configs of this process, by state root and image id. A config blob is
// content-addressed (its digest is the id), so a parse stays true for the process's
// life. A container start asked for the same config four times (create, its volume
// checks, the monitor's healthcheck and volumes: the monitor runs in the CLI's memory
// or a fork of it), each an open, two reads and a JSON parse.
class ConfigCache {
public:
    std::optional<ImageConfig> find(const std::string& key) {
        std::lock_guard lock(mutex_);
        auto it = configs_.find(key);
        if (it == configs_.end()) return std::nullopt;
        return it->second;
    }
    void add(const std::string& key, const ImageConfig& config) {
        std::lock_guard lock(mutex_);
        if (configs_.size() >= kMaxEntries) configs_.clear();
        configs_.emplace(key, config);
    }

private:
    static constexpr size_t kMaxEntries = 64;
    std::mutex mutex_;
    std::map<std::string, ImageConfig> configs_;
};

ConfigCache& config_cache() {
    static ConfigCache cache;
    return cache;
}

}  // namespace

Result<ImageConfig> ImageStore::config(const std::string& id) const {
    std::string key = root_.path().string() + "\n" + id;
    if (auto cached = config_cache().find(key)) return std::move(*cached);
    std::string text = TRY(config_json(id));
    auto parsed = parse_image_config(text);
    if (!parsed.ok()) return std::move(parsed).error().context("image " + id);
    config_cache().add(key, *parsed);
    return parsed;
}

std::vector<std::filesystem::path> ImageStore::layer_dirs(const ImageRecord& image) const {
    std::vector<std::filesystem::path> out;
    out.reserve(image.layers.size());
    for (const auto& l : image.layers) out.push_back(layers_.link_path(l.link));
    return out;
}

Result<std::vector<std::filesystem::path>> ImageStore::layer_dirs(const std::string& id) const {
    // Layers need no tags: repositories.json stays unread (a container start calls this).
    ImageRecord r = TRY(read_record(id, Index{}));
    return layer_dirs(r);
}

Result<std::vector<ImageRecord>> ImageStore::list() const {
    Index index = TRY(load_index());
    std::vector<ImageRecord> out;
    for (const auto& id : TRY(record_ids(root_.images_dir()))) {
        auto r = read_record(id, index);
        if (!r.ok()) {
            if (r.error().message.rfind("no such image", 0) == 0) continue;  // removed meanwhile
            return std::move(r).error();
        }
        out.push_back(std::move(r.value()));
    }
    std::sort(out.begin(), out.end(), [](const ImageRecord& a, const ImageRecord& b) {
        return a.created != b.created ? a.created > b.created : a.id < b.id;
    });
    return out;
}

Result<LayerRef> ImageStore::add_layer(int fd, std::string_view what) const {
    store::BlobWriter writer = TRY(blobs_.writer());
    TRY(writer.write_from_fd(fd, what));
    store::BlobInfo blob = TRY(writer.commit());
    std::filesystem::path blob_path = TRY(blobs_.path(blob.digest));
    sys::UniqueFd blob_fd(::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!blob_fd) return Error::from_syscall("open", errno, blob_path.string());
    auto info = layers_.add(blob_fd.get());
    if (!info.ok()) return std::move(info).error().context(std::string(what));
    LayerRef ref;
    ref.digest = blob.digest;
    ref.size = blob.size;
    ref.diff_id = info->diff_id;
    ref.link = info->link;
    ref.unpacked_size = info->size;
    if (info->compression == "none") {
        ref.media_type = media_type::kLayer;
    } else if (info->compression == "gzip") {
        ref.media_type = media_type::kLayerGzip;
    } else if (info->compression == "zstd") {
        ref.media_type = media_type::kLayerZstd;
    } else {
        return Error(std::string(what) + ": layers must be tar, tar+gzip or tar+zstd");
    }
    return ref;
}

Result<ImageRecord> ImageStore::commit(const ImageConfig& config, const std::vector<LayerRef>& layers,
                                       const std::vector<std::string>& tags) const {
    // The same record as a config that arrives as text; the text is ours here.
    return commit_verbatim(serialize(config), layers, tags);
}

Result<ImageRecord> ImageStore::commit_verbatim(std::string_view config_json, const std::vector<LayerRef>& layers,
                                                const std::vector<std::string>& tags) const {
    ImageConfig config = TRY(parse_image_config(config_json));
    if (config.diff_ids.size() != layers.size()) {
        return Error("image config lists " + std::to_string(config.diff_ids.size()) + " layers, but " +
                     std::to_string(layers.size()) + " were given");
    }
    for (size_t i = 0; i < layers.size(); ++i) {
        if (config.diff_ids[i] != layers[i].diff_id) {
            return Error("image config: layer " + std::to_string(i) + " has diff id " + layers[i].diff_id +
                         ", the config says " + config.diff_ids[i]);
        }
    }
    std::vector<Reference> refs;
    for (const auto& t : tags) {
        Reference r = TRY(parse_reference_with_default_tag(t));
        if (!r.digest.empty()) return Error("cannot tag with a digest reference: " + t);
        refs.push_back(std::move(r));
    }
    Manifest manifest;
    auto lock = TRY(root_.lock());
    store::BlobInfo config_blob = TRY(blobs_.put(config_json));
    manifest.config = Descriptor{media_type::kConfig, config_blob.digest, config_blob.size};
    for (const auto& l : layers) {
        if (!blobs_.has(l.digest)) return Error("layer blob " + l.digest + " is not in the store");
        if (!layers_.has(l.diff_id)) return Error("layer " + l.diff_id + " is not unpacked in the store");
        manifest.layers.push_back(Descriptor{l.media_type, l.digest, l.size});
    }
    store::BlobInfo manifest_blob = TRY(blobs_.put(serialize(manifest)));

    Index index = TRY(load_index());
    ImageRecord record;
    if (auto existing = read_record(config_blob.digest, index); existing.ok()) record = existing.value();
    record.id = config_blob.digest;
    record.manifest_digest = manifest_blob.digest;
    record.manifest_media_type = media_type::kManifest;
    record.created = config.created;
    record.architecture = config.architecture;
    record.os = config.os;
    record.layers = layers;
    record.size = 0;
    for (const auto& l : layers) record.size += l.unpacked_size;
    if (!refs.empty()) record.last_tag_time = sys::now_rfc3339();
    TRY(write_record(record));
    for (const auto& r : refs) index.repositories[r.name()][r.tag] = record.id;
    if (!refs.empty()) TRY(save_index(index));
    record.repo_tags = index.tags_of(record.id);
    return record;
}

Result<ImageRecord> ImageStore::import(int fd, const std::string& tag, const ImportOptions& options) const {
    if (!tag.empty()) TRY(parse_reference_with_default_tag(tag));
    ImageConfig config;
    for (const auto& change : options.changes) TRY(apply_change(config.config, change));
    auto ingest = TRY(root_.ingest_lock());
    LayerRef layer = TRY(add_layer(fd, options.source_name));
    config.created = sys::now_rfc3339();
    config.architecture = options.architecture.empty() ? host_architecture() : options.architecture;
    config.os = options.os;
    config.diff_ids = {layer.diff_id};
    HistoryEntry history;
    history.created = config.created;
    history.comment = options.message.empty() ? "Imported from " + options.source_name : options.message;
    config.history.push_back(std::move(history));
    std::vector<std::string> tags;
    if (!tag.empty()) tags.push_back(tag);
    return commit(config, {layer}, tags);
}

Result<void> ImageStore::tag(std::string_view source, std::string_view target) const {
    Reference ref = TRY(parse_reference_with_default_tag(target));
    if (!ref.digest.empty()) return Error("refusing to create a tag with a digest reference: " + std::string(target));
    auto lock = TRY(root_.lock());
    Index index = TRY(load_index());
    bool by_name = false;
    std::string key;
    std::string id = TRY(lookup(source, index, by_name, key));
    ImageRecord record = TRY(read_record(id, index));
    index.repositories[ref.name()][ref.tag] = id;
    TRY(save_index(index));
    record.last_tag_time = sys::now_rfc3339();
    return write_record(record);
}

std::vector<std::string> ImageStore::users_of(const std::string& id) const {
    return usage_check_ ? usage_check_(id) : std::vector<std::string>{};
}

Result<RemoveReport> ImageStore::remove(std::string_view ref, const RemoveOptions& options) const {
    auto gc = TRY(root_.gc_lock());
    auto lock = TRY(root_.lock());
    Index index = TRY(load_index());
    bool by_name = false;
    std::string key;
    std::string id = TRY(lookup(ref, index, by_name, key));
    std::vector<std::string> tags = index.tags_of(id);
    std::vector<std::string> users = users_of(id);
    std::string short_id = id.substr(7, 12);
    RemoveReport report;
    bool by_tag = by_name && key.find('@') == std::string::npos;

    if (by_tag) {
        if (!users.empty() && !options.force && tags.size() == 1) {
            return Error("conflict: unable to remove repository reference \"" + std::string(ref) +
                         "\" (must force) - container " + users.front() + " is using its referenced image " +
                         short_id);
        }
        size_t colon = key.rfind(':');
        index.untag(key.substr(0, colon), key.substr(colon + 1));
        report.untagged.push_back(familiar_tag(key));
        TRY(save_index(index));
        if (tags.size() > 1 || !users.empty()) return report;
    } else {
        if (tags.size() > 1 && !options.force) {
            return Error("conflict: unable to delete " + short_id +
                         " (must be forced) - image is referenced in multiple repositories");
        }
        if (!users.empty() && !options.force) {
            return Error("conflict: unable to delete " + short_id + " (must be forced) - image is being used by container " +
                         users.front());
        }
        index.untag_all(id, report.untagged);
        TRY(save_index(index));
        if (!users.empty()) return report;
    }
    std::filesystem::path file = root_.images_dir() / (id.substr(7) + ".json");
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) return Error::from_syscall("unlink", errno, file.string());
    report.deleted.push_back(id);
    TRY(collect_garbage());
    return report;
}

Result<PruneReport> ImageStore::prune(bool all) const {
    auto gc = TRY(root_.gc_lock());
    auto lock = TRY(root_.lock());
    Index index = TRY(load_index());
    PruneReport report;
    for (const auto& id : TRY(record_ids(root_.images_dir()))) {
        if (!all && !index.tags_of(id).empty()) continue;
        if (!users_of(id).empty()) continue;
        index.untag_all(id, report.untagged);
        std::filesystem::path file = root_.images_dir() / (id.substr(7) + ".json");
        if (::unlink(file.c_str()) != 0 && errno != ENOENT) return Error::from_syscall("unlink", errno, file.string());
        report.deleted.push_back(id);
    }
    TRY(save_index(index));
    report.reclaimed_bytes = TRY(collect_garbage());
    return report;
}

Result<int64_t> ImageStore::collect_garbage() const {
    // Callers hold the GC lock and the root lock: no import has content in flight.
    Index index = TRY(load_index());
    std::set<std::string> blobs, diff_ids;
    for (const auto& id : TRY(record_ids(root_.images_dir()))) {
        // An unreadable record stops the collection: its content must not be lost.
        auto r = read_record(id, index);
        if (!r.ok()) return std::move(r).error().context("garbage collection");
        blobs.insert(r->id);
        blobs.insert(r->manifest_digest);
        for (const auto& l : r->layers) {
            blobs.insert(l.digest);
            diff_ids.insert(l.diff_id);
        }
    }
    int64_t reclaimed = 0;
    for (const auto& digest : TRY(blobs_.list())) {
        if (blobs.count(digest)) continue;
        if (auto size = blobs_.size(digest); size.ok()) reclaimed += *size;
        TRY(blobs_.remove(digest));
    }
    for (const auto& diff_id : TRY(layers_.list())) {
        if (diff_ids.count(diff_id)) continue;
        if (auto info = layers_.get(diff_id); info.ok()) reclaimed += info->size;
        TRY(layers_.remove(diff_id));
    }
    TRY(layers_.remove_dangling_links());
    // Scratch left by killed imports and removals (only hako's own prefixes).
    DIR* d = ::opendir(root_.tmp_dir().c_str());
    if (d) {
        std::vector<std::string> stale;
        while (dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name.rfind("blob-", 0) == 0 || name.rfind("layer-", 0) == 0 || name.rfind("deleted-layer-", 0) == 0 ||
                name.rfind("deleted-container-", 0) == 0) {
                stale.push_back(name);
            }
        }
        ::closedir(d);
        for (const auto& name : stale) {
            std::error_code ec;
            std::filesystem::remove_all(root_.tmp_dir() / name, ec);
        }
    }
    return reclaimed;
}

}  // namespace hako::image
