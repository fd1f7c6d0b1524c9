// This file declares what the compose lifecycle verbs (compose_*_cmd.cpp) share:
// a session that loads the project, opens the engine and holds the project lock,
// and the helpers that turn observed containers into stop requests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/sys/lock.h"
#include "src/cli/context.h"
#include "src/cli/progress.h"
#include "src/graph/graph.h"
#include "src/project/project.h"
#include "src/reconcile/execute.h"
#include "src/reconcile/local_engine.h"

namespace CLI {
class App;
}

namespace hako::cli {

struct ComposeSession {
    std::optional<project::Project> project;  // absent: `down -p NAME` without files
    std::optional<graph::ProjectGraph> graph;
    std::string name;                          // the project name
    std::unique_ptr<reconcile::LocalEngine> engine;
    std::optional<sys::FileLock> lock;
};

enum class NeedProject { Required, NameIsEnough };

// Loads the project (services named on the command line enable their profiles),
// builds its graph, opens the engine in --root and takes the project's lock.
Result<ComposeSession> open_session(Context& ctx, const std::vector<std::string>& services,
                                    NeedProject need = NeedProject::Required);

// The project's containers (not one-off unless asked) of the named services
// (all when none), checking that every named service exists.
Result<std::vector<reconcile::ObservedContainer>> project_containers(ComposeSession& session,
                                                                     const std::vector<std::string>& services,
                                                                     bool include_oneoff = false);

// A stop request for `containers` ordered by the project's graph.
reconcile::StopRequest stop_request(const ComposeSession& session, std::vector<reconcile::ObservedContainer> containers);

// The progress view for this invocation's --progress/--ansi.
Result<std::unique_ptr<Progress>> make_progress(const Context& ctx, const std::string& title);

// Registration of each verb, in its own file.
void add_compose_up_command(CLI::App& app, Context& ctx);      // compose_up_cmd.cpp (up, create)
void add_compose_down_command(CLI::App& app, Context& ctx);    // compose_down_cmd.cpp
void add_compose_start_commands(CLI::App& app, Context& ctx);  // compose_start_cmd.cpp (start, stop, restart, kill, rm)
void add_compose_run_command(CLI::App& app, Context& ctx);     // compose_run_cmd.cpp
void add_compose_scale_command(CLI::App& app, Context& ctx);   // compose_scale_cmd.cpp

}  // namespace hako::cli
