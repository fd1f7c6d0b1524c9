// This file implements container_changes and commit_container (see commit.h).
#include "engine/container/commit.h"

#include <fcntl.h>
#include <unistd.h>

#include "engine/image/change.h"
#include "engine/image/oci.h"
#include "engine/sys/fd.h"
#include "engine/sys/clock.h"

namespace hako::container {

namespace fs = std::filesystem;

namespace {

fs::path upper_of(const ContainerStore& store, const ContainerRecord& record) { return store.dir(record.id) / "upper"; }

}  // namespace

Result<std::vector<image::Change>> container_changes(const ContainerStore& store, const ContainerRecord& record) {
    fs::path upper = upper_of(store, record);
    std::error_code ec;
    if (!fs::is_directory(upper, ec)) return std::vector<image::Change>{};
    auto images = TRY(image::ImageStore::open(store.root().path()));
    auto lower = TRY(images.layer_dirs(record.image_id));
    std::vector<fs::path> highest_first(lower.rbegin(), lower.rend());
    return image::list_changes(upper, highest_first);
}

Result<image::ImageRecord> commit_container(const ContainerStore& store, const ContainerRecord& record,
                                            const CommitRequest& request) {
    auto images = TRY(image::ImageStore::open(store.root().path()));
    image::ImageRecord base = TRY(images.record(record.image_id));
    image::ImageConfig config = TRY(images.config(record.image_id));
    // The container's own settings become the image's defaults, as docker commit does.
    auto& c = config.config;
    c.env = record.env;
    c.cmd = record.cmd.empty() ? std::nullopt : std::optional(record.cmd);
    c.entrypoint = record.entrypoint.empty() ? std::nullopt : std::optional(record.entrypoint);
    c.working_dir = record.working_dir;
    c.user = record.user;
    for (const auto& [k, v] : record.labels) c.labels[k] = v;
    for (const auto& change : request.changes) {
        auto applied = image::apply_change(c, change);
        if (!applied.ok()) return Error("--change \"" + change + "\": " + applied.error().message);
    }
    auto ingest = TRY(store.root().ingest_lock());
    std::vector<image::LayerRef> layers = base.layers;
    fs::path upper = upper_of(store, record);
    std::error_code ec;
    bool empty = !fs::is_directory(upper, ec) || TRY(image::upper_is_empty(upper));
    if (!empty) {
        auto tmp = TRY(store.root().make_temp("commit-"));
        fs::path tar = tmp.path() / "layer.tar";
        sys::UniqueFd fd(::open(tar.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!fd) return Error::from_syscall("open", errno, tar.string());
        TRY(image::write_layer_diff(upper, fd.get()));
        if (::lseek(fd.get(), 0, SEEK_SET) != 0) return Error::from_syscall("lseek", errno, tar.string());
        image::LayerRef layer = TRY(images.add_layer(fd.get(), "container " + record.name));
        layers.push_back(layer);
        config.diff_ids.push_back(layer.diff_id);
    }
    image::HistoryEntry history;
    history.created = sys::now_rfc3339();
    for (const auto& arg : record.args()) history.created_by += (history.created_by.empty() ? "" : " ") + arg;
    history.author = request.author;
    history.comment = request.message;
    history.empty_layer = empty;
    config.history.push_back(history);
    config.created = history.created;
    config.author = request.author;
    std::vector<std::string> tags;
    if (!request.reference.empty()) tags.push_back(request.reference);
    return images.commit(config, layers, tags);
}

}  // namespace hako::container
