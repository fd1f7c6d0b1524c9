// This file implements hako's dispatcher: it builds the CLI11 app (global flags
// plus the verb argv names, or every verb and noun when it names none it
// knows), parses, runs the chosen verb, and reduces CLI11's exceptions to
// one-line usage errors with exit status 2.
#include "src/cli/app.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <mutex>
#include <string_view>

#include "src/cli/cli_docs.h"
#include "src/cli/compose_lifecycle_cmd.h"
#include "src/cli/compose_view_cmd.h"
#include "src/cli/global_options.h"

extern char** environ;

namespace hako::cli {

namespace {

// Thrown from the top-level callback when an environment fallback is invalid,
// so that it is reported like a bad flag.
struct EnvironmentUsageError {
    Error error;
};

std::string one_line(std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    for (size_t i; (i = text.find('\n')) != std::string::npos;) text.replace(i, 1, "; ");
    return text;
}

// "hako config" for the deepest verb the user chose.
std::string command_path(const CLI::App& app) {
    std::string path = "hako";
    const CLI::App* current = &app;
    while (true) {
        auto chosen = current->get_subcommands();
        if (chosen.empty()) break;
        current = chosen.front();
        path += " " + current->get_name();
    }
    return path;
}

// CLI11's exception, reworded as hako's one-line usage message (without the
// "hako: " prefix and the help hint).
std::string usage_message(const CLI::ParseError& e, const CLI::App& app) {
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
        auto extras = app.remaining(true);  // a verb's unknown flags fall through to here
        if (!extras.empty()) {
            std::string first = extras.front();
            if (first.size() > 1 && first[0] == '-') return "unknown flag " + first.substr(0, first.find('='));
            if (app.get_subcommands().empty()) return "unknown command " + first;
            return command_path(app).substr(5) + ": unexpected argument " + first;
        }
    }
    return one_line(e.what());
}

using Registration = void (*)(CLI::App&, Context&);

// The registration function that owns each top-level verb. A process builds
// only the group of the verb it runs: building the options of every verb took
// 9 M instructions of every start, monitors included. A verb missing here
// (a new one, the hidden docs verb) still works: it gets the whole app.
struct VerbGroup {
    std::string_view verb;
    Registration add;
};
constexpr VerbGroup kVerbGroups[] = {
    {"config", add_project_commands},
    {"graph", add_project_commands},
    {"image", add_image_commands},
    {"container", add_container_commands},
    {"runtime", add_runtime_commands},
    {"network", add_network_commands},
    {"volume", add_volume_commands},
    {"system", add_system_commands},
    {"login", add_login_commands},
    {"logout", add_login_commands},
    {"up", add_compose_up_command},  // the compose verbs one file each: `up` builds only up's flags
    {"create", add_compose_up_command},
    {"down", add_compose_down_command},
    {"start", add_compose_start_commands},
    {"stop", add_compose_start_commands},
    {"restart", add_compose_start_commands},
    {"kill", add_compose_start_commands},
    {"rm", add_compose_start_commands},
    {"run", add_compose_run_command},
    {"scale", add_compose_scale_command},
    {"ps", add_compose_ps_command},
    {"logs", add_compose_logs_command},
    {"top", add_compose_top_command},
    {"port", add_compose_port_command},
    {"images", add_compose_images_command},
    {"ls", add_compose_ls_command},
    {"wait", add_compose_wait_command},
    {"pause", add_compose_pause_commands},
    {"unpause", add_compose_pause_commands},
    {"stats", add_compose_stats_command},
    {"events", add_compose_events_command},
    {"cp", add_compose_cp_command},
    {"exec", add_compose_exec_command},
    {"attach", add_compose_attach_command},
    {"build", add_compose_build_commands},
    {"pull", add_compose_pull_commands},
    {"push", add_compose_pull_commands},
    {"version", add_version_command},
    {"__monitor-probe", add_monitor_internal_commands}, {"__monitor-exit", add_monitor_internal_commands},
};

// The global flags that take a value (global_options.cpp); `attachable`: the
// short form can carry it in the same word ("-fcompose.yaml").
struct ValueFlag {
    std::string_view name;
    bool attachable;
};
constexpr ValueFlag kValueFlags[] = {
    {"-f", true},         {"--file", false},    {"-p", true},          {"--project-name", false},
    {"--project-directory", false}, {"--profile", false}, {"--env-file", false}, {"--root", false},
    {"--log-level", false}, {"--ansi", false},  {"--progress", false},
};

// The group of the verb `args` names: the first word that is not a global
// flag or its value. nullptr (build everything) when there is no verb, when
// it is not in the table, or when something else comes first (--help,
// --version, "--", a flag hako does not know), so that help and errors are
// those of the whole app. `next_word`: the word after the verb unless it is
// a flag (Context::chosen_verb).
Registration chosen_group(const std::vector<std::string>& args, std::string& next_word) {
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view word = args[i];
        if (word.empty() || word[0] != '-') {
            for (const auto& group : kVerbGroups) {
                if (group.verb != word) continue;
                if (i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-') next_word = args[i + 1];
                return group.add;
            }
            return nullptr;
        }
        bool known = false;
        for (const auto& flag : kValueFlags) {
            if (word == flag.name) {
                ++i;  // its value
                known = true;
            } else if (word.size() > flag.name.size() && word.substr(0, flag.name.size()) == flag.name &&
                       (flag.attachable || word[flag.name.size()] == '=')) {
                known = true;
            }
            if (known) break;
        }
        if (!known) return nullptr;
    }
    return nullptr;
}

std::unique_ptr<CLI::App> make_app(Context& ctx, Registration only) {
    auto app = std::make_unique<CLI::App>("Run Compose projects with hako's embedded container engine", "hako");
    app->footer("Run 'hako COMMAND --help' for more information on a command.");
    app->set_version_flag("--version", version_text());
    app->require_subcommand(0, 1);
    app->get_formatter()->column_width(32);
    add_global_options(*app, ctx.global);  // before the verbs: they inherit fallthrough
    CLI::App* root = app.get();
    // Runs after every flag is parsed and before the verb's callback.
    app->parse_complete_callback([root, &ctx] {
        auto applied = apply_environment(*root, ctx.global, ctx.environment);
        if (!applied) throw EnvironmentUsageError{std::move(applied).error()};
        setup_logging(ctx.global);
    });
    if (only) {
        only(*app, ctx);
        return app;
    }
    add_project_commands(*app, ctx);
    add_image_commands(*app, ctx);
    add_container_commands(*app, ctx);
    add_runtime_commands(*app, ctx);
    add_network_commands(*app, ctx);
    add_volume_commands(*app, ctx);
    add_system_commands(*app, ctx);
    add_login_commands(*app, ctx);
    add_compose_lifecycle_commands(*app, ctx);
    add_compose_view_commands(*app, ctx);
    add_compose_build_commands(*app, ctx);
    add_compose_pull_commands(*app, ctx);
    add_version_command(*app, ctx);
    add_docs_command(*app, ctx);  // hidden: hako __docs markdown|man|bash|zsh|json
    return app;
}

}  // namespace

std::unique_ptr<CLI::App> make_app(Context& ctx) { return make_app(ctx, nullptr); }

void keep_until_exit(std::shared_ptr<const void> object) {
    // Never destroyed: what it holds is given back with the process.
    static auto* kept = new std::vector<std::shared_ptr<const void>>;
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    kept->push_back(std::move(object));
}

namespace {

int parse_and_run(CLI::App* app, const std::vector<std::string>& args, Context& ctx, std::ostream& out,
                  std::ostream& err) {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
    try {
        app->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        out << app->help();
        return 0;
    } catch (const CLI::CallForAllHelp&) {
        out << app->help("", CLI::AppFormatMode::All);
        return 0;
    } catch (const CLI::CallForVersion& e) {
        out << e.what() << '\n';
        return 0;
    } catch (const CLI::ParseError& e) {
        err << "hako: " << usage_message(e, *app) << " (see " << command_path(*app) << " --help)" << std::endl;
        return static_cast<int>(ExitCode::Usage);
    } catch (const EnvironmentUsageError& e) {
        err << "hako: " << one_line(e.error.message) << std::endl;
        return static_cast<int>(ExitCode::Usage);
    } catch (const std::exception& e) {
        err << "hako: internal error: " << one_line(e.what()) << std::endl;
        return static_cast<int>(ExitCode::Failure);
    }
    if (app->get_subcommands().empty()) {  // bare "hako": show what it can do
        out << app->help();
        return 0;
    }
    return ctx.exit_status;
}

}  // namespace

int run(const std::vector<std::string>& args, Context& ctx, std::ostream& out, std::ostream& err) {
    std::unique_ptr<CLI::App> app = make_app(ctx, chosen_group(args, ctx.chosen_verb));
    return parse_and_run(app.get(), args, ctx, out, err);
}

int run(int argc, char** argv) {
    Context ctx;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        size_t equals = text.find('=');
        if (equals == std::string_view::npos) continue;
        ctx.environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    std::error_code ec;
    ctx.working_directory = std::filesystem::current_path(ec);
    if (ec) {
        std::cerr << "hako: cannot read the working folder: " << ec.message() << std::endl;
        return static_cast<int>(ExitCode::Failure);
    }
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    // The app is kept, not destroyed: freeing every flag's names, strings and
    // callbacks just before the process exits was 15% of the instructions of
    // `container run`.
    Registration group = chosen_group(args, ctx.chosen_verb);
#if defined(HAKO_CLI11_SKIPS_DUPLICATES)
    // The one verb group's flags are also in the whole app, whose every build
    // (help, docs, tests) checks them for duplicates: here that quadratic scan
    // would be a quarter of a `container create` (CMakeLists.txt).
    CLI::detail::skip_duplicate_option_check = group != nullptr;
#endif
    std::shared_ptr<CLI::App> app = make_app(ctx, group);
    keep_until_exit(app);
    return parse_and_run(app.get(), args, ctx, std::cout, std::cerr);
}

}  // namespace hako::cli
