// Tests of --secret and --ssh values (engine/build/build_flags.cpp).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine/build/build_flags.h"
#include "engine/sys/tempdir.h"

using namespace hako::build;
namespace fs = std::filesystem;

namespace {

struct Folder {
    hako::sys::TempDir dir = std::move(hako::sys::TempDir::create(fs::temp_directory_path(), "hako-build-flags-test-")).value();
    fs::path file(const std::string& name) {
        fs::path p = dir.path() / name;
        std::ofstream(p) << "content";
        return p;
    }
};

}  // namespace

TEST_CASE("build flags: split_fields drops empty parts") {
    CHECK(split_fields("a=1,,b") == std::vector<std::string>{"a=1", "b"});
    CHECK(split_fields("").empty());
    CHECK(split_fields(",") .empty());
}

TEST_CASE("build flags: --secret id=ID,src=PATH is a file, relative to the working folder") {
    Folder f;
    f.file("npmrc");
    auto s = parse_secret_flag("id=npm,src=npmrc", {}, f.dir.path());
    REQUIRE(s.ok());
    CHECK(s->first == "npm");
    CHECK(s->second.file == f.dir.path() / "npmrc");
    CHECK_FALSE(s->second.value.has_value());
    auto by_name = parse_secret_flag("source=" + (f.dir.path() / "npmrc").string(), {}, "/");
    REQUIRE(by_name.ok());
    CHECK(by_name->first == "npmrc");  // the id defaults to the file's name
}

TEST_CASE("build flags: --secret id=ID,env=VAR takes the variable's value now") {
    auto s = parse_secret_flag("id=tok,env=TOKEN", {{"TOKEN", "abc"}}, "/");
    REQUIRE(s.ok());
    CHECK(s->first == "tok");
    CHECK(*s->second.value == "abc");
    auto typed = parse_secret_flag("id=TOKEN,type=env", {{"TOKEN", "xyz"}}, "/");
    REQUIRE(typed.ok());
    CHECK(*typed->second.value == "xyz");
}

TEST_CASE("build flags: bad --secret values are usage errors naming the value") {
    auto none = parse_secret_flag("id=tok", {}, "/");
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message == "--secret id=tok: needs src=PATH or env=VAR");
    CHECK(none.error().exit_code == hako::ExitCode::Usage);
    CHECK_FALSE(parse_secret_flag("id=tok,env=UNSET", {}, "/").ok());
    CHECK_FALSE(parse_secret_flag("id=tok,src=/no/such/file", {}, "/").ok());
    CHECK_FALSE(parse_secret_flag("id=tok,colour=red", {}, "/").ok());
    CHECK_FALSE(parse_secret_flag("id=tok,type=socket,src=/x", {}, "/").ok());
    CHECK_FALSE(parse_secret_flag("tok", {}, "/").ok());
}

TEST_CASE("build flags: --ssh default is $SSH_AUTH_SOCK; ID=PATH[,PATH] are sockets or keys") {
    Folder f;
    fs::path sock = f.file("agent.sock"), key1 = f.file("k1"), key2 = f.file("k2");
    auto def = parse_ssh_flag("default", {{"SSH_AUTH_SOCK", sock.string()}}, "/");
    REQUIRE(def.ok());
    CHECK(def->first == "default");
    CHECK(def->second == std::vector<std::string>{sock.string()});
    auto keys = parse_ssh_flag("deploy=k1,k2", {}, f.dir.path());
    REQUIRE(keys.ok());
    CHECK(keys->first == "deploy");
    CHECK(keys->second == std::vector<std::string>{key1.string(), key2.string()});
}

TEST_CASE("build flags: bad --ssh values are usage errors") {
    auto unset = parse_ssh_flag("default", {}, "/");
    REQUIRE_FALSE(unset.ok());
    CHECK(unset.error().message == "--ssh default: SSH_AUTH_SOCK is not set (start an ssh-agent or give default=PATH)");
    CHECK_FALSE(parse_ssh_flag("deploy", {}, "/").ok());              // only default stands alone
    CHECK_FALSE(parse_ssh_flag("deploy=/no/such/key", {}, "/").ok());
    CHECK_FALSE(parse_ssh_flag("=x", {}, "/").ok());
    CHECK_FALSE(parse_ssh_flag("deploy=", {}, "/").ok());
}

TEST_CASE("build flags: registry credentials come from $DOCKER_CONFIG, else ~/.docker") {
    CHECK(docker_config_path({{"DOCKER_CONFIG", "/cfg"}, {"HOME", "/home/me"}}) == "/cfg/config.json");
    CHECK(docker_config_path({{"HOME", "/home/me"}}) == "/home/me/.docker/config.json");
}
