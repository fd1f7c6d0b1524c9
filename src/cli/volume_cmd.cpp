// `hako volume …` (create, ls, inspect, rm, prune) over the engine's volume store,
// with docker's output shapes, and the mount flags of container run/create
// (-v/--volume, --tmpfs, --mount, --volumes-from).
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "engine/store/state_root.h"
#include "engine/volume/mount_spec.h"
#include "engine/volume/volume_store.h"
#include "src/cli/context.h"
#include "src/cli/output.h"
#include "src/cli/run_flags.h"

namespace hako::cli {

namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;
using volume::VolumeRecord;

fs::path root_of(const Context& ctx) { return ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root; }

void fail(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

Result<std::map<std::string, std::string>> key_values(const std::vector<std::string>& entries, const char* flag) {
    std::map<std::string, std::string> out;
    for (const auto& entry : entries) {
        size_t eq = entry.find('=');
        if (eq == 0) return Error::usage(std::string("invalid ") + flag + " '" + entry + "': no key");
        out[entry.substr(0, eq)] = eq == std::string::npos ? "" : entry.substr(eq + 1);
    }
    return out;
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
    std::string text;
    for (const auto& [key, value] : labels) text += (text.empty() ? "" : ",") + key + "=" + value;
    return text;
}

ojson inspect_json(const VolumeRecord& v) {
    return {{"CreatedAt", v.created},
            {"Driver", v.driver},
            {"Labels", v.labels.empty() ? ojson(nullptr) : ojson(v.labels)},
            {"Mountpoint", v.mountpoint},
            {"Name", v.name},
            {"Options", v.driver_opts.empty() ? ojson(nullptr) : ojson(v.driver_opts)},
            {"Scope", "local"}};
}

// The little of Go templates that scripts use: {{.Field}} and {{json .Field}}.
std::string render_template(const std::string& format, const ojson& object) {
    static const std::regex field(R"(\{\{\s*(json\s+)?\.(\w+)\s*\}\})");
    std::string out;
    auto begin = std::sregex_iterator(format.begin(), format.end(), field);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        out += format.substr(last, static_cast<size_t>(it->position()) - last);
        const ojson* value = object.contains((*it)[2].str()) ? &object[(*it)[2].str()] : nullptr;
        if ((*it)[1].matched) out += value ? value->dump() : "null";
        else if (!value || value->is_null()) out += value ? "<no value>" : "";
        else if (value->is_string()) out += value->get<std::string>();
        else if (value->is_object()) {
            std::string text;
            for (const auto& [k, v] : value->items()) text += (text.empty() ? "map[" : " ") + k + ":" + v.get<std::string>();
            out += text.empty() ? "map[]" : text + "]";
        } else out += value->dump();
        last = static_cast<size_t>(it->position() + it->length());
    }
    std::string rest = format.substr(last);
    // Go templates understand \n and \t in the format string as written on a shell.
    for (size_t at; (at = rest.find("\\n")) != std::string::npos;) rest.replace(at, 2, "\n");
    return out + rest;
}

// ---- create ----
void add_create(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string name, driver = "local";
        std::vector<std::string> labels, options;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("create", "Create a volume");
    cmd->add_option("name", f->name, "Volume name (a random one when omitted)");
    cmd->add_option("-d,--driver", f->driver, "Volume driver (local)");
    cmd->add_option("--label", f->labels, "Set metadata KEY=VALUE")->allow_extra_args(false);
    cmd->add_option("-o,--opt", f->options, "Driver options: type=tmpfs|none|FS, device=…, o=…")->allow_extra_args(false);
    cmd->callback([f, &ctx] {
        volume::VolumeSpec spec;
        spec.name = f->name;
        spec.driver = f->driver;
        auto labels = key_values(f->labels, "--label");
        if (!labels) return fail(ctx, std::move(labels).error());
        auto options = key_values(f->options, "--opt");
        if (!options) return fail(ctx, std::move(options).error());
        spec.labels = *labels;
        spec.driver_opts = *options;
        auto created = volume::create_volume(root_of(ctx), spec);
        if (!created) return fail(ctx, std::move(created).error());
        std::cout << created->name << '\n';
        ctx.exit_status = 0;
    });
}

// ---- ls ----
struct Filters {
    std::vector<std::string> labels;
    std::optional<bool> dangling;
    std::vector<std::string> names;
    std::string driver;
};

Result<Filters> parse_filters(const std::vector<std::string>& entries) {
    Filters filters;
    for (const auto& entry : entries) {
        size_t eq = entry.find('=');
        std::string key = entry.substr(0, eq), value = eq == std::string::npos ? "" : entry.substr(eq + 1);
        if (key == "label") filters.labels.push_back(value);
        else if (key == "label!") filters.labels.push_back("!" + value);
        else if (key == "name") filters.names.push_back(value);
        else if (key == "driver") filters.driver = value;
        else if (key == "dangling") {
            if (value != "true" && value != "false" && value != "1" && value != "0")
                return Error::usage("invalid filter 'dangling=" + value + "': want true or false");
            filters.dangling = value == "true" || value == "1";
        } else {
            return Error::usage("invalid filter '" + key + "' (label, name, driver, dangling)");
        }
    }
    return filters;
}

Result<bool> matches(const fs::path& root, const VolumeRecord& v, const Filters& filters) {
    for (std::string filter : filters.labels) {
        bool negate = !filter.empty() && filter[0] == '!';
        if (negate) filter.erase(0, 1);
        size_t eq = filter.find('=');
        auto it = v.labels.find(filter.substr(0, eq));
        bool match = it != v.labels.end() && (eq == std::string::npos || it->second == filter.substr(eq + 1));
        if (match == negate) return false;
    }
    if (!filters.names.empty()) {
        bool any = false;
        for (const auto& name : filters.names) any = any || v.name.find(name) != std::string::npos;
        if (!any) return false;
    }
    if (!filters.driver.empty() && filters.driver != v.driver) return false;
    if (filters.dangling) {
        bool dangling = TRY(volume::volume_users(root, v.name)).empty();
        if (dangling != *filters.dangling) return false;
    }
    return true;
}

void add_ls(CLI::App& noun, Context& ctx) {
    struct Flags {
        bool quiet = false;
        std::string format = "table";
        std::vector<std::string> filters;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("ls", "List volumes");
    cmd->alias("list");
    cmd->add_flag("-q,--quiet", f->quiet, "Only display volume names");
    cmd->add_option("--format", f->format, "table, json or a {{.Field}} template");
    cmd->add_option("-f,--filter", f->filters, "label=KEY[=VALUE], name=…, driver=…, dangling=true|false")
        ->allow_extra_args(false);
    cmd->callback([f, &ctx] {
        auto filters = parse_filters(f->filters);
        if (!filters) return fail(ctx, std::move(filters).error());
        auto volumes = volume::list_volumes(root_of(ctx));
        if (!volumes) return fail(ctx, std::move(volumes).error());
        std::vector<std::vector<std::string>> table = {{"DRIVER", "VOLUME NAME"}};
        std::string out;
        for (const auto& v : *volumes) {
            auto keep = matches(root_of(ctx), v, *filters);
            if (!keep) return fail(ctx, std::move(keep).error());
            if (!*keep) continue;
            ojson line = {{"Availability", "N/A"}, {"Driver", v.driver},         {"Group", "N/A"},
                          {"Labels", labels_text(v.labels)}, {"Links", "N/A"}, {"Mountpoint", v.mountpoint},
                          {"Name", v.name},          {"Scope", "local"},        {"Size", "N/A"},
                          {"Status", "N/A"}};
            if (f->quiet) out += v.name + "\n";
            else if (f->format == "json") out += line.dump() + "\n";
            else if (f->format == "table") table.push_back({v.driver, v.name});
            else out += render_template(f->format, line) + "\n";
        }
        if (!f->quiet && f->format == "table") out = format_table(table);
        if (!out.empty() && out.back() != '\n') out += '\n';
        std::cout << out;
        ctx.exit_status = 0;
    });
}

// ---- inspect ----
void add_inspect(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::vector<std::string> names;
        std::string format;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("inspect", "Display detailed information on one or more volumes");
    cmd->add_option("name", f->names, "Volume names")->required();
    cmd->add_option("-f,--format", f->format, "json (the default) or a {{.Field}} template");
    cmd->callback([f, &ctx] {
        ojson out = ojson::array();
        std::string text;
        int status = 0;
        for (const auto& name : f->names) {
            auto v = volume::find_volume(root_of(ctx), name);
            if (!v) {
                status = report(Result<void>(Error("No such volume: " + name)));
                continue;
            }
            out.push_back(inspect_json(*v));
            if (!f->format.empty() && f->format != "json") text += render_template(f->format, out.back()) + "\n";
        }
        if (!f->format.empty() && f->format != "json") std::cout << text;
        else if (!out.empty() || status == 0) std::cout << out.dump(4) << std::endl;
        ctx.exit_status = status;
    });
}

// ---- rm ----
void add_rm(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::vector<std::string> names;
        bool force = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("rm", "Remove one or more volumes (never one a container uses)");
    cmd->alias("remove");
    cmd->add_option("name", f->names, "Volume names")->required();
    cmd->add_flag("-f,--force", f->force, "Do not fail on an unknown volume");
    cmd->callback([f, &ctx] {
        int status = 0;
        for (const auto& name : f->names) {
            auto removed = volume::remove_volume(root_of(ctx), name, f->force);
            if (!removed) {
                status = report(removed);
                continue;
            }
            std::cout << name << '\n';
        }
        ctx.exit_status = status;
    });
}

// ---- prune ----
std::string human_size(uint64_t bytes) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double size = static_cast<double>(bytes);
    int unit = 0;
    while (size >= 1000.0 && unit < 4) {
        size /= 1000.0;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g%s", size, units[unit]);
    return buf;
}

void add_prune(CLI::App& noun, Context& ctx) {
    struct Flags {
        bool all = false, force = false;
        std::vector<std::string> filters;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("prune", "Remove unused anonymous volumes (all unused ones with -a)");
    cmd->add_flag("-a,--all", f->all, "Remove named volumes too");
    cmd->add_flag("-f,--force", f->force, "Do not prompt (hako never prompts)");
    cmd->add_option("--filter", f->filters, "label=KEY[=VALUE], label!=…")->allow_extra_args(false);
    cmd->callback([f, &ctx] {
        std::vector<std::string> labels;
        for (const auto& filter : f->filters) {
            if (filter.rfind("label=", 0) == 0) labels.push_back(filter.substr(6));
            else if (filter.rfind("label!=", 0) == 0) labels.push_back("!" + filter.substr(7));
            else if (filter.rfind("all=", 0) == 0) f->all = f->all || filter == "all=true" || filter == "all=1";
            else return fail(ctx, Error::usage("invalid filter '" + filter + "' (label, label!, all)"));
        }
        auto before = volume::list_volumes(root_of(ctx));
        if (!before) return fail(ctx, std::move(before).error());
        std::map<std::string, uint64_t> sizes;
        for (const auto& v : *before) sizes[v.name] = volume::volume_size(v);
        auto removed = volume::prune_volumes(root_of(ctx), f->all, labels);
        if (!removed) return fail(ctx, std::move(removed).error());
        uint64_t reclaimed = 0;
        if (!removed->empty()) std::cout << "Deleted Volumes:\n";
        for (const auto& name : *removed) {
            std::cout << name << '\n';
            reclaimed += sizes[name];
        }
        if (!removed->empty()) std::cout << '\n';
        std::cout << "Total reclaimed space: " << human_size(reclaimed) << '\n';
        ctx.exit_status = 0;
    });
}

// ---- container run/create flags ----
struct VolumeRunFlags : ModuleRunFlags {
    std::vector<std::string> volumes, tmpfs, mounts, volumes_from;
    Result<void> finish(const Context& ctx, container::CreateRequest& request) override {
        for (auto spec : volumes) {
            // docker's CLI makes "./x" and "../x" host paths absolute.
            size_t colon = spec.find(':');
            if (colon != std::string::npos && (spec[0] == '.'))
                spec = (ctx.working_directory / spec.substr(0, colon)).lexically_normal().string() + spec.substr(colon);
            TRY(volume::parse_volume_flag(spec));  // fail before anything else happens
            request.binds.push_back(spec);
        }
        for (const auto& spec : tmpfs) {
            TRY(volume::parse_tmpfs_flag(spec));
            request.tmpfs.push_back(spec);
        }
        for (const auto& spec : mounts) request.mounts.push_back(TRY(volume::parse_mount_flag(spec)));
        for (const auto& spec : volumes_from) request.mounts.push_back(TRY(volume::parse_volumes_from_flag(spec)));
        return ok();
    }
};

}  // namespace

std::shared_ptr<ModuleRunFlags> add_volume_run_flags(CLI::App* cmd) {
    auto flags = std::make_shared<VolumeRunFlags>();
    cmd->add_option("-v,--volume", flags->volumes, "Bind mount or volume: [HOST-PATH|NAME:]CONTAINER-PATH[:OPTIONS]")
        ->allow_extra_args(false);
    cmd->add_option("--tmpfs", flags->tmpfs, "Mount a tmpfs at PATH[:size=…,mode=…]")->allow_extra_args(false);
    cmd->add_option("--mount", flags->mounts, "type=bind|volume|tmpfs,source=…,target=…[,readonly][,…]")
        ->allow_extra_args(false);
    cmd->add_option("--volumes-from", flags->volumes_from, "Mount the volumes of CONTAINER[:ro|rw]")
        ->allow_extra_args(false);
    return flags;
}

void add_volume_commands(CLI::App& app, Context& ctx) {
    CLI::App* noun = app.add_subcommand("volume", "Manage volumes");
    noun->require_subcommand(1);
    add_create(*noun, ctx);
    add_ls(*noun, ctx);
    add_inspect(*noun, ctx);
    add_rm(*noun, ctx);
    add_prune(*noun, ctx);
}

}  // namespace hako::cli
