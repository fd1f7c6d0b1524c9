// This file declares the executor: it walks a Plan over an Engine, running
// everything in parallel that the plan's order and depends_on conditions allow
// (service_started, service_healthy, service_completed_successfully, required),
// and the reverse walk that stops and removes a project's containers. It decides
// nothing the plan did not say; it reports progress events as it goes.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "src/reconcile/engine.h"
#include "src/reconcile/plan.h"

namespace hako::reconcile {

// One line of the progress view: "Container demo-web-1  Started".
struct Event {
    enum class State { Working, Done, Error, Warning };
    std::string kind;  // Network, Volume, Image, Container
    std::string name;
    std::string text;  // Creating, Created, Starting, Started, Waiting, Healthy, Stopping, Removed, Error …
    State state = State::Working;
};
using Reporter = std::function<void(const Event&)>;

struct ExecuteOptions {
    std::optional<int> stop_timeout;  // -t for the containers a recreate stops
    bool renew_anon_volumes = false;
    std::chrono::milliseconds poll{20};
};

// Applies the plan. A required dependency that fails to start, turns unhealthy
// or exits (for service_healthy) or exits non-zero (for
// service_completed_successfully) fails its dependents with a message naming it;
// the others go on. Returns the first error, after every thread finished.
Result<void> execute(const Plan& plan, Engine& engine, const ExecuteOptions& options, const Reporter& report);

// The containers a --wait waits for: until every container is running (and
// healthy when it has a healthcheck), or exited 0 for a one-shot service;
// fails naming the first that exited non-zero or turned unhealthy, or when
// `timeout` passed.
Result<void> wait_until_ready(Engine& engine, const std::vector<std::string>& container_ids,
                              std::optional<std::chrono::seconds> timeout, const Reporter& report);

// Which containers to act on, by service, and the order of services (start order).
struct StopRequest {
    std::vector<std::string> order;  // services in start order; unknown services stop first
    std::map<std::string, std::vector<std::string>> dependents;  // service → the services that need it
    std::vector<ObservedContainer> containers;
    std::optional<int> timeout;
    bool remove = false;                   // down, rm
    bool remove_anonymous_volumes = false; // down -v, rm -v
    std::optional<int> kill_signal;        // kill instead of stop
    // Called once, from a worker, when every container has stopped without an
    // error, while the removals may still run: down starts removing the
    // project's networks there (their endpoints went with the monitors).
    std::function<void()> on_all_stopped;
};
// Stops (or kills) the containers, each service after every service that
// depends on it; with `remove` also removes them. Parallel across services.
Result<void> stop(const StopRequest& request, Engine& engine, const Reporter& report);

}  // namespace hako::reconcile
