// Tests for src/cli/global_options.cpp and the dispatcher in app.cpp: global
// flags (before or after the verb) → LoadOptions, environment fallbacks, and
// one-line usage errors with exit status 2.
#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <sstream>

#include "src/cli/app.h"
#include "src/cli/global_options.h"

using namespace hako;
using namespace hako::cli;

namespace {

// Runs the real app with an extra "probe" verb that records that it ran, so a
// test sees what the flags did without loading any project.
struct Invocation {
    Context ctx;
    int status = -1;
    bool probed = false;
    std::string out;
    std::string err;
};

Invocation invoke(const std::vector<std::string>& args, std::map<std::string, std::string> environment = {}) {
    Invocation inv;
    inv.ctx.environment = std::move(environment);
    inv.ctx.working_directory = "/work/project";
    auto app = make_app(inv.ctx);
    CLI::App* probe = app->add_subcommand("probe", "test verb");
    std::vector<std::string> positionals;
    probe->add_option("args", positionals);
    probe->callback([&inv] { inv.probed = true; });
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    std::ostringstream out, err;
    try {
        app->parse(reversed);
        inv.status = inv.ctx.exit_status;
    } catch (const CLI::ParseError& e) {
        inv.status = 2;
        err << e.what();
    }
    inv.out = out.str();
    inv.err = err.str();
    return inv;
}

// Runs through cli::run, which reports usage errors itself.
Invocation run_args(const std::vector<std::string>& args, std::map<std::string, std::string> environment = {}) {
    Invocation inv;
    inv.ctx.environment = std::move(environment);
    inv.ctx.working_directory = "/work/project";
    std::ostringstream out, err;
    inv.status = run(args, inv.ctx, out, err);
    inv.out = out.str();
    inv.err = err.str();
    return inv;
}

size_t line_count(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("global flags: every flag lands in LoadOptions") {
    auto inv = invoke({"-f", "a.yml", "--file", "b.yml", "-p", "demo", "--project-directory", "/srv/app",
                       "--profile", "debug", "--profile", "tools", "--env-file", "one.env", "--env-file", "two.env",
                       "probe"},
                      {{"COMPOSE_FILE", "x.yml"}, {"HOME", "/root"}});
    REQUIRE(inv.probed);
    project::LoadOptions options = load_options(inv.ctx);
    CHECK(options.files == std::vector<std::string>{"a.yml", "b.yml"});
    CHECK(options.project_name == "demo");
    REQUIRE(options.project_directory);
    CHECK(*options.project_directory == "/srv/app");
    CHECK(options.profiles == std::vector<std::string>{"debug", "tools"});
    CHECK(options.env_files == std::vector<std::string>{"one.env", "two.env"});
    // COMPOSE_* are passed through for the loader to read, not interpreted here.
    CHECK(options.os_environment.at("COMPOSE_FILE") == "x.yml");
    CHECK(options.working_directory == "/work/project");
    CHECK(options.interpolate);
    CHECK(options.read_stdin);
}

TEST_CASE("global flags: they also work after the verb") {
    auto inv = invoke({"probe", "-f", "compose.yaml", "--profile", "dev", "-p", "late", "--log-level", "debug"});
    REQUIRE(inv.probed);
    CHECK(inv.ctx.global.files == std::vector<std::string>{"compose.yaml"});
    CHECK(inv.ctx.global.profiles == std::vector<std::string>{"dev"});
    CHECK(inv.ctx.global.project_name == "late");
    CHECK(inv.ctx.global.log_level == "debug");
}

TEST_CASE("global flags: -f - names stdin") {
    auto inv = invoke({"-f", "-", "probe"});
    REQUIRE(inv.probed);
    CHECK(inv.ctx.global.files == std::vector<std::string>{"-"});
}

TEST_CASE("global flags: --root and --log-level fall back to HAKO_ROOT, HAKO_LOG, then defaults") {
    auto plain = invoke({"probe"});
    CHECK(plain.ctx.global.root == "/var/lib/hako");
    CHECK(plain.ctx.global.log_level == "warn");

    auto from_env = invoke({"probe"}, {{"HAKO_ROOT", "/tmp/hako"}, {"HAKO_LOG", "info"}});
    CHECK(from_env.ctx.global.root == "/tmp/hako");
    CHECK(from_env.ctx.global.log_level == "info");

    auto flag_wins = invoke({"--root", "/data", "--log-level", "error", "probe"},
                            {{"HAKO_ROOT", "/tmp/hako"}, {"HAKO_LOG", "info"}});
    CHECK(flag_wins.ctx.global.root == "/data");
    CHECK(flag_wins.ctx.global.log_level == "error");
}

TEST_CASE("global flags: a bad HAKO_LOG is a one-line usage error") {
    auto bad = run_args({"version"}, {{"HAKO_LOG", "loud"}});
    CHECK(bad.status == 2);
    CHECK(bad.err == "hako: HAKO_LOG=loud: not one of debug, info, warn, error\n");
}

TEST_CASE("usage: an unknown flag is one line on stderr and exit status 2") {
    auto inv = run_args({"--fo"});
    CHECK(inv.status == 2);
    CHECK(inv.err == "hako: unknown flag --fo (see hako --help)\n");
    CHECK(inv.out.empty());

    auto after_verb = run_args({"version", "--bogus=1"});
    CHECK(after_verb.status == 2);
    CHECK(after_verb.err == "hako: unknown flag --bogus (see hako version --help)\n");
}

TEST_CASE("usage: an unknown verb is one line on stderr and exit status 2") {
    auto inv = run_args({"frobnicate", "--now"});
    CHECK(inv.status == 2);
    CHECK(line_count(inv.err) == 1);
    CHECK(inv.err.find("hako: unknown ") == 0);
}

TEST_CASE("usage: an unknown verb alone names the verb") {
    auto inv = run_args({"frobnicate"});
    CHECK(inv.status == 2);
    CHECK(inv.err == "hako: unknown command frobnicate (see hako --help)\n");
}

TEST_CASE("usage: a bad flag value is one line and exit status 2") {
    auto inv = run_args({"--ansi", "sometimes", "version"});
    CHECK(inv.status == 2);
    CHECK(line_count(inv.err) == 1);
    CHECK(inv.err.find("--ansi") != std::string::npos);

    auto missing = run_args({"version", "-f"});
    CHECK(missing.status == 2);
    CHECK(line_count(missing.err) == 1);
}

TEST_CASE("help: --help on the app and on a verb prints to stdout with status 0") {
    auto top = run_args({"--help"});
    CHECK(top.status == 0);
    CHECK(top.err.empty());
    CHECK(top.out.find("config") != std::string::npos);
    CHECK(top.out.find("--project-name") != std::string::npos);

    auto verb = run_args({"config", "--help"});
    CHECK(verb.status == 0);
    CHECK(verb.out.find("--services") != std::string::npos);
    CHECK(verb.out.find("--hash") != std::string::npos);

    auto graph = run_args({"graph", "-h"});
    CHECK(graph.status == 0);
    CHECK(graph.out.find("--levels") != std::string::npos);
}

TEST_CASE("version: --version and the version verb print the version") {
    auto flag = run_args({"--version"});
    CHECK(flag.status == 0);
    CHECK(flag.out == version_text() + "\n");
    CHECK(version_text().rfind("hako version ", 0) == 0);
}

TEST_CASE("config: listing flags exclude each other") {
    auto inv = run_args({"config", "--services", "--volumes"});
    CHECK(inv.status == 2);
    CHECK(line_count(inv.err) == 1);
}
