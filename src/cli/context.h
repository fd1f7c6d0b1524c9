// This file declares the state one hako invocation carries from flag parsing to
// its verb: the global flags and the process environment (no hidden globals).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hako::cli {

// The docker compose global flags plus hako's own.
struct GlobalOptions {
    std::vector<std::string> files;                  // -f/--file
    std::optional<std::string> project_name;         // -p/--project-name
    std::optional<std::string> project_directory;    // --project-directory
    std::vector<std::string> profiles;               // --profile
    std::vector<std::string> env_files;              // --env-file
    std::string root;                                // --root / HAKO_ROOT, default /var/lib/hako
    std::string log_level = "warn";                  // --log-level / HAKO_LOG
    std::string ansi = "auto";                       // --ansi never|always|auto
    std::string progress = "auto";                   // --progress auto|tty|plain|json|quiet
};

struct Context {
    GlobalOptions global;
    std::map<std::string, std::string> environment;  // the process environment
    std::filesystem::path working_directory;
    // A verb's callback stores its exit status here (0 when it succeeded).
    int exit_status = 0;
    // The word after the noun in argv ("run" in `hako container run …`), empty
    // when a flag or nothing follows it. A noun with many verbs registers only
    // this one when it has it: CLI11 compares each new flag with every flag
    // already on its verb, and building all of them was most of a short
    // command's instructions (app.cpp sets it; unknown words get every verb).
    std::string chosen_verb;
};

// Each group of verbs registers its subcommands on the top-level app; the
// callbacks read `ctx` and set ctx.exit_status. One file per verb or noun.
void add_project_commands(CLI::App& app, Context& ctx);    // config, graph (and later up, down…)
void add_image_commands(CLI::App& app, Context& ctx);      // image …
void add_container_commands(CLI::App& app, Context& ctx);  // container …
void add_runtime_commands(CLI::App& app, Context& ctx);    // runtime … (the built-in OCI runtime, runc-like)
void add_network_commands(CLI::App& app, Context& ctx);    // network …            (network_cmd.cpp)
void add_volume_commands(CLI::App& app, Context& ctx);     // volume …             (volume_cmd.cpp)
void add_system_commands(CLI::App& app, Context& ctx);     // system info …        (system_cmd.cpp)
void add_login_commands(CLI::App& app, Context& ctx);      // login, logout        (login_cmd.cpp)
// Project verbs (docker compose): up, down, create, start, stop, restart, kill, rm,
// run, scale, pause, unpause (compose_lifecycle_cmd.cpp and the files it names) …
void add_compose_lifecycle_commands(CLI::App& app, Context& ctx);
// … and ps, logs, exec, top, port, images, events, cp, ls, attach, stats, wait
// (compose_view_cmd.cpp and the files it names).
void add_compose_view_commands(CLI::App& app, Context& ctx);
// … and build (compose_build_cmd.cpp), pull, push (compose_pull_cmd.cpp).
void add_compose_build_commands(CLI::App& app, Context& ctx);
void add_compose_pull_commands(CLI::App& app, Context& ctx);
// Extra verbs under `image`: build (image_build_cmd.cpp); save, load, pull, push (image_archive_cmd.cpp).
void add_image_build_commands(CLI::App& image_noun, Context& ctx);
void add_image_archive_commands(CLI::App& image_noun, Context& ctx);
// Extra verbs under `container`: cp (container_cp_cmd.cpp); diff, commit (container_layer_cmd.cpp).
void add_container_cp_commands(CLI::App& container_noun, Context& ctx);
void add_container_layer_commands(CLI::App& container_noun, Context& ctx);
// Hidden verbs a container's monitor runs: __monitor-probe, __monitor-exit (monitor_internal_cmd.cpp).
void add_monitor_internal_commands(CLI::App& app, Context& ctx);

}  // namespace hako::cli
