// Tests of engine/runtime/oci_hooks: hooks run with their argv, env and the state
// JSON on stdin; failures, timeouts and bad paths are errors naming the hook; the
// spec's "hooks" survive config.json; CDI hooks land in their OCI phase.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "engine/device/edits.h"
#include "engine/runtime/oci_hooks.h"
#include "engine/runtime/spec.h"
#include "engine/sys/tempdir.h"

using namespace hako::runtime;
namespace fs = std::filesystem;

namespace {

std::string script(const fs::path& dir, const std::string& name, const std::string& body) {
    fs::path path = dir / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path.string();
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

HookState sample_state() {
    HookState state;
    state.id = "c1";
    state.status = "creating";
    state.pid = 4242;
    state.bundle = "/bundles/c1";
    state.annotations = {{"k", "v"}};
    return state;
}

}  // namespace

TEST_CASE("oci hooks: the state JSON has ociVersion, id, status, pid, bundle and annotations") {
    auto j = nlohmann::json::parse(state_json(sample_state()));
    CHECK(j["ociVersion"] == "1.0.2");
    CHECK(j["id"] == "c1");
    CHECK(j["status"] == "creating");
    CHECK(j["pid"] == 4242);
    CHECK(j["bundle"] == "/bundles/c1");
    CHECK(j["annotations"]["k"] == "v");
}

TEST_CASE("oci hooks: a hook gets its argv, only its env, and the state on stdin") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-hooks-").value();
    fs::path out = dir.path() / "out";
    // sh -c: argv[0] of the hook is what /proc/$$/cmdline starts with.
    Hook hook{"/bin/sh",
              {"hook-argv0", "-c",
               "cat > \"$0\"; tr '\\0' '|' < /proc/$$/cmdline | cut -d'|' -f1 > \"$0.argv0\"; "
               "echo \"$1|${FOO-unset}|${HOME-unset}\" > \"$0.args\"",
               out.string(), "second"},
              {"FOO=bar"},
              5};
    auto state = state_json(sample_state());
    auto ran = run_hook(hook, HookPhase::CreateRuntime, 0, state);
    REQUIRE(ran.ok());
    CHECK(slurp(out) == state);
    CHECK(slurp(dir.path() / "out.argv0") == "hook-argv0\n");
    CHECK(slurp(dir.path() / "out.args") == "second|bar|unset\n");
}

TEST_CASE("oci hooks: without args the hook runs with no arguments") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-hooks-").value();
    std::string path = script(dir.path(), "h", "echo \"$#\" > " + (dir.path() / "count").string());
    REQUIRE(run_hook(Hook{path, {}, {}, std::nullopt}, HookPhase::Poststop, 0, "{}").ok());
    CHECK(slurp(dir.path() / "count") == "0\n");
}

TEST_CASE("oci hooks: a failing hook is an error naming phase, position, path, status and output") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-hooks-").value();
    std::string path = script(dir.path(), "bad", "echo 'no gpu here' >&2; exit 3");
    auto ran = run_hook(Hook{path, {}, {}, 5}, HookPhase::CreateContainer, 1, "{}");
    REQUIRE_FALSE(ran.ok());
    CHECK(ran.error().message == "createContainer hook #2 (" + path + "): exit status 3: no gpu here");
}

TEST_CASE("oci hooks: a hook that outlives its timeout is killed with what it started") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-hooks-").value();
    fs::path pid_file = dir.path() / "child.pid";
    std::string path = script(dir.path(), "slow", "sleep 30 & echo $! > " + pid_file.string() + "; wait");
    auto begin = std::chrono::steady_clock::now();
    auto ran = run_hook(Hook{path, {}, {}, 1}, HookPhase::StartContainer, 0, "{}");
    auto elapsed = std::chrono::steady_clock::now() - begin;
    REQUIRE_FALSE(ran.ok());
    CHECK(ran.error().message == "startContainer hook #1 (" + path + "): timed out after 1 s");
    CHECK(elapsed < std::chrono::seconds(5));
    pid_t child = std::stoi(slurp(pid_file));
    // The background sleep was in the hook's process group: it got SIGKILL and is
    // gone (or a zombie of init) once the signal is delivered, which on a busy
    // machine can take a moment after run_hook returned.
    std::string line;
    for (int i = 0; i < 500; ++i) {
        std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
        line.clear();
        std::getline(stat, line);
        if (line.empty() || line.find(") Z ") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK((line.empty() || line.find(") Z ") != std::string::npos));
}

TEST_CASE("oci hooks: bad paths and timeouts are refused before anything runs") {
    auto relative = run_hook(Hook{"bin/true", {}, {}, std::nullopt}, HookPhase::Poststart, 0, "{}");
    REQUIRE_FALSE(relative.ok());
    CHECK(relative.error().message == "poststart hook #1 (bin/true): the path must be absolute");
    auto missing = run_hook(Hook{"/nonexistent/hook", {}, {}, std::nullopt}, HookPhase::Prestart, 0, "{}");
    REQUIRE_FALSE(missing.ok());
    CHECK_THAT(missing.error().message, Catch::StartsWith("prestart hook #1 (/nonexistent/hook): execute"));
    auto zero = run_hook(Hook{"/bin/true", {}, {}, 0}, HookPhase::Poststop, 0, "{}");
    REQUIRE_FALSE(zero.ok());
    CHECK_THAT(zero.error().message, Catch::Contains("timeout must be greater than zero"));
}

TEST_CASE("oci hooks: run_hooks stops at the first failure, run_hooks_warning runs them all") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-hooks-").value();
    fs::path log = dir.path() / "log";
    Hooks hooks;
    for (const char* name : {"a", "b", "c"}) {
        std::string body = "echo " + std::string(name) + " >> " + log.string();
        if (std::string(name) == "b") body += "; exit 1";
        Hook hook{script(dir.path(), name, body), {}, {}, 5};
        hooks.create_runtime.push_back(hook);
        hooks.poststop.push_back(hook);
    }
    auto ran = run_hooks(hooks, HookPhase::CreateRuntime, sample_state());
    REQUIRE_FALSE(ran.ok());
    CHECK_THAT(ran.error().message, Catch::StartsWith("createRuntime hook #2"));
    CHECK(slurp(log) == "a\nb\n");
    fs::remove(log);
    run_hooks_warning(hooks, HookPhase::Poststop, sample_state());
    CHECK(slurp(log) == "a\nb\nc\n");
    CHECK(hooks_time_limit(hooks, HookPhase::Poststop) == 15);
    CHECK(hooks_time_limit(hooks, HookPhase::StartContainer) == 0);
}

TEST_CASE("oci hooks: config.json carries hooks per phase (external runtimes read them)") {
    Spec spec;
    spec.root.path = "rootfs";
    spec.process.args = {"sh"};
    spec.hooks.create_runtime.push_back({"/usr/bin/a", {"a", "x"}, {"K=V"}, 7});
    spec.hooks.poststop.push_back({"/usr/bin/b", {}, {}, std::nullopt});
    auto j = nlohmann::json::parse(to_json(spec));
    CHECK(j["hooks"]["createRuntime"][0]["path"] == "/usr/bin/a");
    CHECK(j["hooks"]["createRuntime"][0]["args"] == nlohmann::json({"a", "x"}));
    CHECK(j["hooks"]["createRuntime"][0]["env"] == nlohmann::json({"K=V"}));
    CHECK(j["hooks"]["createRuntime"][0]["timeout"] == 7);
    CHECK(j["hooks"]["poststop"][0] == nlohmann::json({{"path", "/usr/bin/b"}}));
    CHECK_FALSE(j["hooks"].contains("startContainer"));
    auto back = parse_spec(j.dump());
    REQUIRE(back.ok());
    REQUIRE(back->hooks.create_runtime.size() == 1);
    CHECK(back->hooks.create_runtime[0].args == std::vector<std::string>{"a", "x"});
    CHECK(back->hooks.create_runtime[0].timeout == 7);
    CHECK(back->hooks.poststop[0].path == "/usr/bin/b");
    Spec plain = spec;
    plain.hooks = {};
    CHECK_FALSE(nlohmann::json::parse(to_json(plain)).contains("hooks"));
}

TEST_CASE("device edits: CDI hooks join the OCI hooks of their hookName") {
    hako::device::cdi::ContainerEdits edits;
    edits.hooks = {{"createRuntime", "/usr/bin/nvidia-ctk", {"nvidia-ctk", "hook", "update-ldcache"}, {}, std::nullopt},
                   {"createContainer", "/usr/bin/x", {}, {"A=1"}, 3},
                   {"startContainer", "/usr/bin/y", {}, {}, std::nullopt},
                   {"poststart", "/usr/bin/z", {}, {}, std::nullopt},
                   {"poststop", "/usr/bin/w", {}, {}, std::nullopt},
                   {"prestart", "/usr/bin/v", {}, {}, std::nullopt}};
    Spec spec;
    REQUIRE(hako::device::apply_edits(edits, spec).ok());
    REQUIRE(spec.hooks.create_runtime.size() == 1);
    CHECK(spec.hooks.create_runtime[0].args[2] == "update-ldcache");
    REQUIRE(spec.hooks.create_container.size() == 1);
    CHECK(spec.hooks.create_container[0].timeout == 3);
    CHECK(spec.hooks.create_container[0].env == std::vector<std::string>{"A=1"});
    CHECK(spec.hooks.start_container[0].path == "/usr/bin/y");
    CHECK(spec.hooks.poststart[0].path == "/usr/bin/z");
    CHECK(spec.hooks.poststop[0].path == "/usr/bin/w");
    CHECK(spec.hooks.prestart[0].path == "/usr/bin/v");
    edits.hooks = {{"onBoot", "/usr/bin/x", {}, {}, std::nullopt}};
    auto bad = hako::device::apply_edits(edits, spec);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "CDI hook /usr/bin/x: unknown hookName onBoot");
}
