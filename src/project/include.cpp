// This file implements the top-level `include` (see include.h): each entry is
// loaded as a project of its own (folder, variables, nested includes, extends,
// multi-file merge), then its resources are added to the including document.
#include "src/project/include.h"

#include <map>
#include <system_error>

#include "src/project/dotenv.h"
#include "src/project/extends.h"
#include "src/project/merge.h"

namespace hako::project {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxIncludeDepth = 64;
// Includes may repeat without a cycle (a includes b twice, b includes c
// twice, …): a bound on files read keeps such a project from taking forever.
constexpr size_t kMaxIncludedFiles = 1000;

// One `include` entry, its relative paths resolved.
struct IncludeEntry {
    std::vector<fs::path> paths;
    fs::path project_dir;
    std::vector<fs::path> env_files;
    bool has_env_files = false;
};

std::string canonical_key(const fs::path& path) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    return (ec ? path.lexically_normal() : canonical).string();
}

fs::path against(const fs::path& dir, const std::string& path) {
    fs::path p(path);
    return (p.is_relative() ? dir / p : p).lexically_normal();
}

class Includer {
public:
    Includer(const IncludeOptions& options, Diagnostics& diagnostics, std::vector<std::string>* loaded_files)
        : options_(options), diagnostics_(diagnostics), loaded_files_(loaded_files) {}

    // Applies the include list of `doc`, whose project folder is `project_dir`
    // and variables `environment`; `chain` holds the files being included.
    void apply(Document& doc, const fs::path& project_dir, const Environment* environment,
               std::vector<std::string>& chain) {
        if (!doc.value.is_object()) return;
        auto found = doc.value.find("include");
        if (found == doc.value.end()) return;
        Json includes = std::move(*found);
        doc.value.erase("include");
        if (includes.is_null()) return;
        if (!includes.is_array()) {
            diagnostics_.error_at(doc.marks, "include", "must be a list");
            return;
        }
        for (size_t i = 0; i < includes.size(); ++i) {
            std::string at = path_index("include", i);
            auto entry = parse_entry(includes[i], at, doc.marks, project_dir);
            if (!entry) continue;
            include_one(doc, at, *entry, environment, chain);
        }
    }

private:
    std::optional<IncludeEntry> parse_entry(const Json& value, const std::string& at, const SourceMap& marks,
                                            const fs::path& project_dir) {
        IncludeEntry entry;
        auto string_list = [&](const Json& v, const std::string& where, std::vector<fs::path>& out) {
            if (v.is_string()) {
                out.push_back(against(project_dir, v.get<std::string>()));
                return true;
            }
            if (v.is_array() && !v.empty()) {
                for (size_t k = 0; k < v.size(); ++k) {
                    if (!v[k].is_string()) {
                        diagnostics_.error_at(marks, path_index(where, k), "must be a string");
                        return false;
                    }
                    out.push_back(against(project_dir, v[k].get<std::string>()));
                }
                return true;
            }
            diagnostics_.error_at(marks, where, "must be a string or a list of strings");
            return false;
        };
        if (value.is_string()) {
            entry.paths.push_back(against(project_dir, value.get<std::string>()));
        } else if (value.is_object()) {
            if (!value.contains("path")) {
                diagnostics_.error_at(marks, at, "an include needs a `path`");
                return std::nullopt;
            }
            if (!string_list(value["path"], path_join(at, "path"), entry.paths)) return std::nullopt;
            if (value.contains("env_file") && !value["env_file"].is_null()) {
                if (!string_list(value["env_file"], path_join(at, "env_file"), entry.env_files)) return std::nullopt;
                entry.has_env_files = true;
            }
            if (value.contains("project_directory") && !value["project_directory"].is_null()) {
                if (!value["project_directory"].is_string()) {
                    diagnostics_.error_at(marks, path_join(at, "project_directory"), "must be a string");
                    return std::nullopt;
                }
                entry.project_dir = against(project_dir, value["project_directory"].get<std::string>());
            }
        } else {
            diagnostics_.error_at(marks, at, "must be a path or a mapping with a `path`");
            return std::nullopt;
        }
        if (entry.project_dir.empty()) entry.project_dir = entry.paths.front().parent_path();
        return entry;
    }

    // The included project's variables: the including ones over its env files
    // (or its .env). False when an env file is missing or malformed.
    bool entry_environment(const IncludeEntry& entry, const Environment& including, const std::string& at,
                           const SourceMap& marks, Environment& out) {
        std::vector<fs::path> files = entry.env_files;
        if (!entry.has_env_files) {
            std::error_code ec;
            fs::path dotenv = entry.project_dir / ".env";
            if (fs::is_regular_file(dotenv, ec)) files.push_back(dotenv);
        }
        std::map<std::string, std::string> from_files;
        EnvLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
            if (auto it = from_files.find(name); it != from_files.end()) return it->second;
            return including.get(name);
        };
        for (const auto& file : files) {
            std::error_code ec;
            if (!fs::is_regular_file(file, ec)) {
                diagnostics_.error_at(marks, path_join(at, "env_file"), "env file " + file.string() + " not found");
                return false;
            }
            auto pairs = load_dotenv(file, lookup);
            if (!pairs.ok()) {
                diagnostics_.error_at(marks, path_join(at, "env_file"), pairs.error().message);
                return false;
            }
            for (auto& [name, value] : pairs.value()) from_files[name] = value;
        }
        out = including;
        for (auto& [name, value] : from_files) out.set_default(name, value);
        return true;
    }

    // Reads and checks one file of an included project, interpolated with
    // the variables of that project.
    Result<std::vector<Document>> load(const fs::path& file, const Environment* environment) {
        ParseOptions parse = options_.parse;
        parse.environment = environment;
        parse.interpolator = nullptr;
        auto documents = load_documents(file, parse, diagnostics_);
        if (documents.ok()) {
            if (loaded_files_) loaded_files_->push_back(file.string());
            if (options_.check_file) {
                for (const auto& document : documents.value()) options_.check_file(document, diagnostics_);
            }
        }
        return documents;
    }

    // load(), with errors that the parser did not place (a missing file)
    // reported at the include entry.
    std::optional<std::vector<Document>> read(const fs::path& file, const Environment* environment,
                                              const std::string& at, const SourceMap& marks) {
        if (++files_read_ > kMaxIncludedFiles) {
            diagnostics_.error_at(marks, at, "more than " + std::to_string(kMaxIncludedFiles) + " included files");
            return std::nullopt;
        }
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) {
            diagnostics_.error_at(marks, at, "cannot include " + file.string() +
                                                 (fs::exists(file, ec) ? ": not a file" : ": not found"));
            return std::nullopt;
        }
        size_t errors_before = diagnostics_.error_count();
        auto documents = load(file, environment);
        if (!documents.ok()) {
            if (diagnostics_.error_count() == errors_before) {
                diagnostics_.error_at(marks, at, "cannot include " + file.string() + ": " + documents.error().message);
            }
            return std::nullopt;
        }
        return std::move(documents).value();
    }

    void include_one(Document& doc, const std::string& at, const IncludeEntry& entry,
                     const Environment* including_environment, std::vector<std::string>& chain) {
        std::string first = canonical_key(entry.paths.front());
        for (size_t k = 0; k < chain.size(); ++k) {
            if (chain[k] != first) continue;
            std::string text;
            for (size_t m = k; m < chain.size(); ++m) text += chain[m] + " -> ";
            diagnostics_.error_at(doc.marks, at, "include cycle: " + text + first);
            return;
        }
        if (chain.size() >= kMaxIncludeDepth) {
            diagnostics_.error_at(doc.marks, at, "includes nested deeper than " + std::to_string(kMaxIncludeDepth));
            return;
        }

        Environment environment;
        const Environment* env = nullptr;
        if (including_environment) {
            if (!entry_environment(entry, *including_environment, at, doc.marks, environment)) return;
            env = &environment;
        }

        // The included project: its files merged in order, each after its own
        // includes and extends are applied (as docker compose does per file).
        ExtendsOptions extends;
        extends.base_dir = entry.project_dir;
        extends.load_file = [this, env](const fs::path& file) { return load(file, env); };
        std::optional<Document> model;
        chain.push_back(first);
        bool ok = true;
        for (const auto& path : entry.paths) {
            auto documents = read(path, env, at, doc.marks);
            if (!documents) {
                ok = false;
                continue;
            }
            for (auto& document : *documents) {
                apply(document, entry.project_dir, env, chain);
                apply_extends(document, extends, diagnostics_);
                if (!model) {
                    model = std::move(document);
                    drop_reset_values(*model);
                } else {
                    merge_documents(*model, std::move(document));
                }
            }
        }
        chain.pop_back();
        if (!ok || !model || !model->value.is_object()) return;

        make_paths_absolute(model->value, entry.project_dir);
        import_resources(doc, *model, at);
    }

    // Adds the included model's resources to `doc`; a name both define
    // differently is an error that names both places.
    void import_resources(Document& doc, const Document& included, const std::string& at) {
        for (const char* kind : {"services", "networks", "volumes", "secrets", "configs"}) {
            auto from = included.value.find(kind);
            if (from == included.value.end() || !from->is_object()) continue;
            Json& to = doc.value[kind];
            if (to.is_null()) to = Json::object();
            if (!to.is_object()) continue;  // the schema reports it
            for (auto it = from->begin(); it != from->end(); ++it) {
                std::string path = path_join(kind, it.key());
                auto existing = to.find(it.key());
                if (existing != to.end()) {
                    if (*existing == it.value()) continue;
                    Mark ours = doc.marks.find(path);
                    std::string theirs = included.marks.find(path).str();
                    diagnostics_.error(ours.known() ? ours : doc.marks.find(at), path,
                                       "also defined, differently, by the project included in " + at +
                                           (theirs.empty() ? "" : " (" + theirs + ")"));
                    continue;
                }
                to[it.key()] = it.value();
                doc.marks.copy_subtree(path, path, included.marks);
            }
        }
    }

    const IncludeOptions& options_;
    Diagnostics& diagnostics_;
    std::vector<std::string>* loaded_files_;
    size_t files_read_ = 0;
};

}  // namespace

void apply_include(Document& doc, const IncludeOptions& options, Diagnostics& diagnostics,
                   std::vector<std::string>* loaded_files) {
    Includer includer(options, diagnostics, loaded_files);
    std::vector<std::string> chain;
    if (!doc.file.empty() && doc.file != "-") chain.push_back(canonical_key(doc.file));
    includer.apply(doc, options.project_dir, options.environment, chain);
}

}  // namespace hako::project
