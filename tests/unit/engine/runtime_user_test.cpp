// Tests engine/runtime/user.cpp: user and group resolution from passwd/group text.
#include <catch2/catch.hpp>

#include "engine/runtime/user.h"

using namespace hako::runtime;

namespace {
const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "app:x:1000:1000:App:/home/app:/bin/sh\n"
    "broken line\n";
const char* kGroup =
    "root:x:0:\n"
    "daemon:x:1:app\n"
    "app:x:1000:\n"
    "video:x:44:app,daemon\n"
    "staff:x:50:\n";
}  // namespace

TEST_CASE("user: empty user is root with gid 0 and root's home") {
    auto u = resolve_user("", kPasswd, kGroup);
    REQUIRE(u.ok());
    CHECK(u->uid == 0);
    CHECK(u->gid == 0);
    CHECK(u->home == "/root");
    CHECK(u->additional_gids.empty());
}

TEST_CASE("user: a name takes uid, primary gid, home and the groups listing it") {
    auto u = resolve_user("app", kPasswd, kGroup);
    REQUIRE(u.ok());
    CHECK(u->uid == 1000);
    CHECK(u->gid == 1000);
    CHECK(u->home == "/home/app");
    CHECK(u->additional_gids == std::vector<uint32_t>{1, 44});
}

TEST_CASE("user: a number found in passwd is that entry, one not found is used with gid 0") {
    auto known = resolve_user("1", kPasswd, kGroup);
    REQUIRE(known.ok());
    CHECK(known->gid == 1);
    CHECK(known->home == "/usr/sbin");
    CHECK(known->additional_gids == std::vector<uint32_t>{44});
    auto unknown = resolve_user("4242", kPasswd, kGroup);
    REQUIRE(unknown.ok());
    CHECK(unknown->uid == 4242);
    CHECK(unknown->gid == 0);
    CHECK(unknown->home == "/");
}

TEST_CASE("user: name:group and uid:gid override the primary group") {
    auto named = resolve_user("app:staff", kPasswd, kGroup);
    REQUIRE(named.ok());
    CHECK(named->uid == 1000);
    CHECK(named->gid == 50);
    auto numeric = resolve_user("4242:77", kPasswd, kGroup);
    REQUIRE(numeric.ok());
    CHECK(numeric->gid == 77);
}

TEST_CASE("user: unknown names fail with docker's message") {
    auto u = resolve_user("nobody", kPasswd, kGroup);
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().message == "unable to find user nobody: no matching entries in passwd file");
    auto g = resolve_user("app:nogroup", kPasswd, kGroup);
    REQUIRE_FALSE(g.ok());
    CHECK(g.error().message == "unable to find group nogroup: no matching entries in group file");
}

TEST_CASE("user: extra groups by name or number are appended once") {
    auto u = resolve_user("app", kPasswd, kGroup, {"staff", "44", "9000"});
    REQUIRE(u.ok());
    CHECK(u->additional_gids == std::vector<uint32_t>{1, 44, 50, 9000});
}
