// This file implements `extends` (see extends.h): services are resolved depth
// first with a chain of (file, service) pairs for cycle detection, bases from
// other files are loaded once per file and rebased to their own folder, and
// each service is merged over its base with marks kept for every value.
#include "src/project/extends.h"

#include <map>
#include <memory>
#include <set>

#include "src/project/merge.h"

namespace hako::project {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Relative paths

namespace {

bool is_relative_path(const std::string& p) {
    return !p.empty() && p[0] != '/' && p[0] != '~' && p[0] != '$';
}

std::string absolute_against(const fs::path& dir, const std::string& p) {
    if (!is_relative_path(p)) return p;
    std::string out = (dir / p).lexically_normal().string();
    if (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

// A build context or additional context that is not a local folder:
// URLs, git references, "service:name", "docker-image://…".
bool is_remote_context(const std::string& p) {
    if (p.find("://") != std::string::npos) return true;
    for (const char* prefix : {"github.com/", "git@", "service:"}) {
        if (p.rfind(prefix, 0) == 0) return true;
    }
    return false;
}

void absolute_string(Json& value, const fs::path& dir) {
    if (value.is_string()) value = absolute_against(dir, value.get<std::string>());
}

void absolute_string_or_list(Json& value, const fs::path& dir) {
    if (value.is_string()) {
        absolute_string(value, dir);
    } else if (value.is_array()) {
        for (auto& item : value) {
            if (item.is_string()) {
                absolute_string(item, dir);
            } else if (item.is_object() && item.contains("path")) {
                absolute_string(item["path"], dir);  // env_file: {path, required, format}
            }
        }
    }
}

void absolute_context(Json& value, const fs::path& dir) {
    if (value.is_string() && !is_remote_context(value.get<std::string>())) absolute_string(value, dir);
}

void absolute_build(Json& build, const fs::path& dir) {
    if (build.is_string()) {
        absolute_context(build, dir);
        return;
    }
    if (!build.is_object()) return;
    if (build.contains("context")) absolute_context(build["context"], dir);
    if (build.contains("additional_contexts")) {
        Json& contexts = build["additional_contexts"];
        if (contexts.is_object()) {
            for (auto& [name, value] : contexts.items()) absolute_context(value, dir);
        } else if (contexts.is_array()) {
            for (auto& item : contexts) {
                if (!item.is_string()) continue;
                std::string entry = item.get<std::string>();
                size_t eq = entry.find('=');
                if (eq == std::string::npos) continue;
                Json value = entry.substr(eq + 1);
                absolute_context(value, dir);
                item = entry.substr(0, eq + 1) + value.get<std::string>();
            }
        }
    }
}

// "./data:/data:ro" → "/dir/data:/data:ro"; "data:/data" names a volume.
void absolute_volume(Json& volume, const fs::path& dir) {
    if (volume.is_string()) {
        std::string spec = volume.get<std::string>();
        size_t colon = spec.find(':');
        if (colon == std::string::npos || spec[0] != '.') return;
        volume = absolute_against(dir, spec.substr(0, colon)) + spec.substr(colon);
    } else if (volume.is_object()) {
        auto type = volume.find("type");
        bool bind = type != volume.end() && type->is_string() && *type == "bind";
        if (bind && volume.contains("source")) absolute_string(volume["source"], dir);
    }
}

void absolute_service(Json& service, const fs::path& dir) {
    if (!service.is_object()) return;
    if (service.contains("build")) absolute_build(service["build"], dir);
    if (service.contains("env_file")) absolute_string_or_list(service["env_file"], dir);
    if (service.contains("label_file")) absolute_string_or_list(service["label_file"], dir);
    if (service.contains("volumes") && service["volumes"].is_array()) {
        for (auto& volume : service["volumes"]) absolute_volume(volume, dir);
    }
    if (service.contains("extends") && service["extends"].is_object() && service["extends"].contains("file")) {
        absolute_string(service["extends"]["file"], dir);
    }
    if (service.contains("develop") && service["develop"].is_object()) {
        Json& develop = service["develop"];
        if (develop.contains("watch") && develop["watch"].is_array()) {
            for (auto& rule : develop["watch"]) {
                if (rule.is_object() && rule.contains("path")) absolute_string(rule["path"], dir);
            }
        }
    }
}

}  // namespace

void make_paths_absolute(Json& model, const fs::path& dir) {
    if (!model.is_object()) return;
    if (model.contains("services") && model["services"].is_object()) {
        for (auto& [name, service] : model["services"].items()) absolute_service(service, dir);
    }
    for (const char* kind : {"secrets", "configs"}) {
        if (!model.contains(kind) || !model[kind].is_object()) continue;
        for (auto& [name, resource] : model[kind].items()) {
            if (resource.is_object() && resource.contains("file")) absolute_string(resource["file"], dir);
        }
    }
    if (model.contains("include") && model["include"].is_array()) {
        for (auto& entry : model["include"]) {
            if (entry.is_string()) {
                absolute_string(entry, dir);
            } else if (entry.is_object()) {
                if (entry.contains("path")) absolute_string_or_list(entry["path"], dir);
                if (entry.contains("project_directory")) absolute_string(entry["project_directory"], dir);
                if (entry.contains("env_file")) absolute_string_or_list(entry["env_file"], dir);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Resolution

namespace {

// A compose file whose services take part in extends.
struct SourceFile {
    Document* doc = nullptr;
    std::unique_ptr<Document> owned;  // files other than the one being resolved
    fs::path dir;                     // relative extends.file resolve against it
    std::string name;                 // for messages: the file's name
};

enum class State { Done, Failed };

struct ChainLink {
    const SourceFile* file;
    std::string service;
};

constexpr size_t kMaxDepth = 200;

class Resolver {
public:
    Resolver(Document& doc, const ExtendsOptions& options, Diagnostics& diagnostics)
        : options_(options), diagnostics_(diagnostics) {
        main_.doc = &doc;
        main_.dir = options.base_dir;
        main_.name = fs::path(doc.file).filename().string();
        if (doc.file != "-" && !doc.file.empty()) files_[key_of(doc.file)] = &main_;
    }

    void run() {
        Json& services = main_.doc->value["services"];
        std::vector<std::string> names;
        for (auto& [name, service] : services.items()) names.push_back(name);
        for (const auto& name : names) {
            std::vector<ChainLink> chain;
            resolve(main_, name, chain);
        }
    }

private:
    static std::string key_of(const fs::path& path) {
        std::error_code ec;
        fs::path canonical = fs::weakly_canonical(path, ec);
        return (ec ? path.lexically_normal() : canonical).string();
    }

    std::string describe(const SourceFile& file, const std::string& service, bool with_files) const {
        return with_files ? service + " (" + file.name + ")" : service;
    }

    void report_cycle(const std::vector<ChainLink>& chain, size_t start, const SourceFile& file,
                      const std::string& service) {
        bool several_files = false;
        for (size_t i = start; i < chain.size(); ++i) several_files |= chain[i].file != &file;
        std::string text;
        for (size_t i = start; i < chain.size(); ++i) text += describe(*chain[i].file, chain[i].service, several_files) + " -> ";
        text += describe(file, service, several_files);
        const ChainLink& last = chain.back();
        std::string at = path_join(path_join("services", last.service), "extends");
        diagnostics_.error(last.file->doc->marks.find(at), at, "extends cycle: " + text);
    }

    SourceFile* open(const fs::path& path, const Mark& mark, const std::string& at, const std::string& service) {
        std::string key = key_of(path);
        if (auto it = files_.find(key); it != files_.end()) return it->second;
        if (!options_.load_file) {
            diagnostics_.error(mark, at, "cannot extend service \"" + service + "\": no way to read " + path.string());
            return nullptr;
        }
        // A missing file is reported here, at its place; the loader's own
        // report of it would carry none.
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) {
            diagnostics_.error(mark, at, "cannot extend service \"" + service + "\": " + path.string() +
                                             (fs::exists(path, ec) ? " is not a file" : " not found"));
            return nullptr;
        }
        size_t errors_before = diagnostics_.error_count();
        auto loaded = options_.load_file(path);
        if (!loaded.ok()) {
            if (diagnostics_.error_count() == errors_before) {
                diagnostics_.error(mark, at, "cannot extend service \"" + service + "\": " + loaded.error().message);
            }
            return nullptr;
        }
        auto file = std::make_unique<SourceFile>();
        file->owned = std::make_unique<Document>();
        file->owned->file = path.string();
        // A file of several YAML documents: they merge in order, like -f files.
        auto& documents = loaded.value();
        for (size_t i = 0; i < documents.size(); ++i) {
            if (i == 0) {
                *file->owned = std::move(documents[0]);
                drop_reset_values(*file->owned);
            } else {
                merge_documents(*file->owned, std::move(documents[i]));
            }
        }
        file->doc = file->owned.get();
        file->dir = path.parent_path();
        file->name = path.filename().string();
        make_paths_absolute(file->doc->value, file->dir);
        SourceFile* raw = file.get();
        owned_files_.push_back(std::move(file));
        files_[key] = raw;
        return raw;
    }

    // Resolves services.<name> of `file` in place; false when it (or a base) failed.
    bool resolve(SourceFile& file, const std::string& name, std::vector<ChainLink>& chain) {
        auto state_key = std::make_pair(&file, name);
        if (auto it = state_.find(state_key); it != state_.end()) return it->second == State::Done;
        for (size_t i = 0; i < chain.size(); ++i) {
            if (chain[i].file == &file && chain[i].service == name) {
                report_cycle(chain, i, file, name);
                return false;
            }
        }
        bool ok = resolve_uncached(file, name, chain);
        state_[state_key] = ok ? State::Done : State::Failed;
        return ok;
    }

    bool resolve_uncached(SourceFile& file, const std::string& name, std::vector<ChainLink>& chain) {
        Document& doc = *file.doc;
        Json& service = doc.value["services"][name];
        if (!service.is_object() || !service.contains("extends")) return true;

        const std::string service_path = path_join("services", name);
        const std::string at = path_join(service_path, "extends");
        const Json& extends = service["extends"];
        std::string base_name;
        SourceFile* base_file = &file;
        if (extends.is_string()) {
            base_name = extends.get<std::string>();
        } else if (extends.is_object() && extends.contains("service") && extends["service"].is_string()) {
            base_name = extends["service"].get<std::string>();
            if (extends.contains("file")) {
                const std::string file_at = path_join(at, "file");
                if (!extends["file"].is_string()) {
                    diagnostics_.error_at(doc.marks, file_at, "must be a string");
                    return false;
                }
                fs::path path = extends["file"].get<std::string>();
                if (path.is_relative()) path = file.dir / path;
                base_file = open(path, doc.marks.find(file_at), file_at, name);
                if (!base_file) return false;
            }
        } else {
            diagnostics_.error_at(doc.marks, at, "must be a service name or a mapping with a `service` name");
            return false;
        }

        const Json& base_doc = base_file->doc->value;
        auto base_services = base_doc.is_object() ? base_doc.find("services") : base_doc.end();
        if (base_services == base_doc.end() || !base_services->is_object() || !base_services->contains(base_name)) {
            std::string where = base_file == &file ? "" : " in " + base_file->doc->file;
            std::string place = extends.is_object() ? path_join(at, "service") : at;
            diagnostics_.error_at(doc.marks, place,
                                  "cannot extend service \"" + name + "\": service \"" + base_name + "\" not found" + where);
            return false;
        }
        if (chain.size() >= kMaxDepth) {
            diagnostics_.error_at(doc.marks, at, "extends chain deeper than " + std::to_string(kMaxDepth) + " services");
            return false;
        }

        chain.push_back({&file, name});
        bool base_ok = resolve(*base_file, base_name, chain);
        chain.pop_back();
        if (!base_ok) return false;

        // The Compose merge of the base (as if an earlier file) and the local
        // service (as if a later one, with its !reset / !override tags), both
        // placed at services.<name> so marks and tags line up.
        const std::string base_path = path_join("services", base_name);
        const Json& base_value = base_file->doc->value["services"][base_name];
        Document base;
        base.file = base_file->doc->file;
        base.value["services"][name] = base_value.is_object() ? base_value : Json::object();
        base.marks.copy_subtree(base_path, service_path, base_file->doc->marks);
        Document local;
        local.file = doc.file;
        local.value["services"][name] = std::move(service);
        local.value["services"][name].erase("extends");
        local.marks.copy_subtree(service_path, service_path, doc.marks);
        for (auto it = doc.tags.lower_bound(service_path); it != doc.tags.end(); ++it) {
            const std::string& tagged = it->first;
            if (tagged.compare(0, service_path.size(), service_path) != 0) break;
            char next = tagged.size() > service_path.size() ? tagged[service_path.size()] : '.';
            if (next == '.' || next == '[') local.tags.insert(*it);
        }
        merge_documents(base, std::move(local));

        // The service itself stays where it is written. Marks of paths the
        // merge dropped (the `extends` key) stay behind, unused: dropping them
        // would cost a pass over every mark of the file per service.
        if (auto own = doc.marks.find_exact(service_path)) base.marks.set(service_path, std::move(*own));
        doc.marks.copy_subtree(service_path, service_path, base.marks);
        service = std::move(base.value["services"][name]);
        return true;
    }

    const ExtendsOptions& options_;
    Diagnostics& diagnostics_;
    SourceFile main_;
    std::map<std::string, SourceFile*> files_;
    std::vector<std::unique_ptr<SourceFile>> owned_files_;
    std::map<std::pair<const SourceFile*, std::string>, State> state_;
};

}  // namespace

void apply_extends(Document& doc, const ExtendsOptions& options, Diagnostics& diagnostics) {
    if (!doc.value.is_object() || !doc.value.contains("services") || !doc.value["services"].is_object()) return;
    Resolver resolver(doc, options, diagnostics);
    resolver.run();
}

}  // namespace hako::project
