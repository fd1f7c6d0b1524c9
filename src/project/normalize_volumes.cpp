// This file implements the normalisation of one services.*.volumes entry:
// docker's short mount spec ("./data:/data:ro", "cache:/cache:rw,z", "/anon")
// becomes the long form {type, source, target, read_only, bind|volume|tmpfs},
// with bind sources made absolute, as `docker compose config` prints.
#include "src/project/normalize_detail.h"

namespace hako::project::detail {
namespace {

bool is_propagation(const std::string& option) {
    return option == "rprivate" || option == "private" || option == "rshared" || option == "shared" ||
           option == "rslave" || option == "slave";
}

std::optional<std::string> parse_short_volume(const std::string& spec, Json& volume) {
    if (spec.empty()) return "empty volume spec";
    // SOURCE:TARGET:OPTIONS at most; every section is checked for emptiness
    // before the count, as the messages have always been chosen.
    std::string_view fields[3];
    size_t count = 0;
    bool empty_field = false;
    const std::string_view text(spec);
    for (size_t start = 0;;) {
        size_t colon = text.find(':', start);
        std::string_view field = text.substr(start, colon == std::string_view::npos ? std::string_view::npos
                                                                                      : colon - start);
        empty_field |= field.empty();
        if (count < 3) fields[count] = field;
        ++count;
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    if (empty_field) return "empty section between colons";
    if (count > 3) return "too many colons";
    std::string_view source = count >= 2 ? fields[0] : std::string_view();
    std::string_view target = count >= 2 ? fields[1] : fields[0];
    volume = Json::object();
    auto& members = volume.get_ref<Json::object_t&>();
    if (!source.empty()) members.emplace("source", std::string(source));
    members.emplace("target", std::string(target));
    const bool bind = !source.empty() && (source[0] == '.' || source[0] == '/' || source[0] == '~');
    members.emplace("type", bind ? "bind" : "volume");
    if (bind) {
        // Short binds create a missing host path, as docker-compose always did.
        Json options = Json::object();
        options.get_ref<Json::object_t&>().emplace("create_host_path", true);
        members.emplace("bind", std::move(options));
    } else {
        members.emplace("volume", Json::object());
    }
    if (count == 3) {
        size_t position = 0;
        const std::string_view options = fields[2];
        while (position <= options.size()) {
            size_t comma = options.find(',', position);
            if (comma == std::string_view::npos) comma = options.size();
            std::string option(options.substr(position, comma - position));
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

    // One lookup per key (the map is searched once, not by contains() and again by []).
    auto& members = volume.get_ref<Json::object_t&>();
    const auto end = members.end();
    const std::string type = members.find("type")->second.get<std::string>();
    if (auto target = members.find("target"); target != end && target->second.is_string()) {
        target->second = clean_path(target->second.get_ref<const std::string&>());
    } else {
        context.error(path, "a volume needs a target");
    }
    if (type == "bind") {
        if (auto source = members.find("source"); source != end && source->second.is_string()) {
            source->second = context.absolute_path(source->second.get_ref<const std::string&>());
        } else {
            context.error(path, "a bind mount needs a source");
        }
    } else if (type == "volume" && members.find("volume") == end) {
        members.emplace("volume", Json::object());
    }
    if (auto read_only = members.find("read_only"); read_only != end && read_only->second == false)
        members.erase(read_only);
    if (auto bind = members.find("bind"); bind != end && bind->second.is_object() &&
                                          !bind->second.contains("create_host_path"))
        bind->second["create_host_path"] = true;
    if (auto tmpfs = members.find("tmpfs"); tmpfs != end && tmpfs->second.is_object() &&
                                            tmpfs->second.contains("size")) {
        Json& size = tmpfs->second["size"];
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
