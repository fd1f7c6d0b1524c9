// Tests of RUN --mount parsing and mount point clean-up (engine/build/run_mount.cpp).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine/build/run_mount.h"
#include "engine/sys/tempdir.h"

using namespace hako::build;
namespace fs = std::filesystem;

TEST_CASE("run mount: a secret defaults to /run/secrets/ID, mode unset, not required") {
    auto m = parse_run_mount("type=secret,id=npmrc");
    REQUIRE(m.ok());
    CHECK(m->type == "secret");
    CHECK(m->id == "npmrc");
    CHECK(m->target == "/run/secrets/npmrc");
    CHECK_FALSE(m->required);
    CHECK_FALSE(m->mode.has_value());
}

TEST_CASE("run mount: secret fields (required, mode in octal, uid, gid, env, dst)") {
    auto m = parse_run_mount("type=secret,id=tok,dst=root/.tok,required,mode=0440,uid=1000,gid=10,env=TOKEN");
    REQUIRE(m.ok());
    CHECK(m->target == "/root/.tok");
    CHECK(m->required);
    CHECK(*m->mode == 0440);
    CHECK(*m->uid == 1000);
    CHECK(*m->gid == 10);
    CHECK(m->env == "TOKEN");
    auto off = parse_run_mount("type=secret,id=tok,required=false");
    REQUIRE(off.ok());
    CHECK_FALSE(off->required);
}

TEST_CASE("run mount: a secret's id defaults to its target's name; env alone mounts no file") {
    auto by_target = parse_run_mount("type=secret,target=/etc/app.key");
    REQUIRE(by_target.ok());
    CHECK(by_target->id == "app.key");
    auto env_only = parse_run_mount("type=secret,id=tok,env=TOK");
    REQUIRE(env_only.ok());
    CHECK(env_only->target.empty());
}

TEST_CASE("run mount: ssh mounts default to id default at /run/buildkit/ssh_agent.N") {
    auto first = parse_run_mount("type=ssh", 0);
    REQUIRE(first.ok());
    CHECK(first->id == "default");
    CHECK(first->target == "/run/buildkit/ssh_agent.0");
    auto second = parse_run_mount("type=ssh,id=deploy,required", 1);
    REQUIRE(second.ok());
    CHECK(second->id == "deploy");
    CHECK(second->target == "/run/buildkit/ssh_agent.1");
    CHECK(second->required);
}

TEST_CASE("run mount: bind is the default type, read-only unless rw; from= and source") {
    auto m = parse_run_mount("target=/src,from=builder,src=/out");
    REQUIRE(m.ok());
    CHECK(m->type == "bind");
    CHECK(m->read_only);
    CHECK(m->from == "builder");
    CHECK(m->source == "/out");
    auto rw = parse_run_mount("type=bind,target=/w,rw");
    REQUIRE(rw.ok());
    CHECK_FALSE(rw->read_only);
}

TEST_CASE("run mount: cache keeps id and sharing; tmpfs its size") {
    auto cache = parse_run_mount("type=cache,target=/root/.cache,id=pip,sharing=locked");
    REQUIRE(cache.ok());
    CHECK(cache->id == "pip");
    CHECK_FALSE(cache->read_only);
    auto tmpfs = parse_run_mount("type=tmpfs,target=/t,size=64m");
    REQUIRE(tmpfs.ok());
    CHECK(tmpfs->size == "64m");
}

TEST_CASE("run mount: bad specs are errors that quote the spec") {
    auto unknown_type = parse_run_mount("type=volume,target=/v");
    REQUIRE_FALSE(unknown_type.ok());
    CHECK(unknown_type.error().message == "RUN --mount=type=volume,target=/v: unknown mount type \"volume\" (bind, cache, tmpfs, secret or ssh)");
    auto unknown_key = parse_run_mount("type=secret,id=x,source=/y");
    REQUIRE_FALSE(unknown_key.ok());
    CHECK(unknown_key.error().message == "RUN --mount=type=secret,id=x,source=/y: unexpected key \"source\" for type=secret");
    CHECK_FALSE(parse_run_mount("type=secret").ok());                    // no id, no target
    CHECK_FALSE(parse_run_mount("type=bind,source=x").ok());             // no target
    CHECK_FALSE(parse_run_mount("type=secret,id=x,mode=0999").ok());     // not octal
    CHECK_FALSE(parse_run_mount("type=secret,id=x,uid=-1").ok());
    CHECK_FALSE(parse_run_mount("type=secret,id=x,required=maybe").ok());
    CHECK_FALSE(parse_run_mount("type=cache,target=/c,sharing=all").ok());
    CHECK_FALSE(parse_run_mount("type=bind,target=/").ok());
}

TEST_CASE("run mount: the shallowest missing mount point is found, and removed only while empty") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-run-mount-test-");
    REQUIRE(dir.ok());
    fs::path rootfs = dir->path() / "rootfs", upper = dir->path() / "upper";
    fs::create_directories(rootfs / "etc");
    fs::create_directories(upper);
    CHECK(missing_mount_point(rootfs, "/run/secrets/tok") == fs::path("run"));
    CHECK(missing_mount_point(rootfs, "/etc/app/key") == fs::path("etc/app"));
    CHECK_FALSE(missing_mount_point(rootfs, "/etc").has_value());
    fs::create_symlink("/tmp", rootfs / "link");
    CHECK_FALSE(missing_mount_point(rootfs, "/link/x").has_value());  // a symlink on the way: left alone

    // What the runtime made: empty folders and an empty file; removed.
    fs::create_directories(upper / "run/secrets");
    std::ofstream(upper / "run/secrets/tok").close();
    REQUIRE(remove_mount_point(upper, "run").ok());
    CHECK_FALSE(fs::exists(upper / "run"));
    // The step wrote there: kept.
    fs::create_directories(upper / "etc/app");
    std::ofstream(upper / "etc/app/written") << "data";
    REQUIRE(remove_mount_point(upper, "etc/app").ok());
    CHECK(fs::exists(upper / "etc/app/written"));
    CHECK(remove_mount_point(upper, "absent").ok());
}
