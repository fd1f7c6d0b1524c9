// This file implements the executor (execute.h): one thread per service that
// waits for its dependencies' conditions and then applies its steps, after the
// networks, volumes, images and orphan removals the services need; the networks'
// activation (NAT rules, DNS) runs beside the creates, and starts wait for it.
#include "src/reconcile/execute.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace hako::reconcile {

namespace {

using Clock = std::chrono::steady_clock;

// What the service threads share: which services finished, and their containers.
class Board {
public:
    void finish(const std::string& service, std::vector<std::string> ids, std::optional<Error> error) {
        std::lock_guard lock(mutex_);
        done_[service] = std::move(error);
        ids_[service] = std::move(ids);
        changed_.notify_all();
    }
    // Blocks until `service` finished; its error, if it failed.
    std::optional<Error> wait(const std::string& service) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return done_.count(service) > 0; });
        return done_[service];
    }
    std::vector<std::string> ids(const std::string& service) {
        std::lock_guard lock(mutex_);
        return ids_[service];
    }
    void first_error(const Error& error) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = error;
    }
    std::optional<Error> error() {
        std::lock_guard lock(mutex_);
        return error_;
    }
    // The networks' activation (Engine::activate_networks) runs beside the creates;
    // every start waits for it, and fails with its error.
    void expect_activation() {
        std::lock_guard lock(mutex_);
        activated_ = false;
    }
    void networks_activated(std::optional<Error> error) {
        std::lock_guard lock(mutex_);
        activated_ = true;
        activation_error_ = std::move(error);
        changed_.notify_all();
    }
    Result<void> wait_networks() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return activated_; });
        if (activation_error_) return *activation_error_;
        return ok();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, std::optional<Error>> done_;
    std::map<std::string, std::vector<std::string>> ids_;
    std::optional<Error> error_;
    bool activated_ = true;
    std::optional<Error> activation_error_;
};

void sleep_for(std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); }

// Holds until `wait` is met by every container of its service.
Result<void> await_condition(Engine& engine, const Wait& wait, const std::vector<std::string>& ids,
                             const ExecuteOptions& options, const Reporter& report) {
    if (wait.condition == "service_started") return ok();
    for (const auto& id : ids) {
        bool announced = false;
        auto first_seen = Clock::now();
        for (;;) {
            auto container = engine.inspect(id);
            if (!container.ok()) return Error("dependency " + wait.service + ": " + container.error().message);
            if (!announced) {
                report({"Container", container->name, "Waiting", Event::State::Working});
                announced = true;
            }
            if (wait.condition == "service_healthy") {
                if (container->health == "healthy") {
                    report({"Container", container->name, "Healthy", Event::State::Done});
                    break;
                }
                if (container->health == "unhealthy")
                    return Error("dependency failed to start: container " + container->name + " is unhealthy");
                // The monitor reports "starting" once its first run began; a container
                // that still shows no verdict after a grace period has no healthcheck.
                if (container->health.empty() && container->running() && Clock::now() - first_seen > std::chrono::seconds(2))
                    return Error("dependency failed to start: container " + container->name +
                                 " has no healthcheck configured");
                if (!container->running() && container->status != "created")
                    return Error("dependency failed to start: container " + container->name + " exited (" +
                                 std::to_string(container->exit_code) + ")");
            } else if (wait.condition == "service_completed_successfully") {
                if (!container->running() && container->status != "created") {
                    if (container->exit_code != 0)
                        return Error("service \"" + wait.service + "\" didn't complete successfully: exit " +
                                     std::to_string(container->exit_code));
                    report({"Container", container->name, "Exited", Event::State::Done});
                    break;
                }
            } else {
                return Error("unknown depends_on condition " + wait.condition + " for " + wait.service);
            }
            sleep_for(options.poll);
        }
    }
    return ok();
}

// "service:X" → "container:ID" in the request's namespace and volumes_from references.
Result<void> resolve_references(container::CreateRequest& request, Board& board, const Plan& plan) {
    auto resolve = [&](std::string& value, const char* prefix) -> Result<void> {
        if (value.rfind("service:", 0) != 0) return ok();
        std::string service = value.substr(8);
        std::vector<std::string> ids = board.ids(service);
        std::string id = ids.empty() ? "" : ids.front();
        if (id.empty()) {
            auto it = plan.first_container.find(service);
            if (it != plan.first_container.end()) id = it->second;
        }
        if (id.empty()) return Error("service " + service + " has no container to share with");
        value = prefix + id;
        return ok();
    };
    if (request.networking.contains("mode") && request.networking["mode"].is_string()) {
        std::string mode = request.networking["mode"];
        TRY(resolve(mode, "container:"));
        request.networking["mode"] = mode;
    }
    for (const char* key : {"pid", "ipc"}) {
        if (!request.process.contains(key) || !request.process[key].is_string()) continue;
        std::string value = request.process[key];
        TRY(resolve(value, "container:"));
        request.process[key] = value;
    }
    for (auto& mount : request.mounts) {
        if (mount.value("type", "") != "volumes_from") continue;
        std::string source = mount.value("source", "");
        TRY(resolve(source, ""));
        mount["source"] = source;
    }
    return ok();
}

// The old container's anonymous volumes mounted again at their targets: an
// anonymous volume of the new request (empty source) or an image VOLUME folder no
// mount covers gets the old volume, as docker compose does without -V.
void carry_anonymous_volumes(container::CreateRequest& request, const std::vector<Json>& volumes) {
    for (const auto& volume : volumes) {
        const std::string target = volume.value("target", "");
        bool covered = false;
        for (auto& mount : request.mounts) {
            if (!mount.is_object() || mount.value("target", "") != target) continue;
            covered = true;
            if (mount.value("type", "") == "volume" && mount.value("source", "").empty())
                mount["source"] = volume.value("source", "");
        }
        if (!covered)
            request.mounts.push_back({{"type", "volume"},
                                      {"source", volume.value("source", "")},
                                      {"target", target},
                                      {"read_only", false}});
    }
}

Result<std::string> apply_step(const ServicePlan& service, const ContainerStep& step, Engine& engine, Board& board,
                               const Plan& plan, const ExecuteOptions& options, const Reporter& report) {
    auto fail = [&](Error error) {
        report({"Container", step.name, "Error", Event::State::Error});
        return std::move(error).context("container " + step.name);
    };
    std::vector<Json> carried_volumes;  // a recreate's anonymous volumes, without -V
    auto create_and_start = [&]() -> Result<std::string> {
        container::CreateRequest request = step.request;
        carry_anonymous_volumes(request, carried_volumes);
        if (auto resolved = resolve_references(request, board, plan); !resolved.ok()) return fail(resolved.error());
        report({"Container", step.name, "Creating", Event::State::Working});
        auto id = engine.create_container(request);
        if (!id.ok()) return fail(std::move(id).error());
        report({"Container", step.name, "Created", Event::State::Done});
        if (service.start) {
            report({"Container", step.name, "Starting", Event::State::Working});
            if (auto ready = board.wait_networks(); !ready.ok()) return fail(std::move(ready).error());
            if (auto started = engine.start_container(*id); !started.ok()) return fail(std::move(started).error());
            report({"Container", step.name, "Started", Event::State::Done});
        }
        return *id;
    };
    switch (step.action) {
        case Action::Keep:
            report({"Container", step.name, "Running", Event::State::Done});
            return step.existing_id;
        case Action::Create:
            return create_and_start();
        case Action::Recreate: {
            report({"Container", step.name, "Recreate", Event::State::Working});
            if (!options.renew_anon_volumes) {
                auto anonymous = engine.anonymous_volumes(step.existing_id);
                if (!anonymous.ok()) return fail(std::move(anonymous).error());
                carried_volumes = std::move(anonymous).value();
            }
            if (auto stopped = engine.stop_container(step.existing_id, options.stop_timeout); !stopped.ok())
                return fail(std::move(stopped).error());
            if (auto removed = engine.remove_container(step.existing_id, options.renew_anon_volumes); !removed.ok())
                return fail(std::move(removed).error());
            return create_and_start();
        }
        case Action::Start:
            report({"Container", step.name, "Starting", Event::State::Working});
            if (auto ready = board.wait_networks(); !ready.ok()) return fail(std::move(ready).error());
            if (auto started = engine.start_container(step.existing_id); !started.ok()) return fail(std::move(started).error());
            report({"Container", step.name, "Started", Event::State::Done});
            return step.existing_id;
        case Action::Restart:
            report({"Container", step.name, "Restarting", Event::State::Working});
            if (auto stopped = engine.stop_container(step.existing_id, options.stop_timeout); !stopped.ok())
                return fail(std::move(stopped).error());
            if (auto ready = board.wait_networks(); !ready.ok()) return fail(std::move(ready).error());
            if (auto started = engine.start_container(step.existing_id); !started.ok()) return fail(std::move(started).error());
            report({"Container", step.name, "Started", Event::State::Done});
            return step.existing_id;
        case Action::Remove:
            report({"Container", step.name, "Stopping", Event::State::Working});
            if (auto stopped = engine.stop_container(step.existing_id, options.stop_timeout); !stopped.ok())
                return fail(std::move(stopped).error());
            if (auto removed = engine.remove_container(step.existing_id, false); !removed.ok())
                return fail(std::move(removed).error());
            report({"Container", step.name, "Removed", Event::State::Done});
            return std::string();
    }
    return std::string();
}

void run_service(const ServicePlan& service, Engine& engine, Board& board, const Plan& plan,
                 const ExecuteOptions& options, const Reporter& report) {
    std::vector<std::string> ids;
    // Conditions first: a failed required dependency fails this service untouched.
    for (const auto& wait : service.waits) {
        std::optional<Error> failed = board.wait(wait.service);
        Result<void> held = failed ? Result<void>(*failed) : Result<void>();
        if (!failed && service.start) held = await_condition(engine, wait, board.ids(wait.service), options, report);
        if (!held.ok()) {
            if (!wait.required) {
                report({"Service", service.service, "optional dependency " + wait.service + " failed: " + held.error().message,
                        Event::State::Warning});
                continue;
            }
            Error error = failed ? Error("dependency " + wait.service + " failed to start") : held.error();
            for (const auto& step : service.steps)
                if (step.action != Action::Remove) report({"Container", step.name, "Error", Event::State::Error});
            board.finish(service.service, {}, error);
            return;
        }
    }
    std::optional<Error> error;
    for (const auto& step : service.steps) {
        auto id = apply_step(service, step, engine, board, plan, options, report);
        if (!id.ok()) {
            if (!error) error = id.error();
            continue;
        }
        if (!id->empty()) ids.push_back(*id);
    }
    board.finish(service.service, std::move(ids), error);
}

// Runs `jobs` on their own threads and waits for all; the first error.
Result<void> run_parallel(std::vector<std::function<Result<void>()>> jobs) {
    std::mutex mutex;
    std::optional<Error> first;
    std::vector<std::thread> threads;
    threads.reserve(jobs.size());
    for (auto& job : jobs)
        threads.emplace_back([&, job = std::move(job)] {
            auto result = job();
            std::lock_guard lock(mutex);
            if (!result.ok() && !first) first = result.error();
        });
    for (auto& thread : threads) thread.join();
    if (first) return *first;
    return ok();
}

}  // namespace

Result<void> execute(const Plan& plan, Engine& engine, const ExecuteOptions& options, const Reporter& report) {
    // Phase 1: what containers need (networks, volumes, images), and orphans gone.
    std::vector<std::function<Result<void>()>> jobs;
    for (const auto& [step, request] : plan.networks) {
        jobs.push_back([&, step = step, request = request]() -> Result<void> {
            if (step.external) {
                auto exists = engine.network_exists(step.name);
                if (!exists.ok()) return std::move(exists).error();
                if (!*exists)
                    return Error("network " + step.name + " declared as external, but could not be found");
                return ok();
            }
            if (!step.create) return ok();
            report({"Network", step.name, "Creating", Event::State::Working});
            if (auto created = engine.create_network(request); !created.ok()) {
                report({"Network", step.name, "Error", Event::State::Error});
                return std::move(created).error().context("network " + step.name);
            }
            report({"Network", step.name, "Created", Event::State::Done});
            return ok();
        });
    }
    for (const auto& [step, request] : plan.volumes) {
        jobs.push_back([&, step = step, request = request]() -> Result<void> {
            if (step.external) {
                auto exists = engine.volume_exists(step.name);
                if (!exists.ok()) return std::move(exists).error();
                if (!*exists) return Error("external volume \"" + step.name + "\" not found");
                return ok();
            }
            if (!step.create) return ok();
            report({"Volume", step.name, "Creating", Event::State::Working});
            if (auto created = engine.create_volume(request); !created.ok()) {
                report({"Volume", step.name, "Error", Event::State::Error});
                return std::move(created).error().context("volume " + step.name);
            }
            report({"Volume", step.name, "Created", Event::State::Done});
            return ok();
        });
    }
    for (const auto& image : plan.images) {
        jobs.push_back([&, image = image]() -> Result<void> {
            std::string doing = image.how == "build" ? "Building" : "Pulling";
            report({"Image", image.reference, doing, Event::State::Working});
            if (auto made = engine.ensure_image(image.request); !made.ok()) {
                report({"Image", image.reference, "Error", Event::State::Error});
                return std::move(made).error().context("service " + image.service);
            }
            report({"Image", image.reference, image.how == "build" ? "Built" : "Pulled", Event::State::Done});
            return ok();
        });
    }
    for (const auto& step : plan.orphans) {
        jobs.push_back([&, step = step]() -> Result<void> {
            report({"Container", step.name, "Stopping", Event::State::Working});
            auto stopped = engine.stop_container(step.existing_id, options.stop_timeout);
            if (stopped.ok()) stopped = engine.remove_container(step.existing_id, false);
            if (!stopped.ok()) {
                report({"Container", step.name, "Error", Event::State::Error});
                return std::move(stopped).error().context("container " + step.name);
            }
            report({"Container", step.name, "Removed", Event::State::Done});
            return ok();
        });
    }
    TRY(run_parallel(std::move(jobs)));

    // Phase 2: every service on its own thread, held back by its conditions.
    bool starts = std::any_of(plan.services.begin(), plan.services.end(), [](const ServicePlan& service) {
        return std::any_of(service.steps.begin(), service.steps.end(), [&](const ContainerStep& step) {
            bool created = step.action == Action::Create || step.action == Action::Recreate;
            return step.action == Action::Start || step.action == Action::Restart || (created && service.start);
        });
    });
    if (starts) TRY(engine.begin_parallel_starts());
    struct EndStarts {
        Engine& engine;
        bool active;
        ~EndStarts() {
            if (active) engine.end_parallel_starts();
        }
    } end_starts{engine, starts};
    Board board;
    // After the starter's fork (begin_parallel_starts wants the CLI single-threaded):
    // the networks' NAT rules come up while the containers are created; the starts
    // wait for them, not for the DNS responder that follows (its ~25 ms start-up
    // overlaps the monitors' set-ups; each attach syncs it again).
    std::thread activation;
    if (!plan.networks.empty()) {
        board.expect_activation();
        activation = std::thread([&] {
            auto activated = engine.activate_networks();
            bool done = activated.ok();
            if (done) board.networks_activated(std::nullopt);
            else board.networks_activated(std::move(activated).error().context("networks"));
            if (done) engine.activate_networks_after();
        });
    }
    std::vector<std::thread> threads;
    threads.reserve(plan.services.size());
    for (const auto& service : plan.services)
        threads.emplace_back([&, &service = service] { run_service(service, engine, board, plan, options, report); });
    for (auto& thread : threads) thread.join();
    if (activation.joinable()) activation.join();
    if (auto activated = board.wait_networks(); !activated.ok()) return std::move(activated).error();
    // Every failure, one per line: several dependencies may fail independently.
    std::optional<Error> all;
    for (const auto& service : plan.services) {
        auto failed = board.wait(service.service);
        if (!failed) continue;
        if (!all) all = *failed;
        else if (all->message.find(failed->message) == std::string::npos) all->message += "\n" + failed->message;
    }
    if (all) return *all;
    return ok();
}

Result<void> wait_until_ready(Engine& engine, const std::vector<std::string>& container_ids,
                              std::optional<std::chrono::seconds> timeout, const Reporter& report) {
    auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
    std::set<std::string> pending(container_ids.begin(), container_ids.end());
    while (!pending.empty()) {
        for (auto it = pending.begin(); it != pending.end();) {
            auto container = engine.inspect(*it);
            if (!container.ok()) return std::move(container).error();
            bool ready = false;
            if (container->running()) {
                if (container->health == "unhealthy")
                    return Error("container " + container->name + " is unhealthy");
                ready = container->health.empty() || container->health == "healthy";
            } else if (container->status != "created") {
                if (container->exit_code != 0)
                    return Error("container " + container->name + " exited (" + std::to_string(container->exit_code) + ")");
                ready = true;  // a one-shot service that completed
            }
            if (ready) {
                report({"Container", container->name, container->running() ? "Healthy" : "Exited", Event::State::Done});
                it = pending.erase(it);
            } else {
                ++it;
            }
        }
        if (pending.empty()) break;
        if (Clock::now() >= deadline) return Error("timeout waiting for the project's containers to be ready");
        sleep_for(std::chrono::milliseconds(50));
    }
    return ok();
}

Result<void> stop(const StopRequest& request, Engine& engine, const Reporter& report) {
    std::map<std::string, std::vector<const ObservedContainer*>> by_service;
    for (const auto& container : request.containers) by_service[container.service].push_back(&container);
    std::set<std::string> known(request.order.begin(), request.order.end());
    Board board;
    std::atomic<size_t> stopping{request.containers.size()};
    std::atomic<bool> stop_failed{false};
    auto stopped_one = [&](bool stopped) {
        if (!stopped) stop_failed = true;
        if (--stopping == 0 && !stop_failed && request.on_all_stopped) request.on_all_stopped();
    };
    auto stop_service = [&](const std::string& service) {
        // Every service that needs this one stops first.
        auto dependents = request.dependents.find(service);
        if (dependents != request.dependents.end())
            for (const auto& dependent : dependents->second)
                if (by_service.count(dependent)) (void)board.wait(dependent);
        std::optional<Error> error;
        for (const ObservedContainer* container : by_service[service]) {
            Result<void> done;
            if (request.kill_signal) {
                if (!container->running()) {
                    stopped_one(true);
                    continue;
                }
                report({"Container", container->name, "Killing", Event::State::Working});
                done = engine.kill_container(container->id, *request.kill_signal);
                if (done.ok()) report({"Container", container->name, "Killed", Event::State::Done});
                stopped_one(done.ok());
            } else {
                if (container->running() || request.remove) {
                    report({"Container", container->name, "Stopping", Event::State::Working});
                    done = engine.stop_container(container->id, request.timeout);
                    if (done.ok()) report({"Container", container->name, "Stopped", Event::State::Done});
                }
                stopped_one(done.ok());
                if (done.ok() && request.remove) {
                    report({"Container", container->name, "Removing", Event::State::Working});
                    done = engine.remove_container(container->id, request.remove_anonymous_volumes);
                    if (done.ok()) report({"Container", container->name, "Removed", Event::State::Done});
                }
            }
            if (!done.ok()) {
                report({"Container", container->name, "Error", Event::State::Error});
                if (!error) error = std::move(done).error().context("container " + container->name);
            }
        }
        board.finish(service, {}, error);
    };
    std::vector<std::thread> threads;
    for (const auto& [service, containers] : by_service)
        threads.emplace_back([&, service = service] { stop_service(service); });
    for (auto& thread : threads) thread.join();
    for (const auto& [service, containers] : by_service)
        if (auto failed = board.wait(service)) return *failed;
    return ok();
}

}  // namespace hako::reconcile
