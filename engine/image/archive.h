// This file implements image archives: `image save` writes the format docker save
// writes since Docker 25 (an OCI image layout — oci-layout, index.json, blobs/sha256 —
// plus docker's manifest.json, so both docker load and OCI tools read it), and
// `image load` reads that, the legacy docker save layout (<id>/layer.tar, <id>.json)
// and plain OCI archives. A load checks every blob against its digest and every layer
// against the config's diff ids before anything is stored.
#pragma once

#include <string>
#include <vector>

#include "engine/image/image_store.h"
#include "engine/sys/error.h"

namespace hako::image {

// Writes the images `refs` (names or ids) as one tar archive to `fd`. A ref given by
// name is saved with that tag; by id, untagged. Layers are written uncompressed, as
// docker save does.
Result<void> save_images(const ImageStore& store, const std::vector<std::string>& refs, int fd);

struct LoadedImage {
    std::string id;                 // "sha256:…"
    std::vector<std::string> tags;  // familiar "name:tag"
};

// Reads a docker-archive or OCI archive (plain tar, or compressed) from `fd` and adds
// its images. A corrupt, truncated or hostile archive is an error that names what is
// wrong, and leaves no image added.
Result<std::vector<LoadedImage>> load_images(const ImageStore& store, int fd);

}  // namespace hako::image
