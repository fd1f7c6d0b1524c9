// Tests engine/runtime/spec.cpp and spec_defaults.cpp: config.json round trips
// and the Docker-like defaults built from a ContainerConfig.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/runtime/capabilities.h"
#include "engine/runtime/rootfs.h"
#include "engine/runtime/seccomp.h"
#include "engine/runtime/spec_defaults.h"

#include <sys/mount.h>

using namespace hako::runtime;

namespace {
bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}
const Mount* find_mount(const Spec& s, const std::string& destination) {
    for (const auto& m : s.mounts)
        if (m.destination == destination) return &m;
    return nullptr;
}
ContainerConfig config_for(std::vector<std::string> args) {
    ContainerConfig c;
    c.args = std::move(args);
    c.cgroup_namespace = false;
    return c;
}
}  // namespace

TEST_CASE("spec defaults: root gets Docker's 14 capabilities in bounding, effective and permitted") {
    auto s = build_spec(config_for({"sh"}), ResolvedUser{});
    REQUIRE(s.ok());
    const auto& caps = s->process.capabilities;
    CHECK(caps.bounding.size() == 14);
    CHECK(caps.effective == caps.bounding);
    CHECK(caps.permitted == caps.bounding);
    CHECK(caps.inheritable.empty());
    CHECK(contains(caps.bounding, "CAP_NET_BIND_SERVICE"));
    CHECK_FALSE(contains(caps.bounding, "CAP_SYS_ADMIN"));
}

TEST_CASE("spec defaults: cap_add and cap_drop, ALL, and a non-root user without effective caps") {
    auto c = config_for({"sh"});
    c.cap_drop = {"ALL"};
    c.cap_add = {"net_admin", "CAP_CHOWN"};
    auto s = build_spec(c, ResolvedUser{});
    REQUIRE(s.ok());
    CHECK(s->process.capabilities.bounding == std::vector<std::string>{"CAP_NET_ADMIN", "CAP_CHOWN"});
    c.cap_add = {"CAP_FLY"};
    auto bad = build_spec(c, ResolvedUser{});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "unknown capability: \"CAP_FLY\"");
    auto user = build_spec(config_for({"sh"}), ResolvedUser{1000, 1000, {44}, "/home/app"});
    REQUIRE(user.ok());
    CHECK(user->process.capabilities.effective.empty());
    CHECK(user->process.capabilities.bounding.size() == 14);
    CHECK(user->process.user.additional_gids == std::vector<uint32_t>{44});
    CHECK(contains(user->process.env, "HOME=/home/app"));
}

TEST_CASE("spec defaults: masked and read-only paths, mounts, devices and seccomp; privileged drops them") {
    auto c = config_for({"sh"});
    c.shm_size = 1 << 20;
    auto s = build_spec(c, ResolvedUser{});
    REQUIRE(s.ok());
    CHECK(contains(s->linux_spec.masked_paths, "/proc/kcore"));
    CHECK(contains(s->linux_spec.readonly_paths, "/proc/sys"));
    REQUIRE(find_mount(*s, "/dev/shm"));
    CHECK(contains(find_mount(*s, "/dev/shm")->options, "size=1048576"));
    CHECK(contains(find_mount(*s, "/sys")->options, "ro"));
    CHECK(s->linux_spec.devices.size() == 6);
    CHECK(s->linux_spec.resources.devices.front().allow == false);
    REQUIRE(s->linux_spec.seccomp.has_value());
    CHECK(s->linux_spec.seccomp->default_action == "SCMP_ACT_ALLOW");
    CHECK(contains(s->process.env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    CHECK(s->find_namespace("network") != nullptr);
    CHECK(s->find_namespace("cgroup") == nullptr);

    c.privileged = true;
    auto p = build_spec(c, ResolvedUser{});
    REQUIRE(p.ok());
    CHECK(p->linux_spec.masked_paths.empty());
    CHECK_FALSE(p->linux_spec.seccomp.has_value());
    CHECK(p->process.capabilities.bounding.size() == 41);
    CHECK_FALSE(contains(find_mount(*p, "/sys")->options, "ro"));
}

TEST_CASE("spec defaults: limits, network modes and docker's swap default") {
    auto c = config_for({"sh"});
    c.memory = 64 << 20;
    c.cpus = 0.5;
    c.pids_limit = 20;
    c.network = NetworkMode::Host;
    auto s = build_spec(c, ResolvedUser{});
    REQUIRE(s.ok());
    const auto& r = s->linux_spec.resources;
    CHECK(r.memory_limit == (64 << 20));
    CHECK(r.memory_swap == (128 << 20));
    CHECK(r.cpu_quota == 50000);
    CHECK(r.cpu_period == 100000u);
    CHECK(r.pids_limit == 20);
    CHECK(s->find_namespace("network") == nullptr);
    c.network = NetworkMode::Path;
    c.network_path = "/run/netns/x";
    auto joined = build_spec(c, ResolvedUser{});
    REQUIRE(joined.ok());
    REQUIRE(joined->find_namespace("network"));
    CHECK(joined->find_namespace("network")->path == "/run/netns/x");
}

TEST_CASE("spec: config.json round trip keeps every field hako uses") {
    auto c = config_for({"sh", "-c", "echo hi"});
    c.memory = 1 << 30;
    c.hostname = "box";
    c.sysctls = {{"net.ipv4.ip_forward", "1"}};
    c.rlimits = {{"RLIMIT_NOFILE", 2048, 1024}};
    c.mounts = {{"/data", "bind", "/srv/data", {"rbind", "ro", "rprivate"}}};
    auto s = build_spec(c, ResolvedUser{1, 2, {3}, "/"});
    REQUIRE(s.ok());
    auto text = to_json(*s);
    auto back = parse_spec(text);
    REQUIRE(back.ok());
    CHECK(to_json(*back) == text);
    CHECK(back->process.args == std::vector<std::string>{"sh", "-c", "echo hi"});
    CHECK(back->process.user.uid == 1);
    CHECK(back->process.rlimits.front().soft == 1024);
    CHECK(back->linux_spec.sysctl.at("net.ipv4.ip_forward") == "1");
    CHECK(back->linux_spec.seccomp->syscalls.size() == s->linux_spec.seccomp->syscalls.size());
}

TEST_CASE("spec: parse errors name the problem") {
    CHECK_FALSE(parse_spec("{").ok());
    auto no_root = parse_spec(R"({"process":{"args":["sh"]}})");
    REQUIRE_FALSE(no_root.ok());
    CHECK(no_root.error().message == "config.json: root.path is required");
    auto wrong = parse_spec(R"({"root":{"path":"r"},"process":{"args":"sh"}})");
    REQUIRE_FALSE(wrong.ok());
}

TEST_CASE("seccomp profile: namespace and mount syscalls are refused unless CAP_SYS_ADMIN is granted") {
    auto refused = [](const Seccomp& p, const std::string& name) {
        for (const auto& rule : p.syscalls)
            if (rule.args.empty() && contains(rule.names, name)) return true;
        return false;
    };
    auto plain = default_seccomp_profile(0);
    CHECK(refused(plain, "mount"));
    CHECK(refused(plain, "kexec_load"));
    CHECK(refused(plain, "reboot"));
    CHECK(std::count_if(plain.syscalls.begin(), plain.syscalls.end(),
                        [](const SeccompRule& r) { return contains(r.names, "clone"); }) == 7);
    auto admin = default_seccomp_profile(1ull << *capability_number("CAP_SYS_ADMIN"));
    CHECK_FALSE(refused(admin, "mount"));
    CHECK(refused(admin, "kexec_load"));
    CHECK(std::none_of(admin.syscalls.begin(), admin.syscalls.end(),
                       [](const SeccompRule& r) { return contains(r.names, "clone"); }));
}

TEST_CASE("mount options: flags, propagation and data are told apart") {
    auto o = parse_mount_options({"nosuid", "noexec", "mode=755", "size=65536k", "ro", "rw", "rprivate"});
    CHECK(o.flags == (MS_NOSUID | MS_NOEXEC));
    CHECK(o.propagation == (MS_PRIVATE | MS_REC));
    CHECK(o.data == "mode=755,size=65536k");
    CHECK_FALSE(o.bind);
    auto b = parse_mount_options({"rbind", "ro"});
    CHECK(b.bind);
    CHECK(b.recursive);
    CHECK(b.flags == (MS_BIND | MS_RDONLY));
}
