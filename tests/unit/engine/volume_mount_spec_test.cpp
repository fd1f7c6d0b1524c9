// Tests for engine/volume/mount_spec: docker's -v, --tmpfs, --mount and
// --volumes-from syntaxes and the checks of a record's mount entries.
#include <catch2/catch.hpp>

#include "engine/volume/mount_spec.h"

using namespace hako;
using nlohmann::json;

TEST_CASE("volume flags: NAME:/ctr is a named volume, /host:/ctr:ro a read-only bind, /ctr an anonymous volume") {
    auto named = volume::parse_volume_flag("data:/var/lib/data");
    REQUIRE(named.ok());
    CHECK((*named)["type"] == "volume");
    CHECK((*named)["source"] == "data");
    CHECK((*named)["target"] == "/var/lib/data");
    CHECK((*named)["read_only"] == false);

    auto bind = volume::parse_volume_flag("/srv/www/:/usr/share/www:ro,rshared");
    REQUIRE(bind.ok());
    CHECK((*bind)["type"] == "bind");
    CHECK((*bind)["source"] == "/srv/www");
    CHECK((*bind)["read_only"] == true);
    CHECK((*bind)["bind"]["propagation"] == "rshared");
    CHECK((*bind)["bind"]["create_host_path"] == true);

    auto anonymous = volume::parse_volume_flag("/cache");
    REQUIRE(anonymous.ok());
    CHECK((*anonymous)["type"] == "volume");
    CHECK((*anonymous)["source"] == "");

    auto anonymous_ro = volume::parse_volume_flag("/cache:ro");
    REQUIRE(anonymous_ro.ok());
    CHECK((*anonymous_ro)["source"] == "");
    CHECK((*anonymous_ro)["read_only"] == true);

    auto nocopy = volume::parse_volume_flag("data:/d:nocopy");
    REQUIRE(nocopy.ok());
    CHECK((*nocopy)["volume"]["nocopy"] == true);
}

TEST_CASE("volume flags: bad specs are errors with status 125 that quote the spec") {
    for (const char* spec : {"a/b:/x", "data:relative", "data:/x:bogus", "a:b:c:d", "/x:/y:ro,rw", "data::/x",
                             "data:/x:rshared", "x:/y"}) {
        auto parsed = volume::parse_volume_flag(spec);
        INFO(spec);
        REQUIRE_FALSE(parsed.ok());
        CHECK(static_cast<int>(parsed.error().exit_code) == 125);
        CHECK(parsed.error().message.find(spec) != std::string::npos);
    }
    auto slash = volume::parse_volume_flag("a/b:/x");
    CHECK(slash.error().message.find("invalid characters for a local volume name") != std::string::npos);
}

TEST_CASE("tmpfs flag: size and mode parsed, noexec unless exec, unknown options refused") {
    auto t = volume::parse_tmpfs_flag("/run/cache:size=64m,mode=1770,exec,uid=1000");
    REQUIRE(t.ok());
    CHECK((*t)["target"] == "/run/cache");
    CHECK((*t)["tmpfs"]["size"] == 64 * 1024 * 1024);
    CHECK((*t)["tmpfs"]["mode"] == 01770);
    CHECK((*t)["tmpfs"]["options"] == json::array({"uid=1000"}));
    auto plain = volume::parse_tmpfs_flag("/tmp");
    REQUIRE(plain.ok());
    CHECK((*plain)["tmpfs"]["options"] == json::array({"noexec"}));
    CHECK_FALSE(volume::parse_tmpfs_flag("relative").ok());
    CHECK_FALSE(volume::parse_tmpfs_flag("/x:size=lots").ok());
    CHECK_FALSE(volume::parse_tmpfs_flag("/x:mode=999").ok());
    CHECK_FALSE(volume::parse_tmpfs_flag("/x:frobnicate").ok());
}

TEST_CASE("mount flag: docker's keys and aliases, missing target and unknown keys refused") {
    auto bind = volume::parse_mount_flag("type=bind,src=/srv,dst=/data,readonly,bind-propagation=rslave");
    REQUIRE(bind.ok());
    CHECK((*bind)["type"] == "bind");
    CHECK((*bind)["source"] == "/srv");
    CHECK((*bind)["target"] == "/data");
    CHECK((*bind)["read_only"] == true);
    CHECK((*bind)["bind"]["propagation"] == "rslave");
    CHECK((*bind)["bind"]["create_host_path"] == false);

    auto vol = volume::parse_mount_flag("source=cache,target=/c,volume-nocopy,volume-subpath=sub/dir,volume-opt=type=tmpfs");
    REQUIRE(vol.ok());
    CHECK((*vol)["type"] == "volume");
    CHECK((*vol)["volume"]["nocopy"] == true);
    CHECK((*vol)["volume"]["subpath"] == "sub/dir");
    CHECK((*vol)["volume"]["driver_opts"]["type"] == "tmpfs");

    auto tmpfs = volume::parse_mount_flag("type=tmpfs,dst=/t,tmpfs-size=1k,tmpfs-mode=700");
    REQUIRE(tmpfs.ok());
    CHECK((*tmpfs)["tmpfs"]["size"] == 1024);
    CHECK((*tmpfs)["tmpfs"]["mode"] == 0700);

    CHECK_FALSE(volume::parse_mount_flag("type=bind,src=/srv").ok());
    CHECK_FALSE(volume::parse_mount_flag("type=bind,dst=/x").ok());
    CHECK_FALSE(volume::parse_mount_flag("type=volume,src=a,dst=/x,colour=blue").ok());
    CHECK_FALSE(volume::parse_mount_flag("type=nfs,dst=/x").ok());
    CHECK_FALSE(volume::parse_mount_flag("type=volume,src=v,dst=/x,volume-subpath=../up").ok());
    CHECK_FALSE(volume::parse_mount_flag("type=volume,src=v,dst=/").ok());
}

TEST_CASE("volumes-from flag: container with :ro or :rw") {
    auto ro = volume::parse_volumes_from_flag("db:ro");
    REQUIRE(ro.ok());
    CHECK((*ro)["type"] == "volumes_from");
    CHECK((*ro)["source"] == "db");
    CHECK((*ro)["read_only"] == true);
    CHECK(volume::parse_volumes_from_flag("db")->at("read_only") == false);
    CHECK_FALSE(volume::parse_volumes_from_flag("db:rx").ok());
    CHECK_FALSE(volume::parse_volumes_from_flag(":ro").ok());
}

TEST_CASE("normalize_mount: secrets and configs get their default targets, owner and mode") {
    auto secret = volume::normalize_mount({{"type", "secret"}, {"source", "token"}, {"content", "s3cr3t"}}, "mounts[0]");
    REQUIRE(secret.ok());
    CHECK((*secret)["target"] == "/run/secrets/token");
    CHECK((*secret)["mode"] == 0444);
    CHECK((*secret)["uid"] == "0");
    auto relative = volume::normalize_mount(
        {{"type", "secret"}, {"source", "token"}, {"target", "api"}, {"file", "/etc/hostname"}, {"uid", 1000}, {"mode", 0400}},
        "mounts[0]");
    REQUIRE(relative.ok());
    CHECK((*relative)["target"] == "/run/secrets/api");
    CHECK((*relative)["uid"] == "1000");
    CHECK((*relative)["mode"] == 0400);
    auto config = volume::normalize_mount({{"type", "config"}, {"source", "nginx.conf"}, {"content", "x"}}, "mounts[1]");
    REQUIRE(config.ok());
    CHECK((*config)["target"] == "/nginx.conf");

    auto both = volume::normalize_mount({{"type", "secret"}, {"source", "s"}, {"content", "x"}, {"file", "/x"}}, "mounts[2]");
    REQUIRE_FALSE(both.ok());
    CHECK(both.error().message.rfind("mounts[2]: ", 0) == 0);
    CHECK_FALSE(volume::normalize_mount({{"type", "secret"}, {"source", "a/b"}, {"content", "x"}}, "m").ok());
    CHECK_FALSE(volume::normalize_mount({{"type", "secret"}, {"source", "s"}, {"content", "x"}, {"uid", "root"}}, "m").ok());
    CHECK_FALSE(volume::normalize_mount({{"type", "config"}, {"source", "c"}, {"content", "x"}, {"target", "/a/../b"}}, "m").ok());
}

TEST_CASE("normalize_mount: bind, volume and tmpfs entries are checked and completed") {
    auto bind = volume::normalize_mount({{"type", "bind"}, {"source", "/srv//www/"}, {"target", "/www"}}, "m");
    REQUIRE(bind.ok());
    CHECK((*bind)["source"] == "/srv/www");
    CHECK((*bind)["read_only"] == false);
    CHECK((*bind)["bind"]["create_host_path"] == false);
    CHECK_FALSE(volume::normalize_mount({{"type", "bind"}, {"source", "rel"}, {"target", "/www"}}, "m").ok());
    CHECK_FALSE(volume::normalize_mount({{"type", "bind"}, {"source", "/a"}, {"target", "/w"}, {"bind", {{"propagation", "weird"}}}}, "m").ok());
    auto tmpfs = volume::normalize_mount({{"type", "tmpfs"}, {"target", "/t"}, {"tmpfs", {{"size", "65536"}, {"mode", 01777}}}}, "m");
    REQUIRE(tmpfs.ok());
    CHECK((*tmpfs)["tmpfs"]["size"] == 65536);
    CHECK((*tmpfs)["tmpfs"]["mode"] == 01777);
    CHECK_FALSE(volume::normalize_mount({{"type", "tmpfs"}, {"target", "/t"}, {"tmpfs", {{"size", -1}}}}, "m").ok());
    CHECK_FALSE(volume::normalize_mount({{"type", "volume"}, {"source", "a/b"}, {"target", "/t"}}, "m").ok());
    CHECK_FALSE(volume::normalize_mount({{"type", "image"}, {"target", "/t"}}, "m").ok());
    CHECK_FALSE(volume::normalize_mount({{"type", "volume"}, {"source", "v"}, {"target", "/t/../.."}}, "m").ok());
}

TEST_CASE("mount flag: hako's secret and config mounts from a host file with owner and mode") {
    auto secret = volume::parse_mount_flag("type=secret,source=token,file=/etc/hostname,uid=1000,gid=1001,mode=0440");
    REQUIRE(secret.ok());
    CHECK((*secret)["target"] == "/run/secrets/token");
    CHECK((*secret)["uid"] == "1000");
    CHECK((*secret)["gid"] == "1001");
    CHECK((*secret)["mode"] == 0440);
    auto config = volume::parse_mount_flag("type=config,src=app.conf,file=/etc/hostname,target=/etc/app.conf");
    REQUIRE(config.ok());
    CHECK((*config)["target"] == "/etc/app.conf");
    CHECK_FALSE(volume::parse_mount_flag("type=secret,source=token").ok());
    CHECK_FALSE(volume::parse_mount_flag("type=bind,src=/a,dst=/b,mode=0400").ok());
}
