// This file implements image_usage_check (image_usage.h).
#include "engine/container/image_usage.h"

namespace hako::container {

image::ImageStore::UsageCheck image_usage_check(const ContainerStore& store) {
    return [store](const std::string& image_id) {
        std::vector<std::string> users;
        auto all = store.list();
        if (!all.ok()) return std::vector<std::string>{"(unreadable container store: " + all.error().message + ")"};
        for (const auto& record : *all)
            if (record.image_id == image_id) users.push_back(record.id.substr(0, 12));
        return users;
    };
}

Result<image::ImageStore> open_image_store_with_usage(const std::filesystem::path& root) {
    auto images = TRY(image::ImageStore::open(root));
    auto containers = TRY(ContainerStore::open(root));
    images.set_usage_check(image_usage_check(containers));
    return images;
}

}  // namespace hako::container
