// This file implements build_image (see builder.h): the Dockerfile is parsed and
// split into stages, the target stage and the stages it needs are built in order
// (unneeded stages are skipped), each step is looked up in the build cache first,
// RUN runs in a container over an overlay of the parent layers, and each step's
// upper folder becomes a layer. Config-only steps are empty layers in the history.
#include "engine/build/builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <chrono>
#include <atomic>
#include <future>
#include <latch>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <cstdio>
#include <set>
#include <sstream>

#include "engine/build/build_cache.h"
#include "engine/build/config_steps.h"
#include "engine/build/copy_step.h"
#include "engine/build/dockerfile.h"
#include "engine/build/dockerignore.h"
#include "engine/build/run_mount.h"
#include "engine/build/run_step.h"
#include "engine/build/ssh_agent.h"
#include "engine/build/step_network.h"
#include "engine/build/step_rootfs.h"
#include "engine/build/substitution.h"
#include "engine/build/url_source.h"
#include "engine/image/image_store.h"
#include "engine/image/layer_diff.h"
#include "engine/image/reference.h"
#include "engine/image/registry.h"
#include "engine/runtime/user.h"
#include "engine/sys/digest.h"
#include "engine/sys/file.h"
#include "engine/sys/safe_path.h"
#include "engine/sys/tempdir.h"
#include "engine/sys/clock.h"

namespace hako::build {

namespace fs = std::filesystem;

namespace {

constexpr const char* kHistoryComment = "buildkit.dockerfile.v0";

const std::set<std::string>& proxy_args() {
    static const std::set<std::string> names = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                                "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                                "ALL_PROXY",  "all_proxy"};
    return names;
}

Environment platform_args() {
    std::string arch = image::host_architecture();
    return {{"TARGETPLATFORM", "linux/" + arch}, {"TARGETOS", "linux"}, {"TARGETARCH", arch},
            {"TARGETVARIANT", ""},                {"BUILDPLATFORM", "linux/" + arch}, {"BUILDOS", "linux"},
            {"BUILDARCH", arch},                  {"BUILDVARIANT", ""}};
}

std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string format_seconds(double s) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1fs", s);
    return buffer;
}

// Lets go of a shared lock for a scope (while waiting), and takes it again.
class Unshared {
public:
    explicit Unshared(std::shared_mutex& mutex) : mutex_(mutex) { mutex_.unlock_shared(); }
    ~Unshared() { mutex_.lock_shared(); }
    Unshared(const Unshared&) = delete;
    Unshared& operator=(const Unshared&) = delete;

private:
    std::shared_mutex& mutex_;
};

struct BuiltStage {
    StageImage image;
    std::string key;  // the cache key of its last step
};

// One stage's variables: ARGs declared in it (with their values) and its ENV.
struct Scope {
    std::map<std::string, std::optional<std::string>> args;
    Environment expansion(const image::ContainerDefaults& config) const {
        Environment env;
        for (const auto& [k, v] : args) {
            if (v) env[k] = *v;
        }
        for (const auto& e : config.env) {  // ENV wins over ARG
            size_t eq = e.find('=');
            env[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
        }
        return env;
    }
};

class Builder {
public:
    Builder(const BuildRequest& request, std::ostream& progress, image::ImageStore store)
        : request_(request), out_(progress), store_(std::move(store)), cache_(request.root) {}

    Result<std::string> run() {
        auto total = std::chrono::steady_clock::now();
        TRY(load_definition());
        auto ingest = TRY(store_.root().ingest_lock());
        int target = TRY(target_stage());
        if (const auto& n = request_.network; !n.empty() && n != "default" && n != "none" && n != "host")
            (void)TRY(StepNetwork::join(request_.root, n, request_.root));  // only checks that it exists
        BuiltStage result = TRY(build_stages(target));
        image::ImageConfig config = result.image.config;
        for (const auto& [k, v] : request_.labels) config.config.labels[k] = v;
        int step = next_step();
        line(step, "exporting to image");
        std::string id = TRY(export_image(config, result.image.layers));
        line(step, "writing image " + id + " done");
        for (const auto& t : request_.tags) {
            auto ref = image::parse_reference_with_default_tag(t);
            if (ref.ok()) line(step, "naming to " + ref->name() + ":" + ref->tag + " done");
        }
        line(step, "DONE " + format_seconds(seconds_since(total)));
        warn_unused_args();
        return id;
    }

private:
    // Commits the image, unless it is stored already with every tag pointing at it
    // (a fully cached rebuild then writes nothing).
    Result<std::string> export_image(const image::ImageConfig& config, const std::vector<image::LayerRef>& layers) {
        std::string id = sys::sha256_digest(image::serialize(config));
        bool current = store_.record(id).ok();
        for (const auto& tag : request_.tags) {
            if (!current) break;
            auto tagged = store_.resolve(tag);
            current = tagged.ok() && tagged->id == id;
        }
        if (current) return id;
        auto committed = store_.commit(config, layers, request_.tags);
        if (!committed.ok()) return Error("exporting the image: " + committed.error().message);
        return committed->id;
    }

    // --- output ---
    int next_step() { return ++step_; }
    void line(int step, const std::string& text) {
        if (request_.quiet) return;
        std::lock_guard lock(out_mutex_);
        out_ << '#' << step << ' ' << text << '\n';
    }
    Error at(const Instruction& in, const std::string& message) const {
        return Error(dockerfile_name_ + ":" + std::to_string(in.line) + ": " + message);
    }

    // --- definition ---
    Result<void> load_definition() {
        std::error_code ec;
        context_ = fs::canonical(request_.context, ec);
        if (ec || !fs::is_directory(context_)) return Error("build context " + request_.context.string() + ": not a folder");
        std::string text;
        fs::path dockerfile_path;
        if (request_.dockerfile_inline) {
            text = *request_.dockerfile_inline;
            dockerfile_name_ = "Dockerfile";
            dockerfile_path = context_ / "Dockerfile";
        } else {
            dockerfile_path = fs::path(request_.dockerfile).is_absolute() ? fs::path(request_.dockerfile)
                                                                            : context_ / request_.dockerfile;
            auto read = sys::read_file(dockerfile_path, 16 << 20);
            if (!read.ok()) return Error("reading the Dockerfile: " + read.error().message);
            text = std::move(read).value();
            dockerfile_name_ = fs::path(request_.dockerfile).filename().string();
        }
        ignore_ = TRY(IgnoreMatcher::load(context_, dockerfile_path));
        dockerfile_ = TRY(parse_dockerfile(text, dockerfile_name_));
        plan_ = TRY(split_stages(dockerfile_, dockerfile_name_));
        // Global ARGs: usable in FROM lines only (and re-declared in a stage).
        global_ = platform_args();
        for (const auto& in : plan_.global_args) {
            for (const auto& word : in.words) TRY(declare_arg(in, word, global_args_, global_));
        }
        for (const auto& [k, v] : global_args_) {
            if (v) global_[k] = *v;
        }
        return ok();
    }

    Result<void> declare_arg(const Instruction& in, const std::string& word,
                             std::map<std::string, std::optional<std::string>>& args, const Environment& env) {
        size_t eq = word.find('=');
        std::string name = word.substr(0, eq);
        auto expanded_name = expand_word(name, env, dockerfile_.escape);
        if (!expanded_name.ok()) return at(in, "ARG: " + expanded_name.error().message);
        name = *expanded_name;
        std::optional<std::string> value;
        if (eq != std::string::npos) {
            auto v = expand_word(word.substr(eq + 1), env, dockerfile_.escape);
            if (!v.ok()) return at(in, "ARG: " + v.error().message);
            value = *v;
        }
        if (auto given = request_.args.find(name); given != request_.args.end()) {
            value = given->second;
            std::lock_guard lock(out_mutex_);
            consumed_.insert(name);
        } else if (!value) {
            if (auto global = global_.find(name); global != global_.end()) value = global->second;
        }
        args[name] = value;
        return ok();
    }

    void warn_unused_args() {
        std::string unused;
        for (const auto& [k, v] : request_.args) {
            if (!consumed_.count(k) && !proxy_args().count(k)) unused += (unused.empty() ? "" : " ") + k;
        }
        if (!unused.empty() && !request_.quiet)
            out_ << "[Warning] One or more build-args [" << unused << "] were not consumed\n";
    }

    Result<int> target_stage() {
        if (request_.target.empty()) return int(plan_.stages.size()) - 1;
        std::string target = lower(request_.target);
        for (const auto& s : plan_.stages) {
            if (s.name == target) return s.index;
        }
        return Error("target stage \"" + request_.target + "\" could not be found in " + dockerfile_name_);
    }

    // A stage by name or number, defined before `before`; -1 when `ref` is no stage.
    int find_stage(const std::string& ref, int before) const {
        std::string name = lower(ref);
        for (const auto& s : plan_.stages) {
            if (s.index < before && !s.name.empty() && s.name == name) return s.index;
        }
        if (!ref.empty() && ref.find_first_not_of("0123456789") == std::string::npos && ref.size() < 6) {
            int n = std::stoi(ref);
            if (n < before) return n;
        }
        return -1;
    }

    // --- stages ---
    // Builds the target; the other stages it needs each start at once on a thread of
    // their own and wait there for the stages they need in turn, so independent
    // stages run side by side. The first stage to fail stops the others (at their next
    // step) and its error is the build's.
    Result<BuiltStage> build_stages(int target) {
        std::set<int> needed;
        needed_stages(target, needed);
        needed.erase(target);
        parallel_ = !needed.empty();
        std::vector<std::thread> workers;
        std::shared_lock working(clone_guard_);
        // No RUN container is cloned before every worker has started: glibc's setuid
        // in a cloned child waits for threads still being created in the parent, and
        // in the child they never finish.
        std::latch started(std::ptrdiff_t(needed.size()));
        for (int index : needed) {
            workers.emplace_back([this, index, &started] {
                started.count_down();
                std::shared_lock lock(clone_guard_);
                (void)build_stage(index);
            });
        }
        started.wait();
        Result<BuiltStage> result = build_stage(target);
        working.unlock();
        for (auto& worker : workers) worker.join();
        std::lock_guard lock(stages_mutex_);
        if (first_error_) return *first_error_;
        return result;
    }

    // The stages `index` needs (FROM, COPY --from, RUN --mount from=) and theirs.
    void needed_stages(int index, std::set<int>& out) {
        if (!out.insert(index).second) return;
        const Stage& stage = plan_.stages[size_t(index)];
        auto visit = [&](const std::string& ref, bool by_number) {
            auto expanded = expand_word(ref, global_, dockerfile_.escape);
            int from = expanded.ok() ? find_stage(*expanded, index) : -1;
            if (from >= 0 && (by_number || !plan_.stages[size_t(from)].name.empty())) needed_stages(from, out);
        };
        visit(stage.base, false);
        for (const auto& in : stage.instructions) {
            if (const Flag* from = in.flag("from"); from && (in.keyword == "COPY" || in.keyword == "ADD")) visit(from->value, true);
            if (in.keyword != "RUN") continue;
            for (const auto& spec : in.flag_values("mount")) {
                auto m = parse_run_mount(spec);
                if (m.ok() && !m->from.empty()) visit(m->from, true);
            }
        }
    }

    // A stage, built once: a second caller waits for the first one's result.
    Result<BuiltStage> build_stage(int index) {
        std::shared_future<Result<BuiltStage>> pending;
        std::optional<std::promise<Result<BuiltStage>>> mine;
        {
            std::lock_guard lock(stages_mutex_);
            if (auto it = stages_.find(index); it != stages_.end()) {
                pending = it->second;
            } else {
                mine.emplace();
                stages_.emplace(index, mine->get_future().share());
            }
        }
        if (!mine) {
            {
                Unshared idle(clone_guard_);
                pending.wait();
            }
            return pending.get();
        }
        Result<BuiltStage> result = build_stage_steps(index);
        if (!result.ok()) {
            std::lock_guard lock(stages_mutex_);
            if (!first_error_) first_error_ = result.error();
            failed_ = true;
        }
        mine->set_value(result);
        return result;
    }

    Result<BuiltStage> build_stage_steps(int index) {
        const Stage& stage = plan_.stages[size_t(index)];
        std::string label = stage.name.empty() ? "stage-" + std::to_string(index) : stage.name;
        size_t total_steps = stage.instructions.size() + 1;
        auto base = expand_word(stage.base, global_, dockerfile_.escape);
        if (!base.ok()) return at(stage.from, "FROM: " + base.error().message);
        BuiltStage state = TRY(resolve_base(stage, *base));
        int step = next_step();
        line(step, "[" + label + " 1/" + std::to_string(total_steps) + "] FROM " + *base);
        line(step, "DONE 0.0s");
        Scope scope;
        StageFlags flags;
        // The base image's ONBUILD triggers run first, then are dropped.
        std::vector<std::string> triggers = std::move(state.image.config.config.on_build);
        state.image.config.config.on_build.clear();
        for (const auto& trigger : triggers) {
            auto parsed = parse_dockerfile(trigger, "ONBUILD");
            if (!parsed.ok()) return at(stage.from, "base image trigger: " + parsed.error().message);
            for (auto in : parsed->instructions) {
                in.line = stage.from.line;
                TRY(run_step(stage, in, state, scope, flags, label + " onbuild", 0));
            }
        }
        for (size_t i = 0; i < stage.instructions.size(); ++i) {
            if (failed_) return Error("stopped: another stage failed");
            TRY(run_step(stage, stage.instructions[i], state, scope, flags, label, i + 2));
        }
        return state;
    }

    Result<BuiltStage> resolve_base(const Stage& stage, const std::string& base) {
        BuiltStage state;
        if (lower(base) == "scratch") {
            state.image.config.architecture = image::host_architecture();
            state.key = cache_key({"scratch"});
            return state;
        }
        if (int from = find_stage(base, stage.index); from >= 0 && !plan_.stages[size_t(from)].name.empty()) {
            return build_stage(from);
        }
        auto record = TRY(image_for(stage.from, base, "FROM " + base));
        state.image.config = TRY(store_.config(record.id));
        state.image.layers = record.layers;
        state.key = cache_key({"from", record.id});
        return state;
    }

    // An image by reference: the stored one, pulled first with --pull (once per
    // build), or pulled when missing, as docker does.
    Result<image::ImageRecord> image_for(const Instruction& in, const std::string& ref, const std::string& what) {
        std::unique_lock lock(pull_mutex_);
        auto record = store_.resolve(ref);
        if (record.ok() && (!request_.pull || pulled_.count(ref))) return std::move(record).value();
        image::PullOptions options;
        options.insecure_registries = request_.insecure_registries;
        options.docker_config = request_.docker_config;
        int step = next_step();
        options.progress = [&](const std::string& text) { line(step, text); };
        line(step, "pulling " + ref);
        auto pulled = image::pull_image(store_, ref, options);
        if (pulled.ok()) {
            pulled_.insert(ref);
            return pulled->image;
        }
        if (record.ok()) return at(in, what + ": --pull: " + pulled.error().message);
        return at(in, what + ": " + record.error().message + "; pulling it failed: " + pulled.error().message);
    }

    // --- steps ---
    Result<void> run_step(const Stage& stage, const Instruction& in, BuiltStage& state, Scope& scope,
                          StageFlags& flags, const std::string& label, size_t number) {
        auto started = std::chrono::steady_clock::now();
        int step = 0;
        auto announce = [&] {
            step = next_step();
            std::string counter = number ? " " + std::to_string(number) + "/" + std::to_string(stage.instructions.size() + 1) : "";
            line(step, "[" + label + counter + "] " + in.source());
        };
        if (in.keyword == "ARG") {
            // Declared for the rest of the stage; no layer, no history (as BuildKit).
            Environment env = scope.expansion(state.image.config.config);
            for (const auto& word : in.words) TRY(declare_arg(in, word, scope.args, env));
            return ok();
        }
        announce();
        Environment env = scope.expansion(state.image.config.config);
        // The key: parent, instruction (heredocs included), the ARG values in reach.
        std::vector<std::string> parts = {state.key, in.source()};
        for (const auto& doc : in.heredocs) parts.push_back(doc.content);
        for (const auto& [k, v] : scope.args) parts.push_back(k + (v ? "=" + *v : ""));
        if (in.keyword == "COPY" || in.keyword == "ADD") parts.push_back(ignore_.fingerprint());

        if (is_config_step(in.keyword)) {
            std::string key = cache_key(parts);
            if (auto hit = lookup(key)) {
                state = {std::move(*hit), key};
                line(step, "CACHED");
                return ok();
            }
            StageImage next = state.image;
            if (auto applied = apply_config_step(in, next.config, env, dockerfile_.escape, flags); !applied.ok())
                return at(in, applied.error().message);
            if (in.keyword == "WORKDIR") {
                // The folder is made when missing (a layer then), as Docker does.
                auto rootfs = TRY(StepRootfs::mount(store_, next.layers, true));
                TRY(make_dir_in_rootfs(rootfs.rootfs(), next.config.config.working_dir, {}));
                rootfs.unmount();
                TRY(commit_layer(rootfs, next, in.source()));
            } else {
                add_history(next.config, in.source(), true);
            }
            TRY(cache_.put(key, next));
            state = {std::move(next), key};
            line(step, "DONE " + format_seconds(seconds_since(started)));
            return ok();
        }
        if (in.keyword == "RUN") return run_command(stage, in, state, scope, parts, step, started);
        if (in.keyword == "COPY" || in.keyword == "ADD") return copy_files(stage, in, state, env, parts, step, started);
        return at(in, "unexpected instruction " + in.keyword);
    }

    std::optional<StageImage> lookup(const std::string& key) {
        if (request_.no_cache) return std::nullopt;
        return cache_.get(key, store_);
    }

    static void add_history(image::ImageConfig& config, const std::string& created_by, bool empty) {
        image::HistoryEntry h;
        h.created = sys::now_rfc3339();
        h.created_by = created_by;
        h.comment = kHistoryComment;
        h.empty_layer = empty;
        config.history.push_back(h);
        config.created = h.created;
    }

    // The step's upper folder becomes a layer (none when the step changed nothing).
    Result<void> commit_layer(const StepRootfs& rootfs, StageImage& next, const std::string& created_by) {
        bool empty = TRY(image::upper_is_empty(rootfs.upper()));
        if (!empty) {
            auto tmp = TRY(store_.root().make_temp("build-layer-"));
            fs::path tar = tmp.path() / "layer.tar";
            sys::UniqueFd fd(::open(tar.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
            if (!fd) return Error::from_syscall("open", errno, tar.string());
            TRY(image::write_layer_diff(rootfs.upper(), fd.get()));
            if (::lseek(fd.get(), 0, SEEK_SET) != 0) return Error::from_syscall("lseek", errno, tar.string());
            image::LayerRef layer = TRY(store_.add_layer(fd.get(), created_by));
            next.layers.push_back(layer);
            next.config.diff_ids.push_back(layer.diff_id);
        }
        add_history(next.config, created_by, empty);
        return ok();
    }

    // The --mount flags of a RUN step, read.
    Result<std::vector<RunMount>> parse_mounts(const Instruction& in) {
        std::vector<RunMount> mounts;
        int ssh_index = 0;
        for (const auto& spec : in.flag_values("mount")) {
            auto m = parse_run_mount(spec, ssh_index);
            if (!m.ok()) return at(in, m.error().message);
            if (m->type == "ssh") ++ssh_index;
            mounts.push_back(std::move(m).value());
        }
        return mounts;
    }

    // The layers of a mount's from= (an earlier stage, built first, or an image) and
    // the key that stands for them in the step's cache key.
    Result<std::pair<std::vector<image::LayerRef>, std::string>> mount_source(const Stage& stage, const Instruction& in,
                                                                             const std::string& ref) {
        int index = find_stage(ref, stage.index);
        if (index >= 0) {
            BuiltStage source = TRY(build_stage(index));
            return std::pair{source.image.layers, source.key};
        }
        if (find_stage(ref, int(plan_.stages.size())) >= 0)
            return at(in, "RUN --mount from=" + ref + ": a stage can only mount an earlier stage");
        auto record = TRY(image_for(in, ref, "RUN --mount from=" + ref));
        return std::pair{record.layers, record.id};
    }

    // The content and metadata of a context path a RUN step binds (as COPY hashes
    // its sources), so that a change there runs the step again.
    Result<std::string> context_digest(const Instruction& in, const std::string& source) {
        CopyRequest request;
        request.instruction = "RUN --mount";
        request.source_root = context_;
        request.ignore = &ignore_;
        request.sources = {source.empty() ? "." : source};
        request.dest = "/";
        request.dest_is_dir = true;
        auto plan = plan_copy(request);
        if (!plan.ok()) return at(in, plan.error().message);
        return plan->digest;
    }

    // What a RUN step's mounts hold while it runs: the runtime's mounts, variables for
    // the step (secret env=, SSH_AUTH_SOCK), and the owners behind the mounts.
    struct StepMounts {
        std::vector<runtime::Mount> mounts;
        std::vector<std::string> env;
        std::vector<StepRootfs> sources;
        std::vector<ScratchView> views;
        std::optional<SecretFiles> secrets;
    };

    Result<StepMounts> prepare_mounts(const Stage& stage, const Instruction& in, const std::vector<RunMount>& specs,
                                      const fs::path& step_dir) {
        StepMounts out;
        bool ssh_env = false;
        for (const RunMount& m : specs) {
            std::string where = "RUN --mount=type=" + m.type + (m.id.empty() ? "" : ",id=" + m.id);
            if (m.type == "cache") {
                fs::path dir = TRY(cache_.mount_dir(m.id.empty() ? m.target : m.id));
                out.mounts.push_back({m.target, "bind", dir.string(), {"rbind", m.read_only ? "ro" : "rw"}});
            } else if (m.type == "tmpfs") {
                std::vector<std::string> options = {"nosuid", "nodev"};
                if (!m.size.empty()) options.push_back("size=" + m.size);
                out.mounts.push_back({m.target, "tmpfs", "tmpfs", options});
            } else if (m.type == "bind") {
                auto components = sys::split_confined(m.source);
                if (!components.ok()) return at(in, "RUN --mount: source \"" + m.source + "\" climbs out of its root");
                fs::path root = context_;
                if (!m.from.empty()) {
                    auto layers = TRY(mount_source(stage, in, m.from)).first;
                    out.sources.push_back(TRY(StepRootfs::mount(store_, layers, !m.read_only)));
                    root = out.sources.back().rootfs();
                }
                std::error_code ec;
                fs::path real = fs::canonical(root / sys::join_components(*components), ec);
                std::string origin = m.from.empty() ? "the build context" : m.from;
                if (ec) return at(in, "RUN --mount: source \"" + m.source + "\": not found in " + origin);
                if (real != root && real.string().rfind(root.string() + "/", 0) != 0)
                    return at(in, "RUN --mount: source \"" + m.source + "\" leads outside " + origin);
                if (!m.read_only && m.from.empty()) {
                    // rw: the step may write, the context stays as it is (BuildKit drops the writes).
                    auto view = ScratchView::create(real, step_dir / ("bind-" + std::to_string(out.views.size())));
                    if (!view.ok()) return at(in, "RUN --mount: " + view.error().message);
                    out.views.push_back(std::move(view).value());
                    real = out.views.back().path();
                }
                out.mounts.push_back({m.target, "bind", real.string(), {"rbind", m.read_only ? "ro" : "rw"}});
            } else if (m.type == "secret") {
                auto it = request_.secrets.find(m.id);
                if (it == request_.secrets.end()) {
                    if (m.required)
                        return at(in, where + ": secret \"" + m.id + "\" is required but was not given (--secret id=" +
                                          m.id + ",src=PATH)");
                    continue;
                }
                std::string value;
                if (it->second.value) {
                    value = *it->second.value;
                } else {
                    auto read = sys::read_file(it->second.file, 4 << 20);
                    if (!read.ok()) return at(in, where + ": " + read.error().message);
                    value = std::move(read).value();
                }
                if (!m.env.empty()) out.env.push_back(m.env + "=" + value);
                if (m.target.empty()) continue;
                if (!out.secrets) out.secrets.emplace(TRY(SecretFiles::create(step_dir / "secrets")));
                fs::path file = TRY(out.secrets->add(value, m));
                out.mounts.push_back({m.target, "bind", file.string(), {"rbind", "ro", "nosuid", "nodev", "noexec"}});
            } else if (m.type == "ssh") {
                auto socket = TRY(ssh_socket(m.id));
                if (!socket) {
                    if (m.required)
                        return at(in, where + ": no ssh agent or key \"" + m.id + "\" was given (--ssh " +
                                          (m.id == "default" ? std::string("default") : m.id + "=PATH") + ")");
                    continue;
                }
                out.mounts.push_back({m.target, "bind", socket->string(), {"rbind", "rw", "nosuid", "nodev"}});
                if (!ssh_env) out.env.push_back("SSH_AUTH_SOCK=" + m.target);
                ssh_env = true;
            }
        }
        return out;
    }

    // The agent socket for `--ssh ID=…`: a socket given is used as is; private keys
    // are served by an ssh-agent started once for the build. nullopt when not given.
    Result<std::optional<fs::path>> ssh_socket(const std::string& id) {
        std::lock_guard lock(mutex_);
        auto it = request_.ssh.find(id);
        if (it == request_.ssh.end()) return std::optional<fs::path>();
        if (auto agent = agents_.find(id); agent != agents_.end()) return std::optional(agent->second.socket());
        std::vector<std::string> keys;
        for (const auto& path : it->second) {
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0) return Error::from_syscall("--ssh " + id, errno, path);
            if (S_ISSOCK(st.st_mode)) return std::optional(fs::path(path));
            keys.push_back(path);
        }
        if (keys.empty()) return Error("--ssh " + id + ": no agent socket or key given");
        if (!agent_dir_) agent_dir_.emplace(TRY(store_.root().make_temp("build-ssh-")));
        fs::path dir = agent_dir_->path() / std::to_string(agents_.size());
        if (::mkdir(dir.c_str(), 0700) != 0) return Error::from_syscall("mkdir", errno, dir.string());
        auto agent = SshAgent::start(dir, keys);
        if (!agent.ok()) return Error("--ssh " + id + ": " + agent.error().message);
        auto [pos, inserted] = agents_.emplace(id, std::move(agent).value());
        (void)inserted;
        return std::optional(pos->second.socket());
    }

    Result<void> run_command(const Stage& stage, const Instruction& in, BuiltStage& state, Scope& scope,
                             std::vector<std::string>& parts, int step, std::chrono::steady_clock::time_point started) {
        // Secrets and ssh agents never enter the key (as BuildKit: a new secret value
        // reuses the step); a mount's from= does, by the source's own key.
        std::vector<RunMount> mount_specs = TRY(parse_mounts(in));
        for (const auto& m : mount_specs) {
            if (!m.from.empty()) parts.push_back("mount-from " + TRY(mount_source(stage, in, m.from)).second);
            if (m.type == "bind" && m.from.empty()) parts.push_back("mount-context " + TRY(context_digest(in, m.source)));
        }
        std::string key = cache_key(parts);
        if (auto hit = lookup(key)) {
            state = {std::move(*hit), key};
            line(step, "CACHED");
            return ok();
        }
        const auto& config = state.image.config.config;
        RunSpec spec;
        if (!in.heredocs.empty() && in.words.size() == 1) {
            // RUN <<EOF: the heredoc is the script.
            spec.args = config.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : config.shell;
            spec.args.push_back(in.heredocs[0].content);
        } else if (!in.heredocs.empty()) {
            std::string script = in.args + "\n";
            for (const auto& doc : in.heredocs) script += doc.content + doc.name + "\n";
            spec.args = config.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : config.shell;
            spec.args.push_back(script);
        } else {
            spec.args = command_vector(in, config.shell);
        }
        spec.env = config.env;
        std::set<std::string> in_env;
        for (const auto& e : config.env) in_env.insert(e.substr(0, e.find('=')));
        for (const auto& [k, v] : scope.args) {
            if (v && !in_env.count(k)) spec.env.push_back(k + "=" + *v);
        }
        for (const auto& name : proxy_args()) {
            if (auto it = request_.args.find(name); it != request_.args.end() && !in_env.count(name))
                spec.env.push_back(name + "=" + it->second);
        }
        bool has_path = false;
        for (const auto& e : spec.env) has_path = has_path || e.rfind("PATH=", 0) == 0;
        if (!has_path) spec.env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        spec.cwd = config.working_dir.empty() ? "/" : config.working_dir;
        spec.user = config.user;
        // The build's network (--network: default = host, none, host or a user network);
        // RUN --network=default|none|host per step.
        std::string network = request_.network;
        if (const Flag* f = in.flag("network")) {
            if (f->value != "default" && f->value != "none" && f->value != "host")
                return at(in, "RUN --network=" + f->value + ": use default, none or host");
            if (f->value != "default") network = f->value;
        }
        if (network.empty() || network == "default") network = "host";
        spec.network = network == "none" ? "none" : "host";
        bool user_network = network != "none" && network != "host";
        spec.shm_size = request_.shm_size;
        spec.cancel = &failed_;

        StageImage next = state.image;
        {
            auto rootfs = TRY(StepRootfs::mount(store_, state.image.layers, true));
            TRY(make_dir_in_rootfs(rootfs.rootfs(), spec.cwd, {}));
            StepMounts mounts = TRY(prepare_mounts(stage, in, mount_specs, rootfs.dir()));
            std::optional<StepNetwork> joined;
            if (user_network) {
                auto made = StepNetwork::join(request_.root, network, rootfs.dir());
                if (!made.ok()) return at(in, "RUN: " + made.error().message);
                joined.emplace(std::move(made).value());
                spec.configure = [&joined](runtime::ContainerConfig& c) { return joined->configure(c); };
                spec.attach = [&joined](pid_t pid) { return joined->attach(pid); };
            }
            spec.mounts = mounts.mounts;
            spec.env.insert(spec.env.end(), mounts.env.begin(), mounts.env.end());
            // Mount points the runtime will create go again before the layer is made.
            std::vector<std::string> targets;
            for (const auto& m : spec.mounts) targets.push_back(m.destination);
            if (user_network) targets.insert(targets.end(), {"/etc/hosts", "/etc/resolv.conf", "/etc/hostname"});
            std::vector<fs::path> mount_points;
            for (const auto& target : targets) {
                if (auto missing = missing_mount_point(rootfs.rootfs(), target)) mount_points.push_back(*missing);
            }
            // Output lines name their stage while stages build side by side.
            std::string prefix = parallel_ ? "[" + (stage.name.empty() ? "stage-" + std::to_string(stage.index) : stage.name) + "] " : "";
            auto print = [&](std::string_view text) {
                line(step, prefix + format_seconds(seconds_since(started)) + " " + std::string(text));
            };
            auto status = run_in_container(spec, rootfs.rootfs(), rootfs.dir(), store_.root().run_dir() / "runtime", print,
                                           &clone_guard_);
            if (!status.ok()) return at(in, "RUN: " + status.error().message);
            if (*status != 0) {
                std::string shown;
                for (const auto& a : spec.args) shown += (shown.empty() ? "" : " ") + a;
                return at(in, "RUN: process \"" + shown + "\" did not complete successfully: exit code: " +
                                  std::to_string(*status));
            }
            rootfs.unmount();
            mounts.sources.clear();
            for (const auto& point : mount_points) TRY(remove_mount_point(rootfs.upper(), point));
            std::string created_by = "RUN " + (in.exec_form ? in.args : [&] {
                std::string s;
                for (const auto& a : spec.args) s += (s.empty() ? "" : " ") + a;
                return s;
            }()) + " # buildkit";
            TRY(commit_layer(rootfs, next, created_by));
        }
        TRY(cache_.put(key, next));
        state = {std::move(next), key};
        line(step, "DONE " + format_seconds(seconds_since(started)));
        return ok();
    }

    Result<void> copy_files(const Stage& stage, const Instruction& in, BuiltStage& state, const Environment& env,
                            std::vector<std::string>& parts, int step, std::chrono::steady_clock::time_point started) {
        const std::string& k = in.keyword;
        std::vector<std::string> words;
        for (const auto& w : in.words) {
            auto e = expand_word(w, env, dockerfile_.escape);
            if (!e.ok()) return at(in, k + ": " + e.error().message);
            words.push_back(*e);
        }
        std::string dest_word = words.back();
        words.pop_back();
        const auto& config = state.image.config.config;
        bool dest_is_dir = !dest_word.empty() && (dest_word.back() == '/' || dest_word == "." ||
                                                  dest_word.ends_with("/."));
        std::string dest = join_workdir(config.working_dir.empty() ? "/" : config.working_dir, dest_word);

        // Where the sources come from.
        std::optional<StepRootfs> from_root;
        fs::path source_root = context_;
        bool from_context = true;
        if (const Flag* from = in.flag("from")) {
            auto ref = expand_word(from->value, env, dockerfile_.escape);
            if (!ref.ok()) return at(in, k + " --from: " + ref.error().message);
            std::vector<image::LayerRef> layers;
            int index = find_stage(*ref, stage.index);
            if (index >= 0) {
                BuiltStage source = TRY(build_stage(index));
                layers = source.image.layers;
                parts.push_back(source.key);
            } else {
                if (find_stage(*ref, int(plan_.stages.size())) >= 0)
                    return at(in, k + " --from=" + *ref + ": a stage can only copy from an earlier stage");
                auto record = image_for(in, *ref, k + " --from=" + *ref + ": no stage or image of that name");
                if (!record.ok()) return std::move(record).error();
                layers = record->layers;
                parts.push_back(record->id);
            }
            from_root.emplace(TRY(StepRootfs::mount(store_, layers, false)));
            source_root = from_root->rootfs();
            from_context = false;
        }
        size_t source_count = words.size();
        // ADD's URL sources are downloaded into a scratch folder.
        std::optional<sys::TempDir> url_dir;
        std::vector<std::string> url_sources;
        std::optional<std::string> checksum;
        if (const Flag* f = in.flag("checksum")) {
            auto v = expand_word(f->value, env, dockerfile_.escape);
            if (!v.ok()) return at(in, k + " --checksum: " + v.error().message);
            checksum = *v;
        }
        for (auto it = words.begin(); it != words.end();) {
            if (!is_url(*it) && !it->starts_with("git@")) {
                ++it;
                continue;
            }
            if (k == "COPY" || it->starts_with("git@")) return at(in, k + " " + *it + ": this source is not supported (ADD takes http and https URLs)");
            if (!url_dir) url_dir.emplace(TRY(store_.root().make_temp("build-url-")));
            auto file = download_url(*it, url_dir->path(), checksum);
            if (!file.ok()) return at(in, file.error().message);
            url_sources.push_back(file->filename().string());
            it = words.erase(it);
        }
        if (checksum && url_sources.empty()) return at(in, k + " --checksum needs a URL source");
        // Heredoc sources become files in a scratch folder.
        std::optional<sys::TempDir> heredoc_dir;
        std::vector<std::string> context_sources, heredoc_sources;
        for (const auto& w : words) {
            bool is_doc = false;
            for (const auto& doc : in.heredocs) {
                if (w.starts_with("<<") && w.find(doc.name) != std::string::npos) {
                    if (!heredoc_dir) heredoc_dir.emplace(TRY(store_.root().make_temp("build-heredoc-")));
                    std::string content = doc.content;
                    if (doc.expand) {
                        std::string quoted;
                        for (char ch : content) {
                            if (ch == '"') quoted += dockerfile_.escape;
                            quoted += ch;
                        }
                        auto e = expand_word("\"" + quoted + "\"", env, dockerfile_.escape);
                        if (e.ok()) content = *e;
                    }
                    TRY(sys::write_file_atomic(heredoc_dir->path() / doc.name, content, 0644));
                    heredoc_sources.push_back(doc.name);
                    is_doc = true;
                    break;
                }
            }
            if (!is_doc) context_sources.push_back(w);
        }
        std::vector<CopyPlan> plans;
        auto plan_from = [&](const fs::path& root, bool context, const std::vector<std::string>& sources) -> Result<void> {
            if (sources.empty()) return ok();
            CopyRequest request;
            request.instruction = k;
            request.source_root = root;
            request.from_context = context;
            request.ignore = context ? &ignore_ : nullptr;
            request.excludes = in.flag_values("exclude");
            request.sources = sources;
            request.dest = dest;
            request.dest_is_dir = dest_is_dir || source_count > 1;
            request.extract_archives = k == "ADD" && context;
            auto plan = plan_copy(request);
            if (!plan.ok()) return at(in, plan.error().message);
            parts.push_back(plan->digest);
            plans.push_back(std::move(plan).value());
            return ok();
        };
        TRY(plan_from(source_root, from_context, context_sources));
        if (heredoc_dir) TRY(plan_from(heredoc_dir->path(), false, heredoc_sources));
        if (url_dir) TRY(plan_from(url_dir->path(), false, url_sources));

        std::optional<mode_t> chmod;
        if (const Flag* f = in.flag("chmod")) {
            const std::string& v = f->value;
            if (v.empty() || v.size() > 4 || v.find_first_not_of("01234567") != std::string::npos)
                return at(in, k + " --chmod=" + v + ": must be an octal mode such as 0755");
            chmod = mode_t(std::stoul(v, nullptr, 8));
        }
        std::string key = cache_key(parts);
        if (auto hit = lookup(key)) {
            state = {std::move(*hit), key};
            line(step, "CACHED");
            return ok();
        }
        StageImage next = state.image;
        {
            auto rootfs = TRY(StepRootfs::mount(store_, state.image.layers, true));
            Ownership owner;
            if (const Flag* f = in.flag("chown")) {
                auto user = expand_word(f->value, env, dockerfile_.escape);
                if (!user.ok()) return at(in, k + " --chown: " + user.error().message);
                auto resolved = runtime::resolve_user_in_rootfs(rootfs.rootfs(), *user);
                if (!resolved.ok()) return at(in, k + " --chown=" + *user + ": " + resolved.error().message);
                owner = {resolved->uid, resolved->gid};
            }
            for (const auto& plan : plans) {
                auto copied = execute_copy(plan, rootfs.rootfs(), owner, chmod, k);
                if (!copied.ok()) return at(in, copied.error().message);
            }
            rootfs.unmount();
            from_root.reset();
            TRY(commit_layer(rootfs, next, k + " " + in.text + " # buildkit"));
        }
        TRY(cache_.put(key, next));
        state = {std::move(next), key};
        line(step, "DONE " + format_seconds(seconds_since(started)));
        return ok();
    }

    const BuildRequest& request_;
    std::ostream& out_;
    image::ImageStore store_;
    BuildCache cache_;
    fs::path context_;
    std::string dockerfile_name_;
    Dockerfile dockerfile_;
    StagePlan plan_;
    IgnoreMatcher ignore_;
    Environment global_;
    std::map<std::string, std::optional<std::string>> global_args_;
    std::set<std::string> consumed_;
    // Stages: built once each (futures), the first failure, whether several build at once.
    std::mutex stages_mutex_;
    std::map<int, std::shared_future<Result<BuiltStage>>> stages_;
    std::optional<Error> first_error_;
    std::atomic<bool> failed_ = false, parallel_ = false;
    // Held shared by each thread while it works (let go only while it waits), and
    // exclusive while a RUN's container is cloned: the child then copies no lock
    // (malloc, stdio) that another thread held.
    std::shared_mutex clone_guard_;
    std::mutex out_mutex_;  // progress lines, consumed_
    std::atomic<int> step_ = 0;
    std::mutex mutex_;       // ssh agents
    std::mutex pull_mutex_;  // pulls, one at a time
    std::set<std::string> pulled_;
    std::optional<sys::TempDir> agent_dir_;
    std::map<std::string, SshAgent> agents_;  // destroyed before agent_dir_
};

}  // namespace

Result<std::string> build_image(const BuildRequest& request, std::ostream& progress) {
    auto store = image::ImageStore::open(request.root);
    if (!store.ok()) return std::move(store).error();
    return Builder(request, progress, std::move(store).value()).run();
}

}  // namespace hako::build
