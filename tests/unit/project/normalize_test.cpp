// Tests for src/project/normalize*.cpp: each short syntax becomes the long form
// docker compose config prints, and each mistake is reported at its mark.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "src/project/normalize.h"
#include "src/project/normalize_detail.h"
#include "tests/unit/project/yaml_test_support.h"

using namespace hako::project;
using hako::project::testing::make_project;
using hako::project::testing::parse_yaml;

namespace {

Json normalized(const std::string& yaml, Project* out = nullptr) {
    Project project = make_project(yaml);
    Diagnostics diagnostics;
    auto result = normalize(project, diagnostics);
    INFO((result.ok() ? std::string() : result.error().message));
    REQUIRE(result.ok());
    if (out) *out = project;
    return project.model;
}

Json service(const std::string& yaml, const std::string& name = "web") { return normalized(yaml)["services"][name]; }

// Every error, one per line, as the CLI prints them.
std::string errors_of(const std::string& yaml, Project project = {}) {
    if (project.name.empty()) project = make_project(yaml);
    Diagnostics diagnostics;
    auto result = normalize(project, diagnostics);
    REQUIRE_FALSE(result.ok());
    std::string out;
    for (const auto& item : diagnostics.items()) out += item.str() + "\n";
    return out;
}

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char name[] = "/tmp/hako-normalize-XXXXXX";
        REQUIRE(mkdtemp(name) != nullptr);
        path = name;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    void write(const std::string& file, const std::string& content) const { std::ofstream(path / file) << content; }
};

}  // namespace

// ---- ports ----

TEST_CASE("normalize: a bare container port becomes an ingress tcp port with no published port") {
    auto web = service("services: {web: {image: nginx, ports: ['3000', 4000]}}");
    CHECK(web["ports"] == Json::parse(R"([{"mode":"ingress","target":3000,"protocol":"tcp"},
                                          {"mode":"ingress","target":4000,"protocol":"tcp"}])"));
}

TEST_CASE("normalize: host:container ports publish the host port as a string") {
    auto web = service("services: {web: {image: nginx, ports: ['8080:80']}}");
    CHECK(web["ports"] == Json::parse(R"([{"mode":"ingress","target":80,"published":"8080","protocol":"tcp"}])"));
}

TEST_CASE("normalize: ip:host:container/udp keeps the host ip and the protocol") {
    auto web = service("services: {web: {image: nginx, ports: ['127.0.0.1:8080:80/udp', '[::1]:81:81']}}");
    CHECK(web["ports"][0] ==
          Json::parse(R"({"mode":"ingress","target":80,"published":"8080","protocol":"udp","host_ip":"127.0.0.1"})"));
    CHECK(web["ports"][1] ==
          Json::parse(R"({"mode":"ingress","target":81,"published":"81","protocol":"tcp","host_ip":"::1"})"));
}

TEST_CASE("normalize: a port range expands to one entry per port") {
    auto web = service("services: {web: {image: nginx, ports: ['9090-9091:8080-8081']}}");
    REQUIRE(web["ports"].size() == 2);
    CHECK(web["ports"][0]["target"] == 8080);
    CHECK(web["ports"][0]["published"] == "9090");
    CHECK(web["ports"][1]["target"] == 8081);
    CHECK(web["ports"][1]["published"] == "9091");
}

TEST_CASE("normalize: a host port range for one container port stays a range") {
    auto web = service("services: {web: {image: nginx, ports: ['8000-8010:80']}}");
    REQUIRE(web["ports"].size() == 1);
    CHECK(web["ports"][0]["published"] == "8000-8010");
}

TEST_CASE("normalize: long-form ports get defaults and a string published port") {
    auto web = service("services: {web: {image: nginx, ports: [{target: 80, published: 8080}]}}");
    CHECK(web["ports"][0] == Json::parse(R"({"mode":"ingress","target":80,"published":"8080","protocol":"tcp"})"));
}

TEST_CASE("normalize: bad ports are errors at their entry's mark, all of them") {
    const std::string yaml =
        "services:\n"
        "  web:\n"
        "    image: nginx\n"
        "    ports:\n"
        "      - '99999:80'\n"
        "      - '9090-9092:8080-8081'\n"
        "      - '80/foo'\n"
        "      - '1.2.3:80:80'\n";
    auto errors = errors_of(yaml);
    CHECK_THAT(errors, Catch::Contains("compose.yaml:5:9: services.web.ports[0]: invalid port \"99999:80\": invalid host port 99999"));
    CHECK_THAT(errors, Catch::Contains("compose.yaml:6:9: services.web.ports[1]: invalid port \"9090-9092:8080-8081\": port ranges of different lengths"));
    CHECK_THAT(errors, Catch::Contains("compose.yaml:7:9: services.web.ports[2]: invalid port \"80/foo\": invalid protocol foo"));
    CHECK_THAT(errors, Catch::Contains("compose.yaml:8:9: services.web.ports[3]: invalid port \"1.2.3:80:80\": invalid IP address 1.2.3"));
}

TEST_CASE("normalize: marks follow ports moved by a range expansion") {
    Project project;
    normalized("services:\n  web:\n    image: nginx\n    ports:\n      - '9090-9091:8080-8081'\n      - '3000'\n", &project);
    CHECK(project.marks.find("services.web.ports[1]").line == 5);
    CHECK(project.marks.find("services.web.ports[2]").line == 6);
}

// ---- volumes ----

TEST_CASE("normalize: a short bind mount becomes a bind with create_host_path") {
    auto web = service("services: {web: {image: nginx, volumes: ['/host:/ctr:ro']}}");
    CHECK(web["volumes"][0] == Json::parse(R"({"type":"bind","source":"/host","target":"/ctr","read_only":true,
                                               "bind":{"create_host_path":true}})"));
}

TEST_CASE("normalize: relative and ~ bind sources become absolute") {
    auto web = service("services: {web: {image: nginx, volumes: ['./rel:/ctr', '~/x:/y', '../up:/up/', '.:/app']}}");
    CHECK(web["volumes"][0]["source"] == "/work/proj/rel");
    CHECK(web["volumes"][1]["source"] == "/home/user/x");
    CHECK(web["volumes"][2]["source"] == "/work/up");
    CHECK(web["volumes"][2]["target"] == "/up");
    CHECK(web["volumes"][3]["source"] == "/work/proj");
}

TEST_CASE("normalize: a named volume with options keeps them in bind and volume") {
    auto web = service("services: {web: {image: nginx, volumes: ['name:/ctr:rw,z', 'cache:/c:nocopy']}}");
    CHECK(web["volumes"][0] == Json::parse(R"({"type":"volume","source":"name","target":"/ctr",
                                               "bind":{"selinux":"z","create_host_path":true},"volume":{}})"));
    CHECK(web["volumes"][1]["volume"] == Json::parse(R"({"nocopy":true})"));
}

TEST_CASE("normalize: a lone path is an anonymous volume") {
    auto web = service("services: {web: {image: nginx, volumes: ['/anon']}}");
    CHECK(web["volumes"][0] == Json::parse(R"({"type":"volume","target":"/anon","volume":{}})"));
}

TEST_CASE("normalize: long-form volumes get absolute sources, sizes in bytes and no read_only false") {
    auto web = service(
        "services: {web: {image: nginx, volumes: [{type: bind, source: ./d, target: /d/, read_only: false},"
        " {type: volume, source: v, target: /v}, {type: tmpfs, target: /t, tmpfs: {size: 64m}}]}}");
    CHECK(web["volumes"][0] == Json::parse(R"({"type":"bind","source":"/work/proj/d","target":"/d"})"));
    CHECK(web["volumes"][1] == Json::parse(R"({"type":"volume","source":"v","target":"/v","volume":{}})"));
    CHECK(web["volumes"][2]["tmpfs"]["size"] == "67108864");
}

TEST_CASE("normalize: bad volume specs are errors at their mark") {
    auto errors = errors_of("services:\n  web:\n    image: nginx\n    volumes: ['a:b:c:d', 'a::b']\n");
    CHECK_THAT(errors, Catch::Contains("services.web.volumes[0]: invalid volume \"a:b:c:d\": too many colons"));
    CHECK_THAT(errors, Catch::Contains("services.web.volumes[1]: invalid volume \"a::b\": empty section between colons"));
}

// ---- environment and env_file ----

TEST_CASE("normalize: a list environment becomes a map; a bare key takes the project's value or is left out") {
    auto web = service("services: {web: {image: nginx, environment: ['A=1', 'B=x=y', FROM_ENV, NOT_SET, 'EMPTY=']}}");
    CHECK(web["environment"] == Json::parse(R"({"A":"1","B":"x=y","FROM_ENV":"env-value","EMPTY":""})"));
}

TEST_CASE("normalize: map environment values become strings") {
    auto web = service("services: {web: {image: nginx, environment: {PORT: 8080, DEBUG: true, RATIO: 1.5, FROM_ENV: null}}}");
    CHECK(web["environment"] == Json::parse(R"({"PORT":"8080","DEBUG":"true","RATIO":"1.5","FROM_ENV":"env-value"})"));
}

TEST_CASE("normalize: env_file values are merged under environment and the list is kept in long form") {
    TempDir dir;
    dir.write("common.env", "A=from-file\nB=from-file\n# comment\nC=${FROM_ENV}\n");
    dir.write("raw.env", "R=$NOT_EXPANDED\n");
    Project project = make_project(
        "services: {web: {image: nginx, environment: {B: from-service},"
        " env_file: [common.env, {path: raw.env, format: raw}, {path: missing.env, required: false}]}}",
        dir.path.string());
    Diagnostics diagnostics;
    REQUIRE(normalize(project, diagnostics).ok());
    const Json& web = project.model["services"]["web"];
    CHECK(web["environment"] == Json::parse(R"({"A":"from-file","B":"from-service","C":"env-value","R":"$NOT_EXPANDED"})"));
    CHECK(web["env_file"] == Json::array({Json{{"path", (dir.path / "common.env").string()}, {"required", true}},
                                          Json{{"path", (dir.path / "raw.env").string()}, {"format", "raw"}, {"required", true}},
                                          Json{{"path", (dir.path / "missing.env").string()}, {"required", false}}}));
}

TEST_CASE("normalize: a missing required env_file is an error at its mark") {
    const std::string yaml = "services:\n  web:\n    image: nginx\n    env_file: nowhere.env\n";
    auto errors = errors_of(yaml);
    CHECK_THAT(errors, Catch::Contains("compose.yaml:4:5: services.web.env_file[0]: env file /work/proj/nowhere.env not found"));
}

// ---- depends_on, networks ----

TEST_CASE("normalize: a depends_on list becomes conditions service_started, required") {
    auto web = normalized("services: {web: {image: a, depends_on: [db]}, db: {image: b}}")["services"]["web"];
    CHECK(web["depends_on"] == Json::parse(R"({"db":{"condition":"service_started","required":true}})"));
}

TEST_CASE("normalize: long depends_on gets defaults; links and volumes_from imply dependencies") {
    auto web = normalized(
        "services: {web: {image: a, depends_on: {db: {condition: service_healthy}, cache: null},"
        " links: ['api:backend'], volumes_from: ['files:ro', 'container:other']},"
        " db: {image: b}, cache: {image: c}, api: {image: d}, files: {image: e}}")["services"]["web"];
    CHECK(web["depends_on"] == Json::parse(R"({
        "db":{"condition":"service_healthy","required":true},
        "cache":{"condition":"service_started","required":true},
        "api":{"condition":"service_started","required":true,"restart":true},
        "files":{"condition":"service_started","required":true,"restart":false}})"));
}

TEST_CASE("normalize: an unknown depends_on condition is an error") {
    auto errors = errors_of("services: {web: {image: a, depends_on: {db: {condition: service_ready}}}, db: {image: b}}");
    CHECK_THAT(errors, Catch::Contains("services.web.depends_on.db.condition: unknown condition \"service_ready\""));
}

TEST_CASE("normalize: services join the default network, which gets a project-scoped name") {
    auto model = normalized(
        "services: {web: {image: a, networks: [front]}, db: {image: b}, host: {image: c, network_mode: host}}\n"
        "networks: {front: {}, outside: {external: true}, old: {external: {name: legacy}}, named: {name: custom}}\n");
    CHECK(model["services"]["web"]["networks"] == Json::parse(R"({"front":null})"));
    CHECK(model["services"]["db"]["networks"] == Json::parse(R"({"default":null})"));
    CHECK_FALSE(model["services"]["host"].contains("networks"));
    CHECK(model["networks"] == Json::parse(R"({"default":{"name":"demo_default"},"front":{"name":"demo_front"},
        "outside":{"name":"outside","external":true},"old":{"name":"legacy","external":true},"named":{"name":"custom"}})"));
    CHECK(model["name"] == "demo");
}

TEST_CASE("normalize: no default network when no service uses it") {
    auto model = normalized("services: {web: {image: a, network_mode: host}}");
    CHECK_FALSE(model.contains("networks"));
}

TEST_CASE("normalize: top-level volumes, secrets and configs get names and absolute files") {
    auto model = normalized(
        "services: {web: {image: a, secrets: [db_pass], configs: [app]}}\n"
        "volumes: {data: null, ext: {external: true}}\n"
        "secrets: {db_pass: {file: ./secrets/db.txt}}\n"
        "configs: {app: {file: ~/app.conf}}\n");
    CHECK(model["volumes"] == Json::parse(R"({"data":{"name":"demo_data"},"ext":{"name":"ext","external":true}})"));
    CHECK(model["secrets"]["db_pass"] == Json::parse(R"({"name":"demo_db_pass","file":"/work/proj/secrets/db.txt"})"));
    CHECK(model["configs"]["app"]["file"] == "/home/user/app.conf");
    CHECK(model["services"]["web"]["secrets"] == Json::parse(R"([{"source":"db_pass","target":"/run/secrets/db_pass"}])"));
    CHECK(model["services"]["web"]["configs"] == Json::parse(R"([{"source":"app"}])"));
}

// ---- build, image ----

TEST_CASE("normalize: a build string becomes an absolute context and the default Dockerfile") {
    auto web = service("services: {web: {build: ./app}}");
    CHECK(web["build"] == Json::parse(R"({"context":"/work/proj/app","dockerfile":"Dockerfile"})"));
}

TEST_CASE("normalize: remote build contexts are kept; build args resolve bare keys") {
    auto web = service("services: {web: {build: {context: 'https://github.com/x/y.git#main', args: [A=1, FROM_ENV, NOPE]}}}");
    CHECK(web["build"]["context"] == "https://github.com/x/y.git#main");
    CHECK(web["build"]["args"] == Json::parse(R"({"A":"1","FROM_ENV":"env-value"})"));
}

TEST_CASE("normalize: a service with neither image nor build is an error at the service") {
    auto errors = errors_of("services:\n  web:\n    restart: always\n");
    CHECK_THAT(errors, Catch::Contains("compose.yaml:2:3: services.web: service \"web\" has neither an image nor a build context specified"));
}

// ---- gpus and devices ----

TEST_CASE("normalize: gpus all becomes one device request for all GPUs") {
    auto web = service("services: {web: {image: cuda, gpus: all}}");
    CHECK(web["gpus"] == Json::parse(R"([{"count":"all"}])"));
}

TEST_CASE("normalize: device reservations default to count all and keep it") {
    auto web = service(
        "services: {web: {image: cuda, deploy: {resources: {reservations: {devices: ["
        "{driver: nvidia, capabilities: [gpu]}, {capabilities: [gpu], count: '2'}, {device_ids: ['0']}]}}}}}");
    const Json& devices = web["deploy"]["resources"]["reservations"]["devices"];
    CHECK(devices[0] == Json::parse(R"({"driver":"nvidia","capabilities":["gpu"],"count":"all"})"));
    CHECK(devices[1]["count"] == 2);
    CHECK_FALSE(devices[2].contains("count"));
}

TEST_CASE("normalize: short device mappings become source, target and permissions") {
    auto web = service("services: {web: {image: a, devices: ['/dev/fuse', '/dev/sda:/dev/xvda:r']}}");
    CHECK(web["devices"] == Json::parse(R"([{"source":"/dev/fuse","target":"/dev/fuse","permissions":"rwm"},
                                            {"source":"/dev/sda","target":"/dev/xvda","permissions":"r"}])"));
}

// ---- maps, lists and scalars ----

TEST_CASE("normalize: ulimits numbers become soft and hard") {
    auto web = service("services: {web: {image: a, ulimits: {nofile: 1024, nproc: {soft: 10, hard: 20}}}}");
    CHECK(web["ulimits"] == Json::parse(R"({"nofile":{"soft":1024,"hard":1024},"nproc":{"soft":10,"hard":20}})"));
}

TEST_CASE("normalize: a soft ulimit above the hard one is an error") {
    auto errors = errors_of("services: {web: {image: a, ulimits: {nofile: {soft: 20, hard: 10}}}}");
    CHECK_THAT(errors, Catch::Contains("services.web.ulimits.nofile: soft limit is above the hard limit"));
}

TEST_CASE("normalize: extra_hosts lists and maps become host → IPs") {
    auto web = service("services: {web: {image: a, extra_hosts: ['db:10.0.0.2', 'v6=::1', 'multi=10.0.0.3,[::2]']}}");
    CHECK(web["extra_hosts"] == Json::parse(R"({"db":["10.0.0.2"],"v6":["::1"],"multi":["10.0.0.3","::2"]})"));
    auto mapped = service("services: {web: {image: a, extra_hosts: {db: 10.0.0.2, two: [10.0.0.4, '::4']}}}");
    CHECK(mapped["extra_hosts"] == Json::parse(R"({"db":["10.0.0.2"],"two":["10.0.0.4","::4"]})"));
    auto errors = errors_of("services: {web: {image: a, extra_hosts: ['nohost']}}");
    CHECK_THAT(errors, Catch::Contains("services.web.extra_hosts[0]: invalid extra host \"nohost\": missing IP"));
}

TEST_CASE("normalize: labels, annotations and sysctls lists become string maps") {
    auto web = service("services: {web: {image: a, labels: ['a=1', b], sysctls: ['net.core.somaxconn=1024'],"
                       " annotations: {n: 5}}}");
    CHECK(web["labels"] == Json::parse(R"({"a":"1","b":""})"));
    CHECK(web["sysctls"] == Json::parse(R"({"net.core.somaxconn":"1024"})"));
    CHECK(web["annotations"] == Json::parse(R"({"n":"5"})"));
}

TEST_CASE("normalize: command and entrypoint strings are split into words as a shell would") {
    auto web = service(R"(services: {web: {image: a, command: 'sh -c "echo hi && sleep 1" '' x'' y\ z', entrypoint: ''}})");
    CHECK(web["command"] == Json::parse(R"(["sh","-c","echo hi && sleep 1"," x","y z"])"));
    CHECK(web["entrypoint"] == Json::array());
    auto errors = errors_of("services: {web: {image: a, command: 'echo \"oops'}}");
    CHECK_THAT(errors, Catch::Contains("services.web.command: unterminated quote"));
}

TEST_CASE("normalize: healthcheck test strings use CMD-SHELL and durations print as Go does") {
    auto web = service("services: {web: {image: a, healthcheck: {test: 'curl -f localhost', interval: 90s,"
                       " timeout: 500ms, start_period: 1h, start_interval: 1.5s}}}");
    CHECK(web["healthcheck"] == Json::parse(R"({"test":["CMD-SHELL","curl -f localhost"],"interval":"1m30s",
        "timeout":"500ms","start_period":"1h0m0s","start_interval":"1.5s"})"));
}

TEST_CASE("normalize: bad durations are errors at their mark") {
    const std::string yaml = "services:\n  web:\n    image: a\n    healthcheck:\n      interval: 10 sec\n    stop_grace_period: 10\n";
    auto errors = errors_of(yaml);
    CHECK_THAT(errors, Catch::Contains("compose.yaml:5:7: services.web.healthcheck.interval: invalid duration \"10 sec\""));
    CHECK_THAT(errors, Catch::Contains("compose.yaml:6:5: services.web.stop_grace_period: invalid duration \"10\""));
}

TEST_CASE("normalize: sizes become byte counts and cpus a number") {
    auto web = service("services: {web: {image: a, mem_limit: 512m, shm_size: 1.5GB, memswap_limit: -1, cpus: '0.5',"
                       " deploy: {resources: {limits: {memory: 1g, cpus: '2'}}}}}");
    CHECK(web["mem_limit"] == "536870912");
    CHECK(web["shm_size"] == "1610612736");
    CHECK(web["memswap_limit"] == "-1");
    CHECK(web["cpus"] == 0.5);
    CHECK(web["deploy"]["resources"]["limits"] == Json::parse(R"({"memory":"1073741824","cpus":2.0})"));
    auto errors = errors_of("services: {web: {image: a, mem_limit: 12 parsecs}}");
    CHECK_THAT(errors, Catch::Contains("services.web.mem_limit: invalid size \"12 parsecs\""));
}

TEST_CASE("normalize: expose, tmpfs, dns and dns_search become lists of strings") {
    auto web = service("services: {web: {image: a, expose: [80, '443'], tmpfs: /run, dns: 1.1.1.1, dns_search: example.com}}");
    CHECK(web["expose"] == Json::parse(R"(["80","443"])"));
    CHECK(web["tmpfs"] == Json::parse(R"(["/run"])"));
    CHECK(web["dns"] == Json::parse(R"(["1.1.1.1"])"));
    CHECK(web["dns_search"] == Json::parse(R"(["example.com"])"));
}

TEST_CASE("normalize: restart policies are checked") {
    CHECK(service("services: {web: {image: a, restart: 'on-failure:3'}}")["restart"] == "on-failure:3");
    auto errors = errors_of("services: {web: {image: a, restart: sometimes}}");
    CHECK_THAT(errors, Catch::Contains("services.web.restart: invalid restart policy \"sometimes\""));
}

TEST_CASE("normalize: scale and deploy.replicas must agree, and container_name needs one replica") {
    auto web = service("services: {web: {image: a, scale: 2, deploy: {}}}");
    CHECK(web["deploy"]["replicas"] == 2);
    auto errors = errors_of("services: {web: {image: a, scale: 2, deploy: {replicas: 3}}}");
    CHECK_THAT(errors, Catch::Contains("services.web.scale: can't set distinct values on 'scale' and 'deploy.replicas'"));
    auto named = errors_of("services: {web: {image: a, container_name: one, deploy: {replicas: 2}}}");
    CHECK_THAT(named, Catch::Contains("services.web.container_name: service \"web\" sets container_name and runs 2 containers"));
}

TEST_CASE("normalize: pull_policy if_not_present is spelled missing") {
    CHECK(service("services: {web: {image: a, pull_policy: if_not_present}}")["pull_policy"] == "missing");
}

TEST_CASE("normalize: normalising a normalised model changes nothing") {
    const std::string yaml =
        "services:\n"
        "  web:\n"
        "    build: .\n"
        "    ports: ['8080:80', '9090-9091:8080-8081']\n"
        "    volumes: ['./d:/d:ro', 'v:/v', '/anon']\n"
        "    environment: [A=1]\n"
        "    depends_on: [db]\n"
        "    command: run --fast\n"
        "    healthcheck: {test: 'true', interval: 90s}\n"
        "    ulimits: {nofile: 10}\n"
        "    extra_hosts: ['h:1.2.3.4']\n"
        "    gpus: all\n"
        "    mem_limit: 1g\n"
        "  db: {image: postgres, secrets: [s]}\n"
        "volumes: {v: {}}\n"
        "secrets: {s: {file: ./s.txt}}\n";
    Project project = make_project(yaml);
    Diagnostics diagnostics;
    REQUIRE(normalize(project, diagnostics).ok());
    const Json once = project.model;
    REQUIRE(normalize(project, diagnostics).ok());
    CHECK(project.model == once);
}

// ---- value parsers ----

TEST_CASE("normalize values: durations parse Compose units and print as Go's time.Duration") {
    using namespace hako::project::detail;
    CHECK(parse_duration("1m30s") == 90'000'000'000LL);
    CHECK(parse_duration("1.5h") == 5400'000'000'000LL);
    CHECK(parse_duration("2d") == 172800'000'000'000LL);
    CHECK(parse_duration("0") == 0);
    CHECK_FALSE(parse_duration("10").has_value());
    CHECK_FALSE(parse_duration("").has_value());
    CHECK_FALSE(parse_duration("1x").has_value());
    CHECK_FALSE(parse_duration("s").has_value());
    CHECK(format_duration(0) == "0s");
    CHECK(format_duration(90'000'000'000LL) == "1m30s");
    CHECK(format_duration(3600'000'000'000LL) == "1h0m0s");
    CHECK(format_duration(1'500'000'000LL) == "1.5s");
    CHECK(format_duration(500'000'000LL) == "500ms");
    CHECK(format_duration(1'500LL) == "1.5\xC2\xB5s");
    CHECK(format_duration(-2'000'000'000LL) == "-2s");
}

TEST_CASE("normalize values: sizes use docker's binary units") {
    using namespace hako::project::detail;
    CHECK(parse_size("2048") == 2048);
    CHECK(parse_size("100k") == 102400);
    CHECK(parse_size("512m") == 536870912);
    CHECK(parse_size("1g") == 1073741824);
    CHECK(parse_size("1.5GB") == 1610612736);
    CHECK(parse_size("1 GiB") == 1073741824);
    CHECK(parse_size("-1") == -1);
    CHECK_FALSE(parse_size("").has_value());
    CHECK_FALSE(parse_size("1x").has_value());
    CHECK_FALSE(parse_size("m").has_value());
}

TEST_CASE("normalize values: shell words and Go path cleaning") {
    using namespace hako::project::detail;
    CHECK(split_shell_words("a  'b c' \"d \\\"e\\\"\" f\\ g") == std::vector<std::string>{"a", "b c", "d \"e\"", "f g"});
    CHECK(split_shell_words("") == std::vector<std::string>{});
    CHECK(split_shell_words("''") == std::vector<std::string>{""});
    CHECK_FALSE(split_shell_words("'open").has_value());
    CHECK(clean_path("/a/./b/../c/") == "/a/c");
    CHECK(clean_path("a/../../b") == "../b");
    CHECK(clean_path("/..") == "/");
    CHECK(clean_path("") == ".");
}
