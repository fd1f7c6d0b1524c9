// `hako events [--json] [SERVICE…]`: the project's container events as they
// happen. There is no daemon to ask, so it watches the state root: every
// 100 ms it reads the project's container records and states and reports
// what changed — create, start, restart, die, pause, unpause, health_status,
// destroy — until interrupted.
#include <time.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/container/lifecycle.h"
#include "engine/container/pause.h"
#include "src/cli/compose_select.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/context.h"

namespace hako::cli {

namespace {

struct EventsFlags {
    bool json = false;
    std::vector<std::string> services;
};

// What is compared between two looks at a container.
struct Seen {
    std::string name, image, service;
    std::string status, started_at, health;
    int restart_count = 0;
    int exit_code = 0;
    bool paused = false;
};

Seen seen_of(const ServiceContainer& c) {
    Seen s;
    s.name = c.record.name;
    s.image = c.record.image;
    s.service = c.service;
    s.status = c.state.status;
    s.started_at = c.state.started_at;
    s.health = c.state.health_status;
    s.restart_count = c.state.restart_count;
    s.exit_code = c.state.exit_code;
    s.paused = c.state.status == "running" && container::is_paused(c.record);
    return s;
}

struct Printer {
    bool json;
    void operator()(const std::string& id, const Seen& s, const std::string& action,
                    std::map<std::string, std::string> extra = {}) const {
        timespec ts{};
        ::clock_gettime(CLOCK_REALTIME, &ts);
        tm utc{};
        ::gmtime_r(&ts.tv_sec, &utc);
        char date[32], fraction[32];
        std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &utc);
        std::map<std::string, std::string> attributes = {{"image", s.image}, {"name", s.name}};
        attributes.insert(extra.begin(), extra.end());
        if (json) {
            char rfc3339[40];
            std::strftime(rfc3339, sizeof rfc3339, "%Y-%m-%dT%H:%M:%S", &utc);
            std::snprintf(fraction, sizeof fraction, ".%09ldZ", ts.tv_nsec);
            nlohmann::ordered_json line = {{"time", std::string(rfc3339) + fraction},
                                           {"type", "container"},
                                           {"action", action},
                                           {"id", id},
                                           {"service", s.service},
                                           {"attributes", attributes}};
            std::cout << line.dump() << std::endl;
            return;
        }
        std::snprintf(fraction, sizeof fraction, ".%06ld", ts.tv_nsec / 1000);
        std::string text = std::string(date) + fraction + " container " + action + " " + id + " (";
        bool first = true;
        for (const auto& [key, value] : attributes) {
            text += (first ? "" : ", ") + key + "=" + value;
            first = false;
        }
        std::cout << text << ")" << std::endl;
    }
};

// The events that lead from `before` to `after` (one container).
void report_changes(const Printer& print, const std::string& id, const Seen& before, const Seen& after) {
    bool was_running = before.status == "running" || before.status == "restarting";
    bool is_running = after.status == "running" || after.status == "restarting";
    if (after.restart_count > before.restart_count || (was_running && after.started_at != before.started_at &&
                                                       after.status == "running")) {
        if (was_running && before.status == "running") print(id, after, "die", {{"exitCode", std::to_string(after.exit_code)}});
        print(id, after, "restart");
        print(id, after, "start");
    } else if (!was_running && after.status == "running") {
        print(id, after, "start");
    } else if (was_running && !is_running) {
        print(id, after, "die", {{"exitCode", std::to_string(after.exit_code)}});
    } else if (!was_running && !is_running && after.started_at != before.started_at &&
               after.started_at.rfind("0001-", 0) != 0) {
        // It ran and ended between two looks (a one-shot job): both happened.
        print(id, after, "start");
        print(id, after, "die", {{"exitCode", std::to_string(after.exit_code)}});
    }
    if (!before.paused && after.paused) print(id, after, "pause");
    if (before.paused && !after.paused && is_running) print(id, after, "unpause");
    if (after.health != before.health && !after.health.empty()) print(id, after, "health_status: " + after.health);
}

// Whether an RFC 3339 start time is a real one (not docker's zero time).
bool epoch_start(const std::string& started_at) { return !started_at.empty() && started_at.rfind("0001-", 0) != 0; }

Result<void> run_events(const Context& ctx, const EventsFlags& flags) {
    ProjectTarget target = TRY(resolve_project(ctx));
    container::ContainerStore store = TRY(open_container_store(ctx));
    Selection selection;
    selection.services = flags.services;
    selection.include_oneoff = true;
    Printer print{flags.json};
    std::map<std::string, Seen> known;
    for (const auto& c : TRY(select_containers(store, target, selection))) known[c.record.id] = seen_of(c);
    while (true) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto listed = select_containers(store, target, selection);
        if (!listed.ok()) continue;  // a record being written: look again
        std::map<std::string, Seen> now;
        for (const auto& c : *listed) {
            Seen s = seen_of(c);
            auto before = known.find(c.record.id);
            if (before == known.end()) {
                // New since the last look: it may already have started, or even ended.
                print(c.record.id, s, "create");
                bool started = epoch_start(s.started_at);
                if (started) print(c.record.id, s, "start");
                if (started && s.status == "exited")
                    print(c.record.id, s, "die", {{"exitCode", std::to_string(s.exit_code)}});
                if (s.paused) print(c.record.id, s, "pause");
                if (!s.health.empty()) print(c.record.id, s, "health_status: " + s.health);
            } else {
                report_changes(print, c.record.id, before->second, s);
            }
            now[c.record.id] = std::move(s);
        }
        for (const auto& [id, s] : known) {
            if (now.count(id)) continue;
            print(id, s, "destroy");
        }
        known = std::move(now);
    }
}

}  // namespace

void add_compose_events_command(CLI::App& app, Context& ctx) {
    auto flags = std::make_shared<EventsFlags>();
    CLI::App* cmd = app.add_subcommand("events", "Receive real time events from containers");
    cmd->add_flag("--json", flags->json, "Output events as a stream of json objects");
    cmd->add_option("SERVICE", flags->services, "Services");
    cmd->callback([&ctx, flags] {
        auto result = run_events(ctx, *flags);
        if (!result.ok()) return fail_verb(ctx, std::move(result).error());
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
