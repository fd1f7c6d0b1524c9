// This file implements the normalisation of one services.*.volumes entry:
// docker's short mount spec ("./data:/data:ro", "cache:/cache:rw,z", "/anon")
// becomes the long form {type, source, target, read_only, bind|volume|tmpfs},
// with bind sources made absolute, as `docker compose config` prints.
#include "src/project/normalize_detail.h"

namespace hako::project::detail {
namespace {

bool is_file_path(const std::string& source) {
    return !source.empty() && (source[0] == '.' || source[0] == '/' || source[0] == '~');
}

bool is_propagation(const std::string& option) {
    return option == "rprivate" || option == "private" || option == "rshared" || option == "shared" ||
           option == "rslave" || option == "slave";
}

std::optional<std::string> parse_short_volume(const std::string& spec, Json& volume) {
    if (spec.empty()) return "empty volume spec";
    std::vector<std::string> fields;
    size_t start = 0;
    while (true) {
        size_t colon = spec.find(':', start);
        fields.push_back(spec.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    for (const auto& field : fields)
        if (field.empty()) return "empty section between colons";
    if (fields.size() > 3) return "too many colons";
    std::string source = fields.size() >= 2 ? fields[0] : "";
    std::string target = fields.size() >= 2 ? fields[1] : fields[0];
    volume = Json::object();
    if (!source.empty()) volume["source"] = source;
    volume["target"] = target;
    const bool bind = is_file_path(source);
    volume["type"] = bind ? "bind" : "volume";
    if (bind) {
        // Short binds create a missing host path, as docker-compose always did.
        volume["bind"] = {{"create_host_path", true}};
    } else {
        volume["volume"] = Json::object();
    }
    if (fields.size() == 3) {
        size_t position = 0;
        const std::string& options = fields[2];
        while (position <= options.size()) {
            size_t comma = options.find(',', position);
            if (comma == std::string::npos) comma = options.size();
            std::string option = options.substr(position, comma - position);
            position = comma + 1;
            if (option == "ro") {
                volume["read_only"] = true;
            } else if (option == "rw") {
                volume.erase("read_only");
            } else if (option == "nocopy") {
                volume["volume"]["nocopy"] = true;
            } else if (is_propagation(option)) {
                volume["bind"]["propagation"] = option;
            } else if (option == "z" || option == "Z") {
                volume["bind"]["selinux"] = option;
            }
            // Anything else ("cached", "delegated", …) is ignored, as compose does.
        }
    }
    return std::nullopt;
}

}  // namespace

Json normalize_volume(NormalizeContext& context, Json entry, const std::string& path) {
    Json volume;
    if (entry.is_string()) {
        const std::string& spec = entry.get_ref<const std::string&>();
        if (auto problem = parse_short_volume(spec, volume)) {
            context.error(path, "invalid volume \"" + spec + "\": " + *problem);
            return entry;
        }
    } else if (entry.is_object()) {
        volume = std::move(entry);
        if (!volume.contains("type") || !volume["type"].is_string()) {
            context.error(path, "a volume needs a type (bind, volume, tmpfs, image, npipe or cluster)");
            return volume;
        }
    } else {
        context.error(path, "a volume must be a string or a mapping");
        return entry;
    }

    const std::string type = volume["type"].get<std::string>();
    if (volume.contains("target") && volume["target"].is_string()) {
        volume["target"] = clean_path(volume["target"].get<std::string>());
    } else {
        context.error(path, "a volume needs a target");
    }
    if (type == "bind") {
        if (volume.contains("source") && volume["source"].is_string()) {
            volume["source"] = context.absolute_path(volume["source"].get<std::string>());
        } else {
            context.error(path, "a bind mount needs a source");
        }
    } else if (type == "volume" && !volume.contains("volume")) {
        volume["volume"] = Json::object();
    }
    if (volume.contains("read_only") && volume["read_only"] == false) volume.erase("read_only");
    if (volume.contains("bind") && volume["bind"].is_object() && !volume["bind"].contains("create_host_path"))
        volume["bind"]["create_host_path"] = true;
    if (volume.contains("tmpfs") && volume["tmpfs"].is_object() && volume["tmpfs"].contains("size")) {
        Json& size = volume["tmpfs"]["size"];
        std::optional<int64_t> bytes;
        if (size.is_number_integer() || size.is_number_unsigned()) bytes = size.get<int64_t>();
        if (size.is_string()) bytes = parse_size(size.get<std::string>());
        if (bytes) {
            size = std::to_string(*bytes);
        } else {
            context.error(path_join(path_join(path, "tmpfs"), "size"), "invalid size " + size.dump());
        }
    }
    return volume;
}

}  // namespace hako::project::detail
