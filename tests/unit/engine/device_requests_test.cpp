// Tests of engine/device without root: CDI spec parsing and the registry (JSON, YAML,
// priorities, conflicts, =all), request parsing (--gpus, --device, cgroup rules),
// the Compose mapping, and NVIDIA discovery in a fake tree of plain files.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine/device/cdi.h"
#include "engine/device/edits.h"
#include "engine/device/nvidia.h"
#include "engine/device/requests.h"
#include "engine/sys/tempdir.h"

using namespace hako::device;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}
const char* kSpec = R"({"cdiVersion": "0.6.0", "kind": "example.com/dev",
  "containerEdits": {"env": ["A=1"], "additionalGids": [5]},
  "devices": [{"name": "x", "containerEdits": {"env": ["X=1"], "deviceNodes": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3}]}},
              {"name": "y", "containerEdits": {"env": ["Y=1"]}}]})";
}  // namespace

TEST_CASE("cdi: qualified names need vendor.com/class=name") {
    auto q = cdi::parse_qualified_name("nvidia.com/gpu=0");
    REQUIRE(q.ok());
    CHECK(q->kind == "nvidia.com/gpu");
    CHECK(q->name == "0");
    CHECK(cdi::is_qualified_name("amd.com/gpu=all"));
    CHECK_FALSE(cdi::is_qualified_name("/dev/kfd"));
    CHECK_FALSE(cdi::is_qualified_name("vendor/class=x"));  // no dot in the vendor
    CHECK_FALSE(cdi::is_qualified_name("a.com/b="));
}

TEST_CASE("cdi: a JSON spec parses with spec-wide and per-device edits") {
    auto spec = cdi::parse_spec(kSpec, "/etc/cdi/x.json");
    REQUIRE(spec.ok());
    CHECK(spec->kind == "example.com/dev");
    REQUIRE(spec->devices.size() == 2);
    CHECK(spec->devices[0].edits.device_nodes[0].major == 1);
    CHECK(spec->edits.additional_gids == std::vector<uint32_t>{5});
}

TEST_CASE("cdi: YAML specs type their integers") {
    auto spec = cdi::parse_spec("cdiVersion: 0.6.0\nkind: a.com/b\ndevices:\n  - name: \"0\"\n    containerEdits:\n"
                                "      deviceNodes: [{path: /dev/q, major: 4, minor: 64, fileMode: 420}]\n",
                                "/s/a.yaml");
    REQUIRE(spec.ok());
    CHECK(spec->devices[0].name == "0");
    CHECK(spec->devices[0].edits.device_nodes[0].minor == 64);
    CHECK(spec->devices[0].edits.device_nodes[0].file_mode == 420u);
}

TEST_CASE("cdi: bad specs name the file and the device") {
    auto bad = cdi::parse_spec(R"({"cdiVersion": "0.6.0", "kind": "a.com/b", "devices": [{"name": "d", "containerEdits": {"deviceNodes": [{"path": "rel"}]}}]})",
                               "/s/bad.json");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("/s/bad.json: device a.com/b=d") != std::string::npos);
    CHECK_FALSE(cdi::parse_spec(R"({"cdiVersion": "0.6.0", "kind": "nokind", "devices": [{"name": "d", "containerEdits": {}}]})", "/s/k.json").ok());
    CHECK_FALSE(cdi::parse_spec(R"({"cdiVersion": "0.6.0", "kind": "a.com/b", "devices": []})", "/s/e.json").ok());
    CHECK_FALSE(cdi::parse_spec("{not json", "/s/t.json").ok());
}

TEST_CASE("cdi: the registry resolves names, =all, later folders win, same folder conflicts") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "cdi-test");
    REQUIRE(dir.ok());
    fs::path base = dir->path();
    write(base / "one/spec.json", kSpec);
    write(base / "two/over.yaml", "cdiVersion: 0.6.0\nkind: example.com/dev\ndevices:\n  - name: y\n    containerEdits: {env: [Y=2]}\n");
    auto registry = cdi::Registry::load({base / "one", base / "two", base / "missing"});
    REQUIRE(registry.ok());
    auto edits = registry->resolve({"example.com/dev=y"});
    REQUIRE(edits.ok());
    CHECK(edits->env == std::vector<std::string>{"Y=2"});  // the later folder's spec, which has no spec-wide env
    auto all = registry->resolve({"example.com/dev=all"});
    REQUIRE(all.ok());
    CHECK(all->env == std::vector<std::string>{"A=1", "X=1", "Y=2"});
    auto missing = registry->resolve({"example.com/dev=z"});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("example.com/dev=z") != std::string::npos);
    CHECK(missing.error().message.find("spec.json") != std::string::npos);

    write(base / "three/a.json", kSpec);
    write(base / "three/b.json", kSpec);
    auto conflict = cdi::Registry::load({base / "three"});
    REQUIRE_FALSE(conflict.ok());
    CHECK(conflict.error().message.find("same priority") != std::string::npos);
}

TEST_CASE("requests: --device mappings and cgroup rules") {
    auto m = parse_device_mapping("/dev/a:/dev/b:r");
    REQUIRE(m.ok());
    CHECK(m->container == "/dev/b");
    CHECK(m->permissions == "r");
    auto two = parse_device_mapping("/dev/a:rw");
    REQUIRE(two.ok());
    CHECK(two->container == "/dev/a");
    CHECK(two->permissions == "rw");
    CHECK_FALSE(parse_device_mapping("dev/a").ok());
    CHECK_FALSE(parse_device_mapping("/dev/a:/dev/b:rwx").ok());
    auto rule = parse_cgroup_rule("c 10:* rm");
    REQUIRE(rule.ok());
    CHECK(rule->major == 10);
    CHECK_FALSE(rule->minor.has_value());
    CHECK(rule->access == "rm");
    CHECK_FALSE(parse_cgroup_rule("x 1:3 rwm").ok());
}

TEST_CASE("requests: --gpus all, N, device=…, count=…,capabilities=…") {
    CHECK((*parse_gpus_flag("all"))["count"] == -1);
    CHECK((*parse_gpus_flag("2"))["count"] == 2);
    auto ids = parse_gpus_flag("\"device=0,2\"");
    REQUIRE(ids.ok());
    CHECK((*ids)["device_ids"] == json({"0", "2"}));
    CHECK((*ids)["capabilities"] == json::parse(R"([["gpu"]])"));
    auto caps = parse_gpus_flag("count=1,capabilities=video,driver=nvidia");
    REQUIRE(caps.ok());
    CHECK((*caps)["capabilities"] == json::parse(R"([["gpu", "video"]])"));
    CHECK_FALSE(parse_gpus_flag("count=1,\"device=0\"").ok());
    CHECK_FALSE(parse_gpus_flag("what=1").ok());
    CHECK_FALSE(parse_gpus_flag("-3").ok());
}

TEST_CASE("requests: a Compose service maps to the devices section") {
    json service = json::parse(R"({"name": "ml",
      "devices": ["/dev/kfd", "/dev/dri/renderD128:/dev/dri/renderD128:rw", "nvidia.com/gpu=0",
                  {"source": "/dev/a", "target": "/dev/b", "permissions": "r"}],
      "device_cgroup_rules": ["c 1:3 rwm"],
      "gpus": "all",
      "deploy": {"resources": {"reservations": {"devices": [
         {"driver": "nvidia", "count": 2, "capabilities": ["gpu", "utility"]},
         {"capabilities": ["gpu"], "device_ids": ["GPU-x"]}]}}}})");
    auto section = from_compose_service(service);
    REQUIRE(section.ok());
    CHECK((*section)["devices"] == json({"/dev/kfd:/dev/kfd:rwm", "/dev/dri/renderD128:/dev/dri/renderD128:rw", "/dev/a:/dev/b:r"}));
    CHECK((*section)["cdi"] == json({"nvidia.com/gpu=0"}));
    CHECK((*section)["cgroup_rules"] == json({"c 1:3 rwm"}));
    REQUIRE((*section)["requests"].size() == 3);
    CHECK((*section)["requests"][0]["count"] == -1);
    CHECK((*section)["requests"][1]["count"] == 2);
    CHECK((*section)["requests"][1]["capabilities"] == json::parse(R"([["gpu", "utility"]])"));
    CHECK((*section)["requests"][2]["device_ids"] == json({"GPU-x"}));

    auto both = from_compose_service(json::parse(R"({"name": "s", "deploy": {"resources": {"reservations": {"devices": [
        {"capabilities": ["gpu"], "count": 1, "device_ids": ["0"]}]}}}})"));
    REQUIRE_FALSE(both.ok());
    CHECK(both.error().message.find("services.s.deploy.resources.reservations.devices[0]: count and device_ids") != std::string::npos);
    auto no_caps = from_compose_service(json::parse(R"({"name": "s", "deploy": {"resources": {"reservations": {"devices": [{"count": 1}]}}}})"));
    REQUIRE_FALSE(no_caps.ok());
    CHECK(no_caps.error().message.find("capabilities is required") != std::string::npos);
    CHECK(from_compose_service(json::parse(R"({"name": "s"})"))->empty());

    // The loader's normalised shapes: gpus: all → [{"count": "all"}], CDI names in long form.
    auto normalised = from_compose_service(json::parse(R"({"name": "n", "gpus": [{"count": "all"}],
      "devices": [{"source": "nvidia.com/gpu=0", "target": "nvidia.com/gpu=0", "permissions": "rwm"}]})"));
    REQUIRE(normalised.ok());
    CHECK((*normalised)["requests"][0]["count"] == -1);
    CHECK((*normalised)["requests"][0]["driver"] == "nvidia");
    CHECK((*normalised)["cdi"] == json({"nvidia.com/gpu=0"}));
}

TEST_CASE("nvidia: discovery in a fake tree, selection and edits by capability") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "nv-test");
    REQUIRE(dir.ok());
    fs::path root = dir->path();
    for (const char* file : {"dev/nvidia0", "dev/nvidia1", "dev/nvidiactl", "dev/nvidia-uvm", "dev/nvidia-caps/nvidia-cap1",
                             "usr/lib/x86_64-linux-gnu/libcuda.so.1", "usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
                             "usr/lib/x86_64-linux-gnu/libnvidia-encode.so.1", "usr/lib/x86_64-linux-gnu/libc.so.6",
                             "usr/bin/nvidia-smi"})
        write(root / file, "x");
    write(root / "proc/driver/nvidia/gpus/0000:01:00.0/information", "GPU UUID: GPU-abc\nDevice Minor: 1\n");
    auto layout = nvidia::discover(root);
    REQUIRE(layout.gpus.size() == 2);
    CHECK(layout.gpus[1].uuid == "GPU-abc");
    CHECK(layout.control.size() == 3);
    CHECK(layout.libraries.size() == 3);  // not libc

    auto two = nvidia::select(layout, -1, {});
    REQUIRE(two.ok());
    CHECK(two->size() == 2);
    auto by_uuid = nvidia::select(layout, 0, {"GPU-abc"});
    REQUIRE(by_uuid.ok());
    CHECK((*by_uuid)[0].index == 1);
    auto too_many = nvidia::select(layout, 3, {});
    REQUIRE_FALSE(too_many.ok());
    CHECK(too_many.error().message.find("3 asked, 2 present (0, 1 GPU-abc)") != std::string::npos);

    auto caps = nvidia::driver_capabilities({"gpu"});
    CHECK(caps == std::vector<std::string>{"compute", "utility"});
    auto edits = nvidia::edits_for(layout, {layout.gpus[0]}, caps, false);
    std::vector<std::string> nodes, mounts;
    for (const auto& n : edits.device_nodes) nodes.push_back(n.path);
    for (const auto& m : edits.mounts) mounts.push_back(m.container_path);
    CHECK(nodes == std::vector<std::string>{"/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia-uvm", "/dev/nvidiactl"});
    CHECK(mounts == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                                             "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "/usr/bin/nvidia-smi"});
    CHECK(edits.env == std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"});
}

TEST_CASE("edits: nodes with their cgroup rules, env replaced by key, gids once") {
    hako::runtime::Spec spec;
    spec.process.env = {"PATH=/bin", "A=old"};
    cdi::ContainerEdits edits;
    edits.device_nodes.push_back({"/dev/q", "", "c", 1, 3, {}, {}, {}, "r"});
    edits.env = {"A=new"};
    edits.additional_gids = {44, 44};
    edits.mounts.push_back({"/host/lib", "/lib/x", "", {}});
    REQUIRE(apply_edits(edits, spec).ok());
    REQUIRE(spec.linux_spec.devices.size() == 1);
    REQUIRE(spec.linux_spec.resources.devices.size() == 1);
    CHECK(spec.linux_spec.resources.devices[0].access == "r");
    CHECK(spec.process.env == std::vector<std::string>{"PATH=/bin", "A=new"});
    CHECK(spec.process.user.additional_gids == std::vector<uint32_t>{44});
    REQUIRE(spec.mounts.size() == 1);
    CHECK(spec.mounts[0].options == std::vector<std::string>{"ro", "nosuid", "nodev", "bind"});
}
