// This file implements how the project verbs find what they act on: the
// project (loaded from its compose files, or only its name from -p /
// COMPOSE_PROJECT_NAME when no file is around) and its containers, chosen by
// the labels hako.project / hako.service / hako.container-number / hako.oneoff,
// with service names and --index as docker compose takes them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/container/container_store.h"
#include "engine/sys/error.h"
#include "src/cli/context.h"
#include "src/cli/log_stream.h"
#include "src/project/project.h"

namespace hako::cli {

struct ProjectTarget {
    std::string name;
    std::optional<project::Project> project;  // set when compose files were found and loaded

    // Whether `service` can be named: any name when only the project's name is
    // known, else a service of the model (profiles' disabled ones included).
    bool knows_service(const std::string& service) const;
};

// The project of this invocation: project::load with the global flags; when no
// compose file is found but -p or COMPOSE_PROJECT_NAME names the project, that
// name alone (as docker compose ps/logs/down work without files).
Result<ProjectTarget> resolve_project(const Context& ctx);

// One container of the project, as the view verbs see it.
struct ServiceContainer {
    container::ContainerRecord record;
    container::ContainerState state;  // observed: a vanished monitor shows as exited
    std::string service;
    int number = 0;
    bool oneoff = false;

    // The name without "project-": "web-1", as docker compose prefixes log lines.
    std::string short_name(const std::string& project) const;
    bool running() const;
};

struct Selection {
    std::vector<std::string> services;  // empty: every service
    std::optional<int> index;           // --index: the container with this number
    bool include_stopped = true;        // false: only running (or restarting) ones
    bool include_oneoff = false;        // containers of `run`
};

// The project's containers that match, ordered by service then number (one-off
// containers last). A service that the project does not have (known by name
// only: that no container of the project carries) is an error ("no such
// service: X", status 1); so is --index naming no container.
Result<std::vector<ServiceContainer>> select_containers(const container::ContainerStore& store,
                                                        const ProjectTarget& target, const Selection& selection);

// Opens the container store of --root.
Result<container::ContainerStore> open_container_store(const Context& ctx);

// The log source (prefix "web-1") of a selected container.
LogSource log_source(const container::ContainerStore& store, const ServiceContainer& container,
                     const std::string& project);

// Reports a verb's error on stderr and stores its exit status in ctx.
void fail_verb(Context& ctx, Error error);

// Whether colours go to stdout: --ansi always, or auto on a terminal; never with
// --ansi never or NO_COLOR.
bool use_color(const Context& ctx);

}  // namespace hako::cli
