// Tests for validate_schema (src/project/schema.cpp): valid files pass, each
// kind of violation is reported once at its path and mark, all are reported.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "src/project/schema.h"
#include "src/project/yaml_document.h"

namespace hako {
extern const std::string_view compose_schema_json;
}

using namespace hako::project;
using Json = nlohmann::json;

namespace {

// Gives every node of the value a mark, one line per node in document order,
// as a YAML file written one key per line would have.
void mark_all(const Json& value, const std::string& path, int depth, SourceMap& marks,
              const std::shared_ptr<const std::string>& file, int& line) {
    marks.set(path, Mark{file, line++, depth * 2 + 1});
    if (value.is_object()) {
        for (const auto& [key, child] : value.items()) mark_all(child, path_join(path, key), depth + 1, marks, file, line);
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) mark_all(value[i], path_index(path, i), depth + 1, marks, file, line);
    }
}

Document make_document(Json value) {
    Document document;
    document.file = "compose.yaml";
    document.value = std::move(value);
    auto file = std::make_shared<const std::string>(document.file);
    int line = 1;
    mark_all(document.value, "", 0, document.marks, file, line);
    return document;
}

std::vector<Diagnostic> errors_of(const Json& value) {
    Diagnostics diagnostics;
    validate_schema(make_document(value), diagnostics);
    return diagnostics.items();
}

std::string all_messages(const std::vector<Diagnostic>& items) {
    std::string out;
    for (const auto& d : items) out += d.str() + "\n";
    return out;
}

// One error, at `path`, with exactly `message`.
void require_single_error(const Json& value, const std::string& path, const std::string& message) {
    auto items = errors_of(value);
    INFO(all_messages(items));
    REQUIRE(items.size() == 1);
    CHECK(items[0].path == path);
    CHECK(items[0].message == message);
}

Json service(Json attributes) { return Json{{"services", {{"web", std::move(attributes)}}}}; }

}  // namespace

TEST_CASE("schema: the embedded schema is the file in schema/") {
    std::ifstream in(std::string(HAKO_SOURCE_DIR) + "/schema/compose.schema.json");
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == std::string(hako::compose_schema_json));
    CHECK_NOTHROW(Json::parse(hako::compose_schema_json));
}

TEST_CASE("schema: a realistic project with long and short syntaxes passes") {
    Json value = Json::parse(R"({
      "version": "3.9",
      "name": "shop",
      "x-common": {"restart": "always", "anything": [1, 2]},
      "include": ["other/compose.yaml", {"path": ["a.yaml", "b.yaml"], "project_directory": "a", "env_file": ".env.a"}],
      "services": {
        "web": {
          "image": "nginx:1.25",
          "build": {"context": ".", "dockerfile": "Dockerfile", "args": {"A": "1", "B": null, "N": 3},
                    "ssh": ["default"], "cache_from": ["a"], "cache_to": ["b"], "no_cache": true,
                    "additional_contexts": {"x": "../x"}, "network": "host", "target": "prod",
                    "shm_size": "2g", "extra_hosts": ["h:1.2.3.4"], "isolation": "default",
                    "privileged": false, "secrets": ["s"], "tags": ["t"], "platforms": ["linux/amd64"],
                    "ulimits": {"nofile": {"soft": 1024, "hard": 2048}}, "entitlements": ["network.host"],
                    "pull": true, "labels": ["a=b"], "x-build": 1},
          "ports": ["8080:80", "127.0.0.1:8443:443/tcp", "[::1]:9000:9000", 3000, "5000-5010:5000-5010", "53/udp",
                    {"name": "admin", "target": 9090, "published": "9091", "host_ip": "0.0.0.0", "protocol": "tcp",
                     "app_protocol": "http", "mode": "host", "x-port": true}],
          "volumes": ["data:/var/lib/data:ro", "./conf:/etc/conf",
                      {"type": "bind", "source": "./src", "target": "/src", "read_only": true, "consistency": "cached",
                       "bind": {"propagation": "rshared", "create_host_path": true, "selinux": "z"}},
                      {"type": "volume", "source": "data", "target": "/d", "volume": {"nocopy": true, "subpath": "sub"}},
                      {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": 1048576, "mode": 1777}},
                      {"type": "image", "source": "alpine", "target": "/img", "image": {"subpath": "etc"}}],
          "environment": {"FOO": null, "BAR": "1", "N": 2, "B": true},
          "env_file": [".env", {"path": "extra.env", "required": false, "format": "raw"}],
          "depends_on": {"db": {"condition": "service_healthy", "restart": true, "required": false}},
          "healthcheck": {"test": ["CMD", "curl", "-f", "http://localhost"], "interval": "30s", "timeout": "5s",
                          "retries": 3, "start_period": "10s", "start_interval": "1s", "disable": false},
          "networks": {"front": {"aliases": ["www"], "ipv4_address": "10.0.0.5", "ipv6_address": "fd00::5",
                                 "link_local_ips": ["169.254.0.1"], "mac_address": "02:42:ac:11:00:02",
                                 "priority": 100, "gw_priority": 1, "driver_opts": {"a": "b"}},
                       "back": null},
          "deploy": {"mode": "replicated", "replicas": "3", "labels": {"a": "b"},
                     "update_config": {"parallelism": 2, "delay": "10s", "order": "start-first"},
                     "rollback_config": {"parallelism": 1},
                     "restart_policy": {"condition": "on-failure", "delay": "5s", "max_attempts": 3, "window": "120s"},
                     "placement": {"constraints": ["node.role==manager"], "preferences": [{"spread": "zone"}]},
                     "endpoint_mode": "vip",
                     "resources": {"limits": {"cpus": "0.5", "memory": "512M", "pids": 100},
                                   "reservations": {"cpus": 0.25, "memory": "128M",
                                                    "generic_resources": [{"discrete_resource_spec": {"kind": "gpu", "value": 2}}],
                                                    "devices": [{"capabilities": ["gpu"], "driver": "nvidia", "count": "all"},
                                                                {"capabilities": ["gpu"], "count": 1, "device_ids": ["0"], "options": {"a": "b"}}]}}},
          "develop": {"watch": [{"path": "./src", "action": "sync", "target": "/src", "ignore": ["node_modules"], "include": "*.js"},
                                {"path": "package.json", "action": "rebuild"}]},
          "post_start": [{"command": ["echo", "hi"], "user": "root", "privileged": true, "working_dir": "/", "environment": ["A=1"]}],
          "pre_stop": [{"command": "echo bye"}],
          "command": "serve --port 80",
          "entrypoint": ["/bin/sh", "-c"],
          "cap_add": ["NET_ADMIN"], "cap_drop": ["ALL"], "cgroup": "host", "cgroup_parent": "p",
          "configs": ["c", {"source": "c2", "target": "/c2", "uid": "0", "gid": "0", "mode": 292}],
          "secrets": ["s", {"source": "s2", "target": "/run/s2", "mode": "0400"}],
          "container_name": "shop-web", "cpu_count": 2, "cpu_percent": 50, "cpu_shares": 512, "cpu_quota": "50000",
          "cpu_period": 100000, "cpu_rt_period": "1000", "cpu_rt_runtime": 950, "cpus": 1.5, "cpuset": "0-1",
          "credential_spec": {"file": "x"},
          "device_cgroup_rules": ["c 1:3 mr"],
          "devices": ["/dev/fuse", {"source": "/dev/dri", "target": "/dev/dri", "permissions": "rwm"}],
          "dns": "8.8.8.8", "dns_opt": ["use-vc"], "dns_search": ["example.com"], "domainname": "example.com",
          "expose": ["3000", 4000], "extends": {"service": "base", "file": "base.yaml"},
          "external_links": ["redis"], "extra_hosts": {"somehost": "162.242.195.82", "multi": ["1.2.3.4", "::1"]},
          "gpus": "all", "group_add": ["mail", 1000], "hostname": "web", "init": true, "ipc": "shareable",
          "isolation": "default", "labels": ["a=b"], "label_file": "./labels", "links": ["db:database"],
          "logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": 3}},
          "mac_address": "02:42:ac:11:00:02", "mem_limit": "1g", "mem_reservation": 1024, "mem_swappiness": 0,
          "memswap_limit": -1, "network_mode": "bridge", "oom_kill_disable": "true", "oom_score_adj": -500,
          "pid": null, "pids_limit": 10, "platform": "linux/amd64", "privileged": false, "profiles": ["web"],
          "pull_policy": "every_12h", "read_only": false, "restart": "unless-stopped", "runtime": "runc",
          "scale": 2, "security_opt": ["no-new-privileges:true"], "shm_size": "64m", "stdin_open": true,
          "stop_grace_period": "1m30s", "stop_signal": "SIGUSR1", "storage_opt": {"size": "1G"},
          "sysctls": {"net.core.somaxconn": 1024}, "tmpfs": ["/run"], "tty": true,
          "ulimits": {"nproc": 65535, "nofile": {"soft": 20000, "hard": 40000}},
          "use_api_socket": true, "user": "1000:1000", "userns_mode": "host", "uts": "host",
          "volumes_from": ["db:ro"], "working_dir": "/app", "attach": false, "annotations": {"a": "b"},
          "blkio_config": {"weight": 300, "weight_device": [{"path": "/dev/sda", "weight": 400}],
                           "device_read_bps": [{"path": "/dev/sda", "rate": "12mb"}]},
          "x-extra": {"whatever": [1, {"x": null}]}
        },
        "db": {"image": "postgres:16", "depends_on": ["cache"], "networks": ["back"],
               "healthcheck": {"test": "pg_isready", "x-note": "hi"}, "environment": ["POSTGRES_PASSWORD=x", "BARE"]},
        "gpu": {"image": "cuda", "gpus": [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}], "command": null},
        "override-only": {"environment": {"DEBUG": "1"}},
        "x-template": {"not": "a service"}
      },
      "networks": {
        "front": {"driver": "bridge", "driver_opts": {"com.docker.network.bridge.name": "br0", "mtu": 1500},
                  "ipam": {"driver": "default", "config": [{"subnet": "10.0.0.0/24", "ip_range": "10.0.0.0/25",
                           "gateway": "10.0.0.1", "aux_addresses": {"host1": "10.0.0.2"}}], "options": {"a": "b"}},
                  "internal": false, "enable_ipv4": true, "enable_ipv6": "true", "attachable": true,
                  "labels": {"a": "b"}, "name": "front-net", "x-net": 1},
        "back": null,
        "outside": {"external": true, "name": "corp"},
        "legacy": {"external": {"name": "old"}}
      },
      "volumes": {"data": null, "ext": {"external": true}, "local": {"driver": "local", "driver_opts": {"type": "none", "o": "bind"}, "labels": ["a=b"], "name": "x"}},
      "secrets": {"s": {"file": "./s.txt"}, "s2": {"environment": "TOKEN"}, "s3": {"external": true, "name": "x"}},
      "configs": {"c": {"file": "./c"}, "c2": {"content": "hello ${X}"}, "c3": {"environment": "C"}, "c4": {"external": true}},
      "models": {"llm": {"model": "ai/smollm2", "context_size": 4096}}
    })");
    auto items = errors_of(value);
    INFO(all_messages(items));
    CHECK(items.empty());
}

TEST_CASE("schema: an override file with a partial service and nulls passes") {
    CHECK(errors_of(Json::parse(R"({"services": {"web": {"ports": ["80:80"]}}})")).empty());
    CHECK(errors_of(Json::parse(R"({"services": {"web": {"environment": {"FOO": null}}}, "volumes": {"data": null},
                                   "networks": {"default": null}})")).empty());
    CHECK(errors_of(Json::object()).empty());
}

TEST_CASE("schema: a misspelt key is reported at the key, with a suggestion") {
    require_single_error(service({{"imag", "nginx"}}), "services.web.imag",
                         "additional property \"imag\" is not allowed (did you mean \"image\"?)");
    require_single_error(Json{{"servics", Json::object()}}, "servics",
                         "additional property \"servics\" is not allowed (did you mean \"services\"?)");
    require_single_error(service({{"frobnicate", 1}}), "services.web.frobnicate",
                         "additional property \"frobnicate\" is not allowed");
}

TEST_CASE("schema: every unknown key of one mapping is reported") {
    auto items = errors_of(service({{"image", "x"}, {"aaa", 1}, {"bbb", 2}, {"healthcheck", {{"tset", "x"}}}}));
    INFO(all_messages(items));
    REQUIRE(items.size() == 3);
    CHECK(items[0].path == "services.web.aaa");
    CHECK(items[1].path == "services.web.bbb");
    CHECK(items[2].path == "services.web.healthcheck.tset");
}

TEST_CASE("schema: x- keys are allowed in every mapping, other unknown keys nowhere") {
    CHECK(errors_of(service({{"deploy", {{"resources", {{"limits", {{"x-a", 1}}}, {"x-b", 2}}}}},
                              {"ports", {{{"target", 80}, {"x-c", 3}}}}}))
              .empty());
    require_single_error(service({{"deploy", {{"resources", {{"limits", {{"cpu", 1}}}}}}}}),
                         "services.web.deploy.resources.limits.cpu",
                         "additional property \"cpu\" is not allowed (did you mean \"cpus\"?)");
    require_single_error(Json{{"networks", {{"n", {{"ipam", {{"config", {{{"subnet", "x"}, {"gw", "y"}}}}}}}}}}},
                         "networks.n.ipam.config[0].gw", "additional property \"gw\" is not allowed");
}

TEST_CASE("schema: a wrong type names the expected types") {
    require_single_error(service({{"image", 5}}), "services.web.image", "must be a string, not an integer");
    require_single_error(service({{"cpus", true}}), "services.web.cpus", "must be a number or a string, not a boolean");
    require_single_error(service({{"deploy", {{"replicas", 1.5}}}}), "services.web.deploy.replicas",
                         "must be an integer or a string, not a number");
    require_single_error(service({{"ports", {{{"target", 80}}, Json::array()}}}), "services.web.ports[1]",
                         "must be a number, a string or a mapping, not a list");
    require_single_error(service({{"environment", "FOO=1"}}), "services.web.environment",
                         "must be a mapping or a list, not a string");
    require_single_error(Json{{"services", {{"web", "nginx"}}}}, "services.web", "must be a mapping, not a string");
}

TEST_CASE("schema: values that interpolation leaves as strings are accepted") {
    CHECK(errors_of(service({{"cpus", "0.5"},
                             {"deploy", {{"replicas", "3"}, {"resources", {{"limits", {{"cpus", "1"}, {"pids", "5"}}}}}}},
                             {"tty", "true"},
                             {"scale", "2"},
                             {"ports", {{{"target", "80"}, {"published", "8080"}}}},
                             {"healthcheck", {{"retries", "3"}, {"disable", "false"}}}}))
              .empty());
}

TEST_CASE("schema: a malformed short port is reported with its expected form") {
    require_single_error(service({{"ports", {"8080:80", "8080:80:x"}}}), "services.web.ports[1]",
                         "\"8080:80:x\" does not match [[host_ip:]published:]target[/protocol]");
}

TEST_CASE("schema: enum, required, minimum and uniqueness violations") {
    require_single_error(service({{"depends_on", {{"db", {{"condition", "service_ready"}}}}}}),
                         "services.web.depends_on.db.condition",
                         "must be one of \"service_started\", \"service_healthy\" or \"service_completed_successfully\", "
                         "not \"service_ready\"");
    require_single_error(service({{"depends_on", {{"db", {{"restart", true}}}}}}), "services.web.depends_on.db",
                         "missing required property \"condition\"");
    require_single_error(service({{"deploy", {{"resources", {{"reservations", {{"devices", {{{"count", 1}}}}}}}}}}}),
                         "services.web.deploy.resources.reservations.devices[0]",
                         "missing required property \"capabilities\"");
    require_single_error(service({{"oom_score_adj", 5000}}), "services.web.oom_score_adj", "must be at most 1000");
    require_single_error(service({{"deploy", {{"replicas", -1}}}}), "services.web.deploy.replicas", "must be at least 0");
    require_single_error(service({{"cap_add", {"NET_ADMIN", "SYS_ADMIN", "NET_ADMIN"}}}), "services.web.cap_add[2]",
                         "\"NET_ADMIN\" is a duplicate of item [0]");
    require_single_error(service({{"volumes", {{{"source", "a"}, {"target", "/a"}}}}}), "services.web.volumes[0]",
                         "missing required property \"type\"");
}

TEST_CASE("schema: alternatives of different types each get their own checks") {
    require_single_error(service({{"gpus", "some"}}), "services.web.gpus", "\"some\" does not match \"all\"");
    CHECK(errors_of(service({{"gpus", "all"}})).empty());
    require_single_error(service({{"extends", {{"file", "x.yaml"}}}}), "services.web.extends",
                         "missing required property \"service\"");
    CHECK(errors_of(service({{"extends", "base"}})).empty());
    require_single_error(service({{"env_file", {{{"required", true}}}}}), "services.web.env_file[0]",
                         "missing required property \"path\"");
    require_single_error(service({{"build", {{"context", "."}, {"dockerfil", "x"}}}}), "services.web.build.dockerfil",
                         "additional property \"dockerfil\" is not allowed (did you mean \"dockerfile\"?)");
    require_single_error(service({{"networks", {{"front", {{"alias", {"a"}}}}}}}), "services.web.networks.front.alias",
                         "additional property \"alias\" is not allowed (did you mean \"aliases\"?)");
}

TEST_CASE("schema: nested long forms are checked to the leaf") {
    auto web = [](const char* attributes) { return service(Json::parse(attributes)); };
    require_single_error(web(R"({"build": 5})"), "services.web.build", "must be a string or a mapping, not an integer");
    require_single_error(web(R"({"networks": {"front": {"aliases": "www"}}})"), "services.web.networks.front.aliases",
                         "must be a list, not a string");
    require_single_error(web(R"({"depends_on": {"db": "service_started"}})"), "services.web.depends_on.db",
                         "must be a mapping, not a string");
    require_single_error(web(R"({"deploy": {"resources": {"reservations": {"devices": [{"capabilities": ["gpu"], "count": "many"}]}}}})"),
                         "services.web.deploy.resources.reservations.devices[0].count",
                         "\"many\" does not match \"all\" or a number");
    require_single_error(web(R"({"volumes": [{"type": "bind", "source": ".", "target": "/x", "bind": {"selinux": "q"}}]})"),
                         "services.web.volumes[0].bind.selinux", "must be one of \"z\" or \"Z\", not \"q\"");
    require_single_error(web(R"({"develop": {"watch": [{"path": ".", "action": "copy"}]}})"),
                         "services.web.develop.watch[0].action",
                         "must be one of \"rebuild\", \"sync\", \"restart\", \"sync+restart\" or \"sync+exec\", not \"copy\"");
    require_single_error(web(R"({"post_start": [{"user": "root"}]})"), "services.web.post_start[0]",
                         "missing required property \"command\"");
    // Two mistakes in one list item are two errors.
    auto items = errors_of(web(R"({"ports": [{"target": 80, "protocol": 6, "mode": true}]})"));
    INFO(all_messages(items));
    REQUIRE(items.size() == 2);
    CHECK(items[0].path == "services.web.ports[0].mode");
    CHECK(items[1].path == "services.web.ports[0].protocol");
}

TEST_CASE("schema: a name with characters compose forbids is reported at the name") {
    require_single_error(Json{{"services", {{"web app", {{"image", "x"}}}}}}, "services.web app",
                         "invalid name \"web app\": letters, digits, '.', '_' and '-' only");
    require_single_error(service({{"depends_on", {{"d b", {{"condition", "service_started"}}}}}}),
                         "services.web.depends_on.d b", "invalid name \"d b\": letters, digits, '.', '_' and '-' only");
    require_single_error(service({{"ulimits", {{"NOFILE", 10}}}}), "services.web.ulimits.NOFILE",
                         "invalid name \"NOFILE\": a resource name in lower case (nofile, nproc, ...)");
    // A bad name and a bad value in the same map are both reported.
    auto items = errors_of(Json{{"volumes", {{"my vol", nullptr}, {"ok", {{"driver", 1}}}}}});
    INFO(all_messages(items));
    REQUIRE(items.size() == 2);
}

TEST_CASE("schema: extension keys are never checked, wherever they are") {
    CHECK(errors_of(Json::parse(R"({"x-anchors": {"anything": [1, {"imag": 2}]},
        "services": {"x-not-a-service": 5, "web": {"image": "x", "x-meta": {"a": [1]},
          "environment": {"x-var": "1"}, "healthcheck": {"x-h": true, "test": "true"}}},
        "networks": {"x-n": [], "n": {"x-y": 1}}})"))
              .empty());
    // A mistake next to an extension key is still found, at its own path.
    require_single_error(Json::parse(R"({"x-a": 1, "services": {"web": {"x-b": 2, "image": 3}}})"),
                         "services.web.image", "must be a string, not an integer");
}

TEST_CASE("schema: every error of a file is reported, sorted by position, at its mark") {
    Json value = Json::parse(R"({
      "services": {
        "a": {"image": 1, "ports": ["x:y:z"]},
        "b": {"imagee": "x", "deploy": {"replicas": "three", "resources": {"limits": {"cpus": []}}}}
      },
      "volumes": {"v": {"driver": 3}},
      "bogus": true
    })");
    Document document = make_document(value);
    Diagnostics diagnostics;
    validate_schema(document, diagnostics);
    const auto& items = diagnostics.items();
    INFO(all_messages(items));
    REQUIRE(items.size() == 6);
    for (size_t i = 0; i + 1 < items.size(); ++i) CHECK(items[i].mark.line <= items[i + 1].mark.line);
    for (const auto& item : items) {
        CHECK(item.mark.known());
        CHECK(item.mark.line == document.marks.find(item.path).line);
    }
    CHECK(diagnostics.error_count() == 6);
    std::string text = all_messages(items);
    CHECK_THAT(text, Catch::Contains("compose.yaml:"));
    CHECK_THAT(text, Catch::Contains("bogus: additional property \"bogus\" is not allowed"));
    CHECK_THAT(text, Catch::Contains("services.a.image: must be a string, not an integer"));
    CHECK_THAT(text, Catch::Contains("services.a.ports[0]: \"x:y:z\" does not match"));
    CHECK_THAT(text, Catch::Contains("services.b.imagee: additional property \"imagee\" is not allowed"));
    CHECK_THAT(text, Catch::Contains("services.b.deploy.resources.limits.cpus: must be a number or a string, not a list"));
    CHECK_THAT(text, Catch::Contains("volumes.v.driver: must be a string, not an integer"));
    // "three" is a string, which replicas allows: interpolation may produce it.
    CHECK_THAT(text, !Catch::Contains("replicas"));
    // valijson's own wording never leaks through.
    CHECK_THAT(text, !Catch::Contains("Failed to validate"));
    CHECK_THAT(text, !Catch::Contains("<root>"));
}

TEST_CASE("schema: a place without its own mark falls back to its parent's") {
    Document document;
    document.file = "override.yaml";
    document.value = service({{"image", "x"}, {"ports", {"80:80", "nope"}}});
    auto file = std::make_shared<const std::string>(document.file);
    document.marks.set("services.web.ports", Mark{file, 7, 5});
    Diagnostics diagnostics;
    validate_schema(document, diagnostics);
    REQUIRE(diagnostics.items().size() == 1);
    CHECK(diagnostics.items()[0].str() ==
          "override.yaml:7:5: services.web.ports[1]: \"nope\" does not match [[host_ip:]published:]target[/protocol]");
}

TEST_CASE("schema: a document with no marks at all still names its file") {
    Document document;
    document.file = "bare.yaml";
    document.value = service({{"image", 1}});
    Diagnostics diagnostics;
    validate_schema(document, diagnostics);
    REQUIRE(diagnostics.items().size() == 1);
    CHECK(diagnostics.items()[0].str() == "bare.yaml: services.web.image: must be a string, not an integer");
}

namespace {

Json generated_project(int services) {
    Json project = {{"name", "big"}, {"networks", {{"front", nullptr}, {"back", nullptr}}}, {"volumes", Json::object()}};
    for (int i = 0; i < services; ++i) {
        std::string name = "svc" + std::to_string(i);
        Json service = {
            {"image", "registry.example/app:" + std::to_string(i)},
            {"ports", {std::to_string(10000 + i) + ":80", {{"target", 443}, {"published", std::to_string(20000 + i)}}}},
            {"volumes", {"data" + std::to_string(i) + ":/data", {{"type", "bind"}, {"source", "./c"}, {"target", "/c"}}}},
            {"healthcheck", {{"test", {"CMD", "curl", "-f", "http://localhost"}}, {"interval", "10s"}, {"retries", 3}}},
            {"environment", {{"INDEX", std::to_string(i)}, {"MODE", "prod"}, {"EMPTY", nullptr}}},
            {"networks", {"front", "back"}},
            {"labels", {"app=big"}},
        };
        if (i > 0) service["depends_on"] = {{"svc" + std::to_string(i - 1), {{"condition", "service_healthy"}}}};
        project["services"][name] = std::move(service);
        project["volumes"]["data" + std::to_string(i)] = nullptr;
    }
    return project;
}

}  // namespace

TEST_CASE("schema: a 500-service project passes") {
    Diagnostics diagnostics;
    validate_schema(make_document(generated_project(500)), diagnostics);
    CHECK(diagnostics.items().empty());
}

// Run with: hako_project_tests "[benchmark]"
TEST_CASE("schema: benchmark: checking a 500-service project", "[.][benchmark]") {
    Document document = make_document(generated_project(500));
    Diagnostics warm_up;
    validate_schema(document, warm_up);  // parses the schema once
    REQUIRE(warm_up.items().empty());
    constexpr int rounds = 20;
    double best = 1e9;
    for (int i = 0; i < rounds; ++i) {
        auto start = std::chrono::steady_clock::now();
        Diagnostics diagnostics;
        validate_schema(document, diagnostics);
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        REQUIRE(diagnostics.items().empty());
    }
    WARN("checking 500 services: best of " << rounds << " rounds " << best << " ms");
}

TEST_CASE("schema: a 500-service project with an error in every service reports all of them") {
    Json project = generated_project(500);
    for (auto& [name, service] : project["services"].items()) service["restrat"] = "always";
    Diagnostics diagnostics;
    validate_schema(make_document(project), diagnostics);
    CHECK(diagnostics.error_count() == 500);
}

TEST_CASE("schema: a file that is not a mapping is reported at its root") {
    auto items = errors_of(Json::array({1, 2}));
    REQUIRE(items.size() == 1);
    CHECK(items[0].path.empty());
    CHECK(items[0].str() == "compose.yaml:1:1: must be a mapping, not a list");
}

TEST_CASE("schema: threads may check documents at the same time") {
    Json bad = service({{"image", 1}, {"imag", "x"}});
    std::vector<std::vector<std::string>> seen(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < seen.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 20; ++round) {
                Diagnostics diagnostics;
                validate_schema(make_document(round % 2 ? bad : generated_project(5)), diagnostics);
                for (const auto& d : diagnostics.items()) seen[t].push_back(d.str());
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& messages : seen) {
        REQUIRE(messages.size() == 20);
        CHECK(messages == seen[0]);
    }
}

TEST_CASE("schema: errors in a YAML file point at the key or item that is wrong") {
    std::string text =
        "x-common: &common\n"
        "  restart: always\n"
        "services:\n"
        "  web:\n"
        "    <<: *common\n"
        "    imag: nginx\n"
        "    ports:\n"
        "      - \"80:80\"\n"
        "      - \"8080:80:x\"\n"
        "    deploy:\n"
        "      replicas: 1.5\n"
        "  db:\n"
        "    image: postgres\n"
        "    environment:\n"
        "      PASSWORD:\n";
    Diagnostics diagnostics;
    auto documents = parse_documents(text, "compose.yaml", ParseOptions{}, diagnostics);
    REQUIRE(documents);
    REQUIRE(documents->size() == 1);
    validate_schema(documents->front(), diagnostics);
    std::string all;
    for (const auto& d : diagnostics.items()) all += d.str() + "\n";
    CHECK(all ==
          "compose.yaml:6:5: services.web.imag: additional property \"imag\" is not allowed (did you mean \"image\"?)\n"
          "compose.yaml:9:9: services.web.ports[1]: \"8080:80:x\" does not match [[host_ip:]published:]target[/protocol]\n"
          "compose.yaml:11:7: services.web.deploy.replicas: must be an integer or a string, not a number\n");
}

// A file with many services has its first pass split across two threads (the
// rest of the file and each half of the services): it must find what one pass
// finds, wherever the mistake is.
TEST_CASE("schema: a large file is checked whole when its services are checked in two threads") {
    Json services = Json::object();
    for (int i = 0; i < 100; ++i) {
        services["svc" + std::to_string(i)] = {{"image", "busybox"}, {"ports", {"8080:80"}}};
    }
    Json valid = {{"services", services}, {"networks", {{"front", Json::object()}}}};
    REQUIRE(errors_of(valid).empty());

    Json late = valid;  // "svc98" sorts into the second half
    late["services"]["svc98"]["image"] = 5;
    require_single_error(late, "services.svc98.image", "must be a string, not an integer");
    Json early = valid;
    early["services"]["svc1"]["image"] = 5;
    require_single_error(early, "services.svc1.image", "must be a string, not an integer");
    Json outside = valid;
    outside["networks"]["front"]["frobnicate"] = true;
    require_single_error(outside, "networks.front.frobnicate", "additional property \"frobnicate\" is not allowed");
    Json badly_named = valid;
    badly_named["services"]["web app"] = {{"image", "busybox"}};
    auto items = errors_of(badly_named);
    REQUIRE(items.size() == 1);
    CHECK(items[0].path == "services.web app");
}
