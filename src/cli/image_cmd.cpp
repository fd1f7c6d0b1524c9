// `hako image …`: import, ls, rm, tag, inspect, history and prune over the engine's
// image store, with docker's output shapes (tables, `--format json`, inspect JSON).
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/container/image_usage.h"
#include "engine/image/image_store.h"
#include "engine/image/reference.h"
#include "engine/image/registry.h"
#include "engine/sys/fd.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

using ojson = nlohmann::ordered_json;
using image::ImageRecord;
using image::ImageStore;

// The image store, told which images containers use (rm and prune keep those).
Result<ImageStore> open_store(const Context& ctx) {
    return container::open_image_store_with_usage(ctx.global.root.empty() ? store::kDefaultRoot : ctx.global.root);
}

// docker's units.HumanSizeWithPrecision(size, 3): decimal units.
std::string human_size(int64_t bytes) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double size = double(bytes);
    int unit = 0;
    while (size >= 1000.0 && unit < 5) {
        size /= 1000.0;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g%s", size, units[unit]);
    return buf;
}

// Seconds since the epoch of an RFC 3339 UTC time ("…Z"); 0 when unreadable.
time_t parse_time(const std::string& rfc3339) {
    struct tm tm {};
    if (!::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
    return ::timegm(&tm);
}

// docker's units.HumanDuration + " ago".
std::string since(const std::string& created) {
    time_t t = parse_time(created);
    if (t == 0) return "N/A";
    long long s = (long long)(::time(nullptr) - t);
    auto plural = [](long long n, const char* unit) {
        return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
    };
    std::string d;
    if (s < 1) d = "Less than a second";
    else if (s == 1) d = "1 second";
    else if (s < 60) d = plural(s, "second");
    else if (s / 60 == 1) d = "About a minute";
    else if (s / 60 < 60) d = plural(s / 60, "minute");
    else if (s / 3600 == 1) d = "About an hour";
    else if (s / 3600 < 48) d = plural(s / 3600, "hour");
    else if (s / 86400 < 14) d = plural(s / 86400, "day");
    else if (s / 86400 < 60) d = plural(s / (86400 * 7), "week");
    else if (s / 86400 < 365 * 2) d = plural(s / (86400 * 30), "month");
    else d = plural(s / (86400 * 365), "year");
    return d + " ago";
}

// "2024-05-01 10:00:00 +0000 UTC", as docker's CreatedAt.
std::string created_at(const std::string& created) {
    time_t t = parse_time(created);
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    return buf;
}

std::string familiar_tag(const std::string& name_and_tag) {
    size_t colon = name_and_tag.rfind(':');
    return image::familiar_name(name_and_tag.substr(0, colon)) + name_and_tag.substr(colon);
}

std::string with_newline(std::string text) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    return text;
}

// Fails the verb: prints the error and stores its exit status.
void fail(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

// ---- import ----
void add_import(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string source;
        std::string reference;
        std::vector<std::string> changes;
        std::string message;
        std::string platform;
        bool quiet = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("import", "Import a rootfs tarball (or - for stdin) as a one-layer image");
    cmd->add_option("file", f->source, "Tar archive: plain, gzip or zstd; - reads stdin")->required();
    cmd->add_option("reference", f->reference, "REPOSITORY[:TAG] for the new image");
    cmd->add_option("-c,--change", f->changes, "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, …)")
        ->allow_extra_args(false);
    cmd->add_option("-m,--message", f->message, "Set a commit message for the imported image");
    cmd->add_option("--platform", f->platform, "Set the platform (os/arch) of the image");
    cmd->add_flag("-q,--quiet", f->quiet, "Accepted for docker compatibility");
    cmd->callback([f, &ctx] {
        auto store = open_store(ctx);
        if (!store) return fail(ctx, std::move(store).error());
        image::ImportOptions options;
        options.changes = f->changes;
        options.message = f->message;
        options.source_name = f->source;
        if (!f->platform.empty()) {
            size_t slash = f->platform.find('/');
            options.os = f->platform.substr(0, slash);
            if (slash != std::string::npos) options.architecture = f->platform.substr(slash + 1);
        }
        sys::UniqueFd file;
        int fd = STDIN_FILENO;
        if (f->source != "-") {
            file.reset(::open(f->source.c_str(), O_RDONLY | O_CLOEXEC));
            if (!file) return fail(ctx, Error::from_syscall("open", errno, f->source));
            fd = file.get();
        }
        auto record = store->import(fd, f->reference, options);
        if (!record) return fail(ctx, std::move(record).error());
        std::cout << record->id << '\n';
        ctx.exit_status = 0;
    });
}

// ---- ls ----
void add_ls(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string filter;
        bool quiet = false;
        bool all = false;
        bool no_trunc = false;
        bool digests = false;
        std::string format = "table";
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("ls", "List images");
    cmd->alias("list");
    cmd->add_option("repository", f->filter, "Only images of REPOSITORY[:TAG]");
    cmd->add_flag("-q,--quiet", f->quiet, "Only show image IDs");
    cmd->add_flag("-a,--all", f->all, "Show all images (there are no intermediate images)");
    cmd->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
    cmd->add_flag("--digests", f->digests, "Show digests");
    cmd->add_option("--format", f->format, "Output format: table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->callback([f, &ctx] {
        auto store = open_store(ctx);
        if (!store) return fail(ctx, std::move(store).error());
        auto images = store->list();
        if (!images) return fail(ctx, std::move(images).error());
        std::optional<image::Reference> filter;
        if (!f->filter.empty()) {
            auto parsed = image::parse_reference(f->filter);
            if (!parsed) return fail(ctx, Error::usage(parsed.error().message));
            filter = parsed.value();
        }
        struct Row {
            const ImageRecord* image;
            std::string repository, tag;
        };
        std::vector<Row> rows;
        for (const auto& img : *images) {
            if (img.repo_tags.empty()) {
                if (!filter) rows.push_back({&img, "<none>", "<none>"});
                continue;
            }
            for (const auto& t : img.repo_tags) {
                size_t colon = t.rfind(':');
                std::string name = t.substr(0, colon), tag = t.substr(colon + 1);
                if (filter && (filter->name() != name || (!filter->tag.empty() && filter->tag != tag))) continue;
                rows.push_back({&img, image::familiar_name(name), tag});
            }
        }
        auto shown_id = [&](const ImageRecord& img) { return f->no_trunc ? img.id : img.short_id(); };
        std::string out;
        if (f->quiet) {
            std::set<std::string> seen;
            for (const auto& r : rows) {
                if (seen.insert(r.image->id).second) out += shown_id(*r.image) + "\n";
            }
        } else if (f->format == "json") {
            for (const auto& r : rows) {
                ojson j;
                j["Containers"] = "N/A";
                j["CreatedAt"] = created_at(r.image->created);
                j["CreatedSince"] = since(r.image->created);
                j["Digest"] = r.image->repo_digests.empty() ? "<none>" : r.image->repo_digests.front().substr(
                                                                              r.image->repo_digests.front().find('@') + 1);
                j["ID"] = shown_id(*r.image);
                j["Repository"] = r.repository;
                j["SharedSize"] = "N/A";
                j["Size"] = human_size(r.image->size);
                j["Tag"] = r.tag;
                j["UniqueSize"] = "N/A";
                j["VirtualSize"] = human_size(r.image->size);
                out += j.dump() + "\n";
            }
        } else {
            std::vector<std::vector<std::string>> table;
            if (f->digests) {
                table.push_back({"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"});
            } else {
                table.push_back({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
            }
            for (const auto& r : rows) {
                std::vector<std::string> row{r.repository, r.tag};
                if (f->digests) {
                    row.push_back(r.image->repo_digests.empty() ? "<none>" : r.image->repo_digests.front().substr(
                                                                                 r.image->repo_digests.front().find('@') + 1));
                }
                row.push_back(shown_id(*r.image));
                row.push_back(since(r.image->created));
                row.push_back(human_size(r.image->size));
                table.push_back(std::move(row));
            }
            out = with_newline(format_table(table));
        }
        std::cout << out << std::flush;
        ctx.exit_status = 0;
    });
}

// ---- rm ----
void add_rm(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::vector<std::string> images;
        bool force = false;
        bool no_prune = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("rm", "Remove one or more images");
    cmd->alias("remove");
    cmd->add_option("image", f->images, "Image name, id or id prefix")->required();
    cmd->add_flag("-f,--force", f->force, "Force removal of the image");
    cmd->add_flag("--no-prune", f->no_prune, "Accepted for docker compatibility");
    cmd->callback([f, &ctx] {
        auto store = open_store(ctx);
        if (!store) return fail(ctx, std::move(store).error());
        int status = 0;
        for (const auto& ref : f->images) {
            auto removed = store->remove(ref, {f->force});
            if (!removed) {
                status = report(Result<void>(std::move(removed).error()));
                continue;
            }
            for (const auto& u : removed->untagged) std::cout << "Untagged: " << u << '\n';
            for (const auto& d : removed->deleted) std::cout << "Deleted: " << d << '\n';
        }
        std::cout << std::flush;
        ctx.exit_status = status;
    });
}

// ---- tag ----
void add_tag(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string source, target;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
    cmd->add_option("source", f->source, "SOURCE_IMAGE[:TAG]")->required();
    cmd->add_option("target", f->target, "TARGET_IMAGE[:TAG]")->required();
    cmd->callback([f, &ctx] {
        auto store = open_store(ctx);
        if (!store) return fail(ctx, std::move(store).error());
        ctx.exit_status = report(store->tag(f->source, f->target));
    });
}

// ---- inspect ----
ojson inspect_json(const ImageStore& store, const ImageRecord& img, const image::ImageConfig& config) {
    const auto& c = config.config;
    auto list_or_null = [](const std::vector<std::string>& v) { return v.empty() ? ojson(nullptr) : ojson(v); };
    auto set_or_null = [](const std::set<std::string>& v) {
        if (v.empty()) return ojson(nullptr);
        ojson o = ojson::object();
        for (const auto& k : v) o[k] = ojson::object();
        return o;
    };
    ojson cfg;
    cfg["Hostname"] = "";
    cfg["Domainname"] = "";
    cfg["User"] = c.user;
    cfg["AttachStdin"] = false;
    cfg["AttachStdout"] = false;
    cfg["AttachStderr"] = false;
    if (!c.exposed_ports.empty()) cfg["ExposedPorts"] = set_or_null(c.exposed_ports);
    cfg["Tty"] = false;
    cfg["OpenStdin"] = false;
    cfg["StdinOnce"] = false;
    cfg["Env"] = list_or_null(c.env);
    cfg["Cmd"] = c.cmd ? ojson(*c.cmd) : ojson(nullptr);
    if (c.healthcheck) cfg["Healthcheck"] = image::to_json(c)["Healthcheck"];
    if (c.args_escaped) cfg["ArgsEscaped"] = true;
    cfg["Image"] = "";
    cfg["Volumes"] = set_or_null(c.volumes);
    cfg["WorkingDir"] = c.working_dir;
    cfg["Entrypoint"] = c.entrypoint ? ojson(*c.entrypoint) : ojson(nullptr);
    cfg["OnBuild"] = list_or_null(c.on_build);
    cfg["Labels"] = c.labels.empty() ? ojson(nullptr) : ojson(c.labels);
    if (!c.stop_signal.empty()) cfg["StopSignal"] = c.stop_signal;
    if (!c.shell.empty()) cfg["Shell"] = c.shell;

    ojson j;
    j["Id"] = img.id;
    ojson tags = ojson::array();
    for (const auto& t : img.repo_tags) tags.push_back(familiar_tag(t));
    j["RepoTags"] = tags;
    ojson digests = ojson::array();
    for (const auto& d : img.repo_digests) {
        size_t at = d.find('@');
        digests.push_back(image::familiar_name(d.substr(0, at)) + d.substr(at));
    }
    j["RepoDigests"] = digests;
    j["Parent"] = "";
    j["Comment"] = config.history.empty() ? "" : config.history.back().comment;
    j["Created"] = img.created;
    j["DockerVersion"] = "";
    j["Author"] = config.author;
    j["Config"] = cfg;
    j["Architecture"] = config.architecture;
    if (!config.variant.empty()) j["Variant"] = config.variant;
    j["Os"] = config.os;
    j["Size"] = img.size;
    ojson data = ojson::object();
    if (!img.layers.empty()) {
        std::string lower;
        for (size_t i = img.layers.size() - 1; i-- > 0;) {
            if (!lower.empty()) lower += ':';
            lower += store.layers().diff_dir(img.layers[i].diff_id).string();
        }
        if (!lower.empty()) data["LowerDir"] = lower;
        data["UpperDir"] = store.layers().diff_dir(img.layers.back().diff_id).string();
    }
    j["GraphDriver"] = ojson{{"Data", data}, {"Name", "overlay2"}};
    j["RootFS"] = ojson{{"Type", "layers"}, {"Layers", config.diff_ids}};
    ojson meta = ojson::object();
    if (!img.last_tag_time.empty()) meta["LastTagTime"] = img.last_tag_time;
    j["Metadata"] = meta;
    return j;
}

void add_inspect(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::vector<std::string> images;
        std::string format;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("inspect", "Display detailed information on one or more images");
    cmd->add_option("image", f->images, "Image name, id or id prefix")->required();
    cmd->add_option("-f,--format", f->format, "Output format: json (the default)")->check(CLI::IsMember({"json"}));
    cmd->callback([f, &ctx] {
        auto store = open_store(ctx);
        if (!store) return fail(ctx, std::move(store).error());
        ojson out = ojson::array();
        int status = 0;
        for (const auto& ref : f->images) {
            auto img = store->resolve(ref);
            if (!img) {
                status = report(Result<void>(std::move(img).error()));
                continue;
            }
            auto config = store->config(img->id);
            if (!config) {
                status = report(Result<void>(std::move(config).error()));
                continue;
            }
            out.push_back(inspect_json(*store, *img, *config));
        }
        std::cout << out.dump(4) << std::endl;
        ctx.exit_status = status;
    });
}

// ---- history ----
void add_history(CLI::App& noun, Context& ctx) {
    struct Flags {
        std::string image;
        bool no_trunc = false;
        bool quiet = false;
        std::string format = "table";
        bool human = true;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("history", "Show the history of an image");
    cmd->add_option("image", f->image, "Image name or id")->required();
    cmd->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
    cmd->add_flag("-q,--quiet", f->quiet, "Only show image IDs");
    cmd->add_option("-H,--human", f->human, "Print sizes and dates in human readable format");
    cmd->add_option("--format", f->format, "Output format: table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->callback([f, &ctx] {
        auto store = open_store(ctx);
        if (!store) return fail(ctx, std::move(store).error());
        auto img = store->resolve(f->image);
        if (!img) return fail(ctx, std::move(img).error());
        auto config = store->config(img->id);
        if (!config) return fail(ctx, std::move(config).error());
        struct Entry {
            image::HistoryEntry history;
            int64_t size;
        };
        std::vector<Entry> entries;
        size_t layer = 0;
        for (const auto& h : config->history) {
            int64_t size = 0;
            if (!h.empty_layer && layer < img->layers.size()) size = img->layers[layer++].unpacked_size;
            entries.push_back({h, size});
        }
        std::string out;
        std::vector<std::vector<std::string>> table{{"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"}};
        for (size_t i = entries.size(); i-- > 0;) {
            const auto& e = entries[i];
            bool top = i + 1 == entries.size();
            std::string id = top ? (f->no_trunc ? img->id : img->short_id()) : "<missing>";
            std::string created_by = e.history.created_by;
            if (!f->no_trunc && created_by.size() > 45) created_by = created_by.substr(0, 44) + "…";
            if (f->quiet) {
                out += id + "\n";
            } else if (f->format == "json") {
                ojson j;
                j["Comment"] = e.history.comment;
                j["CreatedAt"] = e.history.created;
                j["CreatedBy"] = created_by;
                j["CreatedSince"] = since(e.history.created);
                j["ID"] = id;
                j["Size"] = f->human ? human_size(e.size) : std::to_string(e.size);
                out += j.dump() + "\n";
            } else {
                table.push_back({id, f->human ? since(e.history.created) : e.history.created, created_by,
                                 f->human ? human_size(e.size) : std::to_string(e.size), e.history.comment});
            }
        }
        if (!f->quiet && f->format != "json") out = with_newline(format_table(table));
        std::cout << out << std::flush;
        ctx.exit_status = 0;
    });
}

// ---- prune ----
void add_prune(CLI::App& noun, Context& ctx) {
    struct Flags {
        bool all = false;
        bool force = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = noun.add_subcommand("prune", "Remove unused images");
    cmd->add_flag("-a,--all", f->all, "Remove all images no container uses, not just dangling ones");
    cmd->add_flag("-f,--force", f->force, "Do not prompt for confirmation");
    cmd->callback([f, &ctx] {
        if (!f->force && ::isatty(STDIN_FILENO)) {
            std::cout << (f->all ? "WARNING! This will remove all images without at least one container associated to them.\n"
                                 : "WARNING! This will remove all dangling images.\n")
                      << "Are you sure you want to continue? [y/N] " << std::flush;
            std::string answer;
            std::getline(std::cin, answer);
            if (answer != "y" && answer != "Y" && answer != "yes") {
                ctx.exit_status = 0;
                return;
            }
        }
        auto store = open_store(ctx);
        if (!store) return fail(ctx, std::move(store).error());
        auto report_result = store->prune(f->all);
        if (!report_result) return fail(ctx, std::move(report_result).error());
        // Partial layer downloads of pulls that were cut and never resumed.
        auto partial = image::prune_partial_downloads(*store);
        if (!partial) return fail(ctx, std::move(partial).error());
        report_result->reclaimed_bytes += *partial;
        if (!report_result->deleted.empty()) {
            std::cout << "Deleted Images:\n";
            for (const auto& u : report_result->untagged) std::cout << "untagged: " << u << '\n';
            for (const auto& d : report_result->deleted) std::cout << "deleted: " << d << '\n';
            std::cout << '\n';
        }
        std::cout << "Total reclaimed space: " << human_size(report_result->reclaimed_bytes) << std::endl;
        ctx.exit_status = 0;
    });
}

}  // namespace

void add_image_commands(CLI::App& app, Context& ctx) {
    CLI::App* noun = app.add_subcommand("image", "Manage images");
    noun->require_subcommand(1);
    add_import(*noun, ctx);
    add_ls(*noun, ctx);
    add_rm(*noun, ctx);
    add_tag(*noun, ctx);
    add_inspect(*noun, ctx);
    add_history(*noun, ctx);
    add_prune(*noun, ctx);
    add_image_build_commands(*noun, ctx);
    add_image_archive_commands(*noun, ctx);
}

}  // namespace hako::cli
