// This file implements image save and load (archive.h). Load reads the whole archive
// first into unnamed files (small members in memory, large ones in O_TMPFILE files
// under ROOT/tmp), never onto a path, so a hostile member name cannot land anywhere;
// then checks every digest; only then stores layers and images.
#include "engine/image/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/image/reference.h"
#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/safe_path.h"

namespace hako::image {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
using sys::UniqueFd;

constexpr size_t kInMemoryLimit = 1 << 20;         // members up to this size stay in memory
constexpr size_t kInMemoryTotal = 256u << 20;      // … as long as they add up to less than this
constexpr size_t kMaxEntries = 100000;
constexpr size_t kMaxJson = 32u << 20;

struct ReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

std::string proc_fd(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<UniqueFd> anonymous_file(const store::StateRoot& root) {
    UniqueFd fd(::open(root.tmp_dir().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!fd) return Error::from_syscall("open O_TMPFILE", errno, root.tmp_dir().string());
    return fd;
}

Result<void> write_all(int fd, const char* data, size_t size, const char* what) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_syscall("write", errno, what);
        data += n;
        size -= size_t(n);
    }
    return ok();
}

// --- the archive's members ----------------------------------------------------------

struct Member {
    std::string data;  // when small
    UniqueFd fd;       // when large (an O_TMPFILE file)
    int64_t size = 0;
};

class Members {
public:
    Result<void> read(const store::StateRoot& root, int fd);
    bool has(const std::string& name) const { return find(name).ok(); }
    // The member's content (at most `max` bytes).
    Result<std::string> text(const std::string& name, size_t max = kMaxJson) const;
    // A readable fd of its own (own offset) on the member's content.
    Result<UniqueFd> open(const std::string& name) const;

private:
    Result<const Member*> find(const std::string& name) const;
    std::map<std::string, std::shared_ptr<Member>> files_;
    std::map<std::string, std::string> symlinks_;  // name → normalised target name
    const store::StateRoot* root_ = nullptr;
};

Result<std::string> normalise(const std::string& name) {
    auto parts = sys::split_confined(name);
    if (!parts.ok()) return Error("archive member \"" + name + "\" climbs out of the archive");
    return sys::join_components(*parts);
}

Result<void> Members::read(const store::StateRoot& root, int fd) {
    root_ = &root;
    std::unique_ptr<archive, ReadFree> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK)
        return Error(std::string("read image archive: ") + archive_error_string(a.get()));
    size_t in_memory = 0, entries = 0;
    std::vector<char> buffer(1 << 17);
    while (true) {
        archive_entry* e = nullptr;
        int rc = archive_read_next_header(a.get(), &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return Error(std::string("read image archive: ") + archive_error_string(a.get()));
        if (++entries > kMaxEntries) return Error("image archive has more than 100000 members");
        std::string raw = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
        std::string name = TRY(normalise(raw));
        if (const char* link = archive_entry_hardlink(e)) {
            auto target = files_.find(TRY(normalise(link)));
            if (target == files_.end()) return Error("image archive: hardlink \"" + raw + "\" to a missing member");
            files_[name] = target->second;
            continue;
        }
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFLNK) {
            std::string dir = name.find('/') == std::string::npos ? "" : name.substr(0, name.rfind('/'));
            const char* target = archive_entry_symlink(e);
            std::string joined = target && target[0] == '/' ? std::string(target) : dir + "/" + (target ? target : "");
            auto resolved = sys::split_confined(joined);
            if (resolved.ok()) symlinks_[name] = sys::join_components(*resolved);
            continue;  // a link out of the archive stays dangling: using it is an error
        }
        if (type != AE_IFREG) continue;
        auto member = std::make_shared<Member>();
        int64_t declared = archive_entry_size(e);
        bool small = declared >= 0 && size_t(declared) <= kInMemoryLimit && in_memory + size_t(declared) <= kInMemoryTotal;
        if (!small) member->fd = TRY(anonymous_file(root));
        while (true) {
            la_ssize_t n = archive_read_data(a.get(), buffer.data(), buffer.size());
            if (n < 0) return Error("read image archive: " + raw + ": " + archive_error_string(a.get()));
            if (n == 0) break;
            if (small) member->data.append(buffer.data(), size_t(n));
            else TRY(write_all(member->fd.get(), buffer.data(), size_t(n), "image archive member"));
            member->size += n;
        }
        if (small) in_memory += member->data.size();
        files_[name] = std::move(member);
    }
    return ok();
}

Result<const Member*> Members::find(const std::string& given) const {
    std::string name = TRY(normalise(given));
    for (int hops = 0; hops < 16; ++hops) {
        if (auto it = files_.find(name); it != files_.end()) return it->second.get();
        auto link = symlinks_.find(name);
        if (link == symlinks_.end()) break;
        name = link->second;
    }
    return Error("image archive has no member \"" + given + "\"");
}

Result<std::string> Members::text(const std::string& name, size_t max) const {
    const Member* m = TRY(find(name));
    if (size_t(m->size) > max) return Error("image archive member \"" + name + "\" is too large");
    if (!m->fd) return m->data;
    std::string out(size_t(m->size), '\0');
    if (::pread(m->fd.get(), out.data(), out.size(), 0) != ssize_t(out.size()))
        return Error::from_syscall("read", errno, name);
    return out;
}

Result<UniqueFd> Members::open(const std::string& name) const {
    const Member* m = TRY(find(name));
    if (m->fd) {
        UniqueFd fd(::open(proc_fd(m->fd.get()).c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) return Error::from_syscall("open", errno, name);
        return fd;
    }
    UniqueFd fd(::memfd_create("hako-archive-member", MFD_CLOEXEC));
    if (!fd) return Error::from_syscall("memfd_create", errno, name);
    TRY(write_all(fd.get(), m->data.data(), m->data.size(), name.c_str()));
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) return Error::from_syscall("lseek", errno, name);
    return fd;
}

// --- digests of a layer: of the blob as it is, and of its uncompressed tar ---------

struct LayerDigests {
    std::string blob_digest;
    int64_t blob_size = 0;
    std::string diff_id;
};

struct HashingSource {
    int fd;
    sys::Sha256 hash;
    int64_t bytes = 0;
    std::vector<char> buffer = std::vector<char>(1 << 17);
};

la_ssize_t hashing_read(archive* a, void* context, const void** block) {
    auto* s = static_cast<HashingSource*>(context);
    while (true) {
        ssize_t n = ::read(s->fd, s->buffer.data(), s->buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            archive_set_error(a, errno, "read failed");
            return -1;
        }
        s->hash.update(s->buffer.data(), size_t(n));
        s->bytes += n;
        *block = s->buffer.data();
        return n;
    }
}

// Reads `fd` to its end once: the digest of its bytes, and (when `out_fd` >= 0, also
// writing it there) the digest of its decompressed content.
Result<LayerDigests> digest_layer(int fd, int out_fd, const std::string& what) {
    HashingSource source{fd, {}, 0, std::vector<char>(1 << 17)};
    std::unique_ptr<archive, ReadFree> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_raw(a.get());
    archive_read_support_format_empty(a.get());
    if (archive_read_open(a.get(), &source, nullptr, hashing_read, nullptr) != ARCHIVE_OK)
        return Error(what + ": " + archive_error_string(a.get()));
    sys::Sha256 diff;
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_OK || rc == ARCHIVE_WARN) {
        std::vector<char> buffer(1 << 17);
        while (true) {
            la_ssize_t n = archive_read_data(a.get(), buffer.data(), buffer.size());
            if (n < 0) return Error(what + ": " + archive_error_string(a.get()));
            if (n == 0) break;
            diff.update(buffer.data(), size_t(n));
            if (out_fd >= 0) TRY(write_all(out_fd, buffer.data(), size_t(n), what.c_str()));
        }
    } else if (rc != ARCHIVE_EOF) {
        return Error(what + ": " + archive_error_string(a.get()));
    }
    // Whatever the decompressor did not need still counts for the blob digest.
    while (true) {
        const void* block = nullptr;
        la_ssize_t n = hashing_read(a.get(), &source, &block);
        if (n < 0) return Error::from_syscall("read", errno, what);
        if (n == 0) break;
    }
    LayerDigests d;
    d.blob_digest = source.hash.digest_final();
    d.blob_size = source.bytes;
    d.diff_id = diff.digest_final();
    return d;
}

// --- load --------------------------------------------------------------------------

struct PlannedImage {
    std::string config_json;
    std::vector<std::string> layer_members;
    std::vector<std::string> tags;  // as the archive names them
};

std::string blob_member(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

// The config's diff ids, checked against the layer members' content.
Result<void> check_layers(const Members& members, PlannedImage& image, const std::string& where,
                          const std::vector<std::string>& expected_blob_digests) {
    auto config = parse_image_config(image.config_json);
    if (!config.ok()) return std::move(config).error().context(where + ": config");
    if (config->diff_ids.size() != image.layer_members.size())
        return Error(where + ": the config lists " + std::to_string(config->diff_ids.size()) + " layers, the archive " +
                     std::to_string(image.layer_members.size()));
    for (size_t i = 0; i < image.layer_members.size(); ++i) {
        const std::string& name = image.layer_members[i];
        UniqueFd fd = TRY(members.open(name));
        LayerDigests d = TRY(digest_layer(fd.get(), -1, name));
        if (i < expected_blob_digests.size() && d.blob_digest != expected_blob_digests[i])
            return Error(where + ": layer " + name + " has digest " + d.blob_digest + ", the manifest says " +
                         expected_blob_digests[i]);
        if (d.diff_id != config->diff_ids[i])
            return Error(where + ": layer " + name + " unpacks to " + d.diff_id + ", the config says " + config->diff_ids[i]);
    }
    return ok();
}

Result<std::vector<PlannedImage>> plan_docker_archive(const Members& members) {
    std::string where = "manifest.json";
    json manifest = json::parse(TRY(members.text("manifest.json")), nullptr, false);
    if (manifest.is_discarded() || !manifest.is_array()) return Error("image archive: manifest.json is not a JSON array");
    std::vector<PlannedImage> out;
    for (const auto& entry : manifest) {
        if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() || !entry.contains("Layers") ||
            !entry["Layers"].is_array())
            return Error("image archive: manifest.json: an entry without Config or Layers");
        PlannedImage image;
        std::string config_name = entry["Config"].get<std::string>();
        image.config_json = TRY(members.text(config_name));
        // The config's name says its digest in both layouts: <hex>.json, blobs/sha256/<hex>.
        std::string digest = sys::sha256_digest(image.config_json);
        std::string base = config_name.substr(config_name.rfind('/') + 1);
        if (base.size() > 5 && base.compare(base.size() - 5, 5, ".json") == 0) base.resize(base.size() - 5);
        if (base.size() == 64 && sys::is_hex(base) && digest != "sha256:" + base)
            return Error("image archive: config " + config_name + " has digest " + digest);
        for (const auto& layer : entry["Layers"]) {
            if (!layer.is_string()) return Error("image archive: manifest.json: a layer that is not a name");
            image.layer_members.push_back(layer.get<std::string>());
        }
        if (entry.contains("RepoTags") && entry["RepoTags"].is_array()) {
            for (const auto& tag : entry["RepoTags"]) {
                if (!tag.is_string()) continue;
                TRY(parse_reference_with_default_tag(tag.get<std::string>()));
                image.tags.push_back(tag.get<std::string>());
            }
        }
        std::vector<std::string> blob_digests;
        for (const auto& name : image.layer_members) {
            // OCI-layout members are named by their digest; legacy ones are not.
            std::string n = TRY(normalise(name));
            blob_digests.push_back(n.rfind("blobs/sha256/", 0) == 0 ? "sha256:" + n.substr(13) : std::string());
        }
        // Legacy members carry no digest: compare only the named ones.
        bool all_named = std::none_of(blob_digests.begin(), blob_digests.end(), [](const auto& d) { return d.empty(); });
        TRY(check_layers(members, image, where, all_named ? blob_digests : std::vector<std::string>{}));
        out.push_back(std::move(image));
    }
    return out;
}

// Reads a blob of the OCI layout and checks it against its descriptor.
Result<std::string> oci_blob_text(const Members& members, const json& descriptor) {
    std::string digest = descriptor.value("digest", "");
    TRY(sys::digest_hex(digest));
    std::string text = TRY(members.text(blob_member(digest)));
    if (sys::sha256_digest(text) != digest) return Error("image archive: blob " + digest + " does not match its digest");
    if (descriptor.contains("size") && descriptor["size"].is_number_integer() &&
        descriptor["size"].get<int64_t>() != int64_t(text.size()))
        return Error("image archive: blob " + digest + " does not have the size its descriptor says");
    return text;
}

Result<std::vector<PlannedImage>> plan_oci_archive(const Members& members) {
    json index = json::parse(TRY(members.text("index.json")), nullptr, false);
    if (index.is_discarded() || !index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
        return Error("image archive: index.json is not an OCI image index");
    std::vector<PlannedImage> out;
    for (json descriptor : index["manifests"]) {
        if (!descriptor.is_object()) return Error("image archive: index.json: a manifest entry that is not an object");
        std::vector<std::string> tags;
        if (descriptor.contains("annotations") && descriptor["annotations"].is_object()) {
            const json& notes = descriptor["annotations"];
            std::string name = notes.value("io.containerd.image.name", "");
            std::string ref = notes.value("org.opencontainers.image.ref.name", "");
            if (name.empty() && (ref.find(':') != std::string::npos || ref.find('/') != std::string::npos)) name = ref;
            if (!name.empty() && parse_reference_with_default_tag(name).ok()) tags.push_back(name);
        }
        std::string media = descriptor.value("mediaType", "");
        if (media == media_type::kIndex || media == media_type::kDockerManifestList) {
            json nested = json::parse(TRY(oci_blob_text(members, descriptor)), nullptr, false);
            if (nested.is_discarded() || !nested.contains("manifests") || !nested["manifests"].is_array())
                return Error("image archive: nested index " + descriptor.value("digest", "") + " is not an index");
            json chosen;
            for (const auto& m : nested["manifests"]) {
                if (!m.is_object() || !m.contains("platform") || !m["platform"].is_object()) continue;
                if (m["platform"].value("os", "") == "linux" && m["platform"].value("architecture", "") == host_architecture()) {
                    chosen = m;
                    break;
                }
            }
            if (chosen.is_null())
                return Error("image archive: no manifest for linux/" + host_architecture() + " in " + descriptor.value("digest", ""));
            descriptor = chosen;
        }
        std::string where = "manifest " + descriptor.value("digest", "");
        auto manifest = parse_manifest(TRY(oci_blob_text(members, descriptor)));
        if (!manifest.ok()) return std::move(manifest).error().context(where);
        PlannedImage image;
        json config_descriptor = {{"digest", manifest->config.digest}, {"size", manifest->config.size}};
        image.config_json = TRY(oci_blob_text(members, config_descriptor));
        std::vector<std::string> digests;
        for (const auto& layer : manifest->layers) {
            TRY(sys::digest_hex(layer.digest));
            image.layer_members.push_back(blob_member(layer.digest));
            digests.push_back(layer.digest);
        }
        image.tags = std::move(tags);
        TRY(check_layers(members, image, where, digests));
        out.push_back(std::move(image));
    }
    return out;
}

// --- save --------------------------------------------------------------------------

class TarWriter {
public:
    static Result<TarWriter> open(int fd) {
        std::unique_ptr<archive, WriteFree> a(archive_write_new());
        if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK || archive_write_open_fd(a.get(), fd) != ARCHIVE_OK)
            return Error(std::string("write image archive: ") + archive_error_string(a.get()));
        return TarWriter(std::move(a));
    }
    Result<void> dir(const std::string& name) { return header(name + "/", AE_IFDIR, 0755, 0); }
    Result<void> file(const std::string& name, std::string_view data) {
        TRY(header(name, AE_IFREG, 0644, int64_t(data.size())));
        if (!data.empty() && archive_write_data(a_.get(), data.data(), data.size()) < 0) return error();
        return ok();
    }
    Result<void> file_from_fd(const std::string& name, int fd, int64_t size) {
        TRY(header(name, AE_IFREG, 0644, size));
        std::vector<char> buffer(1 << 17);
        int64_t left = size;
        while (left > 0) {
            ssize_t n = ::read(fd, buffer.data(), size_t(std::min<int64_t>(left, int64_t(buffer.size()))));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Error::from_syscall("read", errno, name);
            if (n == 0) return Error(name + ": the blob is shorter than its size");
            if (archive_write_data(a_.get(), buffer.data(), size_t(n)) < 0) return error();
            left -= n;
        }
        return ok();
    }
    Result<void> close() {
        if (archive_write_close(a_.get()) != ARCHIVE_OK) return error();
        return ok();
    }

private:
    explicit TarWriter(std::unique_ptr<archive, WriteFree> a) : a_(std::move(a)) {}
    Result<void> header(const std::string& name, mode_t type, mode_t mode, int64_t size) {
        std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
        archive_entry_set_pathname(e.get(), name.c_str());
        archive_entry_set_filetype(e.get(), type);
        archive_entry_set_perm(e.get(), mode);
        archive_entry_set_size(e.get(), size);
        archive_entry_set_mtime(e.get(), 0, 0);
        if (archive_write_header(a_.get(), e.get()) < ARCHIVE_WARN) return error();
        return ok();
    }
    Error error() { return Error(std::string("write image archive: ") + archive_error_string(a_.get())); }
    std::unique_ptr<archive, WriteFree> a_;
};

}  // namespace

Result<void> save_images(const ImageStore& store, const std::vector<std::string>& refs, int fd) {
    if (refs.empty()) return Error::usage("image save needs at least one image");
    // Shared GC lock: no image rm or prune collects a blob while it is written out.
    auto ingest = TRY(store.root().ingest_lock());
    std::vector<std::string> order;                          // image ids, first seen first
    std::map<std::string, std::vector<std::string>> tags;    // id → normalised name:tag
    std::map<std::string, ImageRecord> records;
    for (const auto& ref : refs) {
        ImageRecord record = TRY(store.resolve(ref));
        if (!records.count(record.id)) {
            order.push_back(record.id);
            records[record.id] = record;
        }
        auto parsed = parse_reference_with_default_tag(ref);
        if (parsed.ok() && parsed->digest.empty()) {
            std::string full = parsed->name() + ":" + parsed->tag;
            auto& list = tags[record.id];
            bool tagged = std::find(record.repo_tags.begin(), record.repo_tags.end(), full) != record.repo_tags.end();
            if (tagged && std::find(list.begin(), list.end(), full) == list.end()) list.push_back(full);
        }
    }
    TarWriter tar = TRY(TarWriter::open(fd));
    TRY(tar.dir("blobs"));
    TRY(tar.dir("blobs/sha256"));
    std::set<std::string> written;
    ojson manifest_json = ojson::array();
    ojson index_manifests = ojson::array();
    for (const auto& id : order) {
        const ImageRecord& record = records[id];
        std::string config_text = TRY(store.config_json(id));
        Manifest manifest;
        manifest.config = Descriptor{media_type::kConfig, id, int64_t(config_text.size())};
        ojson layer_names = ojson::array();
        for (const auto& layer : record.layers) {
            std::filesystem::path blob = TRY(store.blobs().path(layer.digest));
            UniqueFd blob_fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
            if (!blob_fd) return Error::from_syscall("open", errno, blob.string());
            // docker save writes layers uncompressed, named by their diff id.
            UniqueFd plain = TRY(anonymous_file(store.root()));
            LayerDigests d = TRY(digest_layer(blob_fd.get(), plain.get(), "layer " + layer.digest));
            if (d.diff_id != layer.diff_id)
                return Error("layer " + layer.digest + " of image " + id + " unpacks to " + d.diff_id + ", not " + layer.diff_id);
            struct stat st {};
            if (::fstat(plain.get(), &st) != 0) return Error::from_syscall("stat", errno, "layer");
            manifest.layers.push_back(Descriptor{media_type::kLayer, layer.diff_id, int64_t(st.st_size)});
            layer_names.push_back(blob_member(layer.diff_id));
            if (written.insert(layer.diff_id).second) {
                if (::lseek(plain.get(), 0, SEEK_SET) != 0) return Error::from_syscall("lseek", errno, "layer");
                TRY(tar.file_from_fd(blob_member(layer.diff_id), plain.get(), st.st_size));
            }
        }
        if (written.insert(id).second) TRY(tar.file(blob_member(id), config_text));
        std::string manifest_text = serialize(manifest);
        std::string manifest_digest = sys::sha256_digest(manifest_text);
        if (written.insert(manifest_digest).second) TRY(tar.file(blob_member(manifest_digest), manifest_text));

        ojson repo_tags = ojson::array();
        ojson descriptor = {{"mediaType", media_type::kManifest}, {"digest", manifest_digest},
                            {"size", int64_t(manifest_text.size())}};
        for (const auto& full : tags[id]) {
            Reference r = TRY(parse_reference_with_default_tag(full));
            repo_tags.push_back(r.familiar_name() + ":" + r.tag);
            ojson tagged = descriptor;
            tagged["annotations"] = {{"io.containerd.image.name", full}, {"org.opencontainers.image.ref.name", r.tag}};
            index_manifests.push_back(std::move(tagged));
        }
        if (tags[id].empty()) index_manifests.push_back(descriptor);
        manifest_json.push_back({{"Config", blob_member(id)},
                                 {"RepoTags", repo_tags.empty() ? ojson(nullptr) : repo_tags},
                                 {"Layers", layer_names}});
    }
    ojson index = {{"schemaVersion", 2}, {"mediaType", media_type::kIndex}, {"manifests", index_manifests}};
    TRY(tar.file("index.json", index.dump() + "\n"));
    TRY(tar.file("manifest.json", manifest_json.dump() + "\n"));
    TRY(tar.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"));
    return tar.close();
}

Result<std::vector<LoadedImage>> load_images(const ImageStore& store, int fd) {
    Members members;
    TRY(members.read(store.root(), fd));
    std::vector<PlannedImage> plan;
    if (members.has("manifest.json")) {
        plan = TRY(plan_docker_archive(members));
    } else if (members.has("index.json")) {
        plan = TRY(plan_oci_archive(members));
    } else {
        return Error("not an image archive: it has neither manifest.json (docker) nor index.json (OCI)");
    }
    if (plan.empty()) return Error("image archive holds no image");

    // Everything checked: store the layers and images.
    auto ingest = TRY(store.root().ingest_lock());
    std::vector<LoadedImage> loaded;
    for (const auto& image : plan) {
        std::vector<LayerRef> layers;
        for (const auto& name : image.layer_members) {
            UniqueFd layer_fd = TRY(members.open(name));
            layers.push_back(TRY(store.add_layer(layer_fd.get(), name)));
        }
        ImageRecord record = TRY(store.commit_verbatim(image.config_json, layers, image.tags));
        LoadedImage out;
        out.id = record.id;
        for (const auto& tag : image.tags) {
            Reference r = TRY(parse_reference_with_default_tag(tag));
            out.tags.push_back(r.familiar_name() + ":" + r.tag);
        }
        loaded.push_back(std::move(out));
    }
    return loaded;
}

}  // namespace hako::image
