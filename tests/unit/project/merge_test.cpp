#include <catch2/catch.hpp>

#include "src/project/merge.h"

using namespace hako::project;

namespace {

Document doc(const char* file, const char* json) {
    Document d;
    d.file = file;
    d.value = Json::parse(json);
    d.marks.set("", Mark{std::make_shared<const std::string>(file), 1, 1});
    return d;
}

Json merged(const char* base, const char* overlay) {
    Document b = doc("a.yaml", base);
    merge_documents(b, doc("b.yaml", overlay));
    return b.value;
}

}  // namespace

TEST_CASE("merge: mappings merge recursively, scalars are replaced") {
    Json m = merged(R"({"services":{"web":{"image":"a","restart":"no","deploy":{"replicas":1,"mode":"replicated"}}}})",
                    R"({"services":{"web":{"image":"b","deploy":{"replicas":3}},"db":{"image":"pg"}}})");
    CHECK(m["services"]["web"]["image"] == "b");
    CHECK(m["services"]["web"]["restart"] == "no");
    CHECK(m["services"]["web"]["deploy"] == Json::parse(R"({"replicas":3,"mode":"replicated"})"));
    CHECK(m["services"]["db"]["image"] == "pg");
}

TEST_CASE("merge: command, entrypoint and healthcheck.test are replaced, other sequences append") {
    Json m = merged(
        R"({"services":{"web":{"command":["a","b"],"entrypoint":["sh"],"dns":["1.1.1.1"],
            "healthcheck":{"test":["CMD","x"],"interval":"5s"},"tmpfs":["/run"]}}})",
        R"({"services":{"web":{"command":["c"],"entrypoint":"bash","dns":"8.8.8.8",
            "healthcheck":{"test":["CMD","y"]},"tmpfs":["/tmp","/run"]}}})");
    const Json& web = m["services"]["web"];
    CHECK(web["command"] == Json::parse(R"(["c"])"));
    CHECK(web["entrypoint"] == "bash");
    CHECK(web["healthcheck"]["test"] == Json::parse(R"(["CMD","y"])"));
    CHECK(web["healthcheck"]["interval"] == "5s");
    CHECK(web["dns"] == Json::parse(R"(["1.1.1.1","8.8.8.8"])"));
    CHECK(web["tmpfs"] == Json::parse(R"(["/run","/tmp"])"));
}

TEST_CASE("merge: environment and labels merge as mappings whichever form each side used") {
    Json m = merged(R"({"services":{"web":{"environment":["A=1","B=2","C"],"labels":{"x":"1"}}}})",
                    R"({"services":{"web":{"environment":{"B":"3","D":null},"labels":["y=2","x=9"]}}})");
    const Json& web = m["services"]["web"];
    CHECK(web["environment"] == Json::parse(R"({"A":"1","B":"3","C":null,"D":null})"));
    CHECK(web["labels"] == Json::parse(R"({"x":"9","y":"2"})"));
}

TEST_CASE("merge: extra_hosts, sysctls, build.args and ulimits merge by key") {
    Json m = merged(
        R"({"services":{"web":{"extra_hosts":["db:10.0.0.2","cache=10.0.0.3"],"sysctls":["net.core.somaxconn=1024"],
            "build":"./app","ulimits":{"nofile":{"soft":1024,"hard":2048},"nproc":100}}}})",
        R"({"services":{"web":{"extra_hosts":{"db":"10.0.0.9"},"sysctls":{"net.ipv4.ip_forward":"1"},
            "build":{"args":["V=2"]},"ulimits":{"nofile":{"soft":4096}}}}})");
    const Json& web = m["services"]["web"];
    CHECK(web["extra_hosts"] == Json::parse(R"({"db":"10.0.0.9","cache":"10.0.0.3"})"));
    CHECK(web["sysctls"] == Json::parse(R"({"net.core.somaxconn":"1024","net.ipv4.ip_forward":"1"})"));
    CHECK(web["build"] == Json::parse(R"({"context":"./app","args":["V=2"]})"));

    Json args = merged(R"({"services":{"web":{"build":{"args":["U=1","V=1"]}}}})",
                       R"({"services":{"web":{"build":{"args":{"V":"2"}}}}})");
    CHECK(args["services"]["web"]["build"]["args"] == Json::parse(R"({"U":"1","V":"2"})"));
    CHECK(web["ulimits"] == Json::parse(R"({"nofile":{"soft":4096},"nproc":100})"));
}

TEST_CASE("merge: depends_on and networks lists become maps before merging") {
    Json m = merged(R"({"services":{"web":{"depends_on":["db","cache"],"networks":["front"]}}})",
                    R"({"services":{"web":{"depends_on":{"db":{"condition":"service_healthy"}},
                        "networks":{"back":{"aliases":["w"]}}}}})");
    const Json& web = m["services"]["web"];
    CHECK(web["depends_on"]["db"]["condition"] == "service_healthy");
    CHECK(web["depends_on"]["db"]["required"] == true);
    CHECK(web["depends_on"]["cache"]["condition"] == "service_started");
    CHECK(web["networks"] == Json::parse(R"({"front":null,"back":{"aliases":["w"]}})"));
}

TEST_CASE("merge: ports are unique by ip, published, target and protocol in any syntax") {
    Json m = merged(R"({"services":{"web":{"ports":["8080:80","127.0.0.1:9000:9000","53:53/udp",443]}}})",
                    R"({"services":{"web":{"ports":[{"target":80,"published":"8080","protocol":"tcp","mode":"host"},
                        "9000:9000","53:53",443]}}})");
    const Json& ports = m["services"]["web"]["ports"];
    REQUIRE(ports.size() == 6);
    CHECK(ports[0]["mode"] == "host");  // took the place of "8080:80"
    CHECK(ports[1] == "127.0.0.1:9000:9000");
    CHECK(ports[3] == 443);
    CHECK(ports[4] == "9000:9000");  // a different host ip: kept apart
    CHECK(ports[5] == "53:53");      // tcp, not udp
}

TEST_CASE("merge: port_key normalises short and long syntax") {
    CHECK(port_key(Json("8080:80")) == port_key(Json::parse(R"({"target":80,"published":8080})")));
    CHECK(port_key(Json("127.0.0.1::80/udp")) == "127.0.0.1||80|udp");
    CHECK(port_key(Json("[::1]:8080:80")) == "::1|8080|80|tcp");
    CHECK(port_key(Json(80)) == "||80|tcp");
}

TEST_CASE("merge: volumes, secrets and configs are unique by target, the later file wins") {
    Json m = merged(R"({"services":{"web":{"volumes":["data:/data","./conf:/etc/app:ro"],
                        "secrets":["token",{"source":"key","target":"/keys/k"}],"configs":["nginx"]}}})",
                    R"({"services":{"web":{"volumes":[{"type":"bind","source":"./src","target":"/data"},"/cache"],
                        "secrets":[{"source":"token2","target":"/run/secrets/token"},"key"],
                        "configs":[{"source":"nginx2","target":"/nginx"}]}}})");
    const Json& web = m["services"]["web"];
    REQUIRE(web["volumes"].size() == 3);
    CHECK(web["volumes"][0]["source"] == "./src");
    CHECK(web["volumes"][1] == "./conf:/etc/app:ro");
    CHECK(web["volumes"][2] == "/cache");
    REQUIRE(web["secrets"].size() == 3);
    CHECK(web["secrets"][0]["source"] == "token2");
    CHECK(web["secrets"][2] == "key");
    REQUIRE(web["configs"].size() == 1);
    CHECK(web["configs"][0]["source"] == "nginx2");
}

TEST_CASE("merge: a null overlay keeps the base value; logging with another driver is replaced") {
    Json m = merged(R"({"services":{"web":{"environment":{"A":"1"},"logging":{"driver":"json-file","options":{"max-size":"1m"}},
                        "x":{"logging":{"driver":"syslog","options":{"a":"1"}}}}}})",
                    R"({"services":{"web":{"environment":null,"logging":{"driver":"local"}}}})");
    CHECK(m["services"]["web"]["environment"] == Json::parse(R"({"A":"1"})"));
    CHECK(m["services"]["web"]["logging"] == Json::parse(R"({"driver":"local"})"));

    Json same = merged(R"({"services":{"web":{"logging":{"driver":"json-file","options":{"max-size":"1m"}}}}})",
                       R"({"services":{"web":{"logging":{"options":{"max-file":"3"}}}}})");
    CHECK(same["services"]["web"]["logging"]["options"] == Json::parse(R"({"max-size":"1m","max-file":"3"})"));
}

TEST_CASE("merge: !reset removes the base value, !override replaces it") {
    Document base = doc("a.yaml", R"({"services":{"web":{"ports":["80:80"],"environment":{"A":"1","B":"2"},
                                       "cap_add":["NET_ADMIN"],"labels":{"x":"1"}}}})");
    Document overlay = doc("b.yaml", R"({"services":{"web":{"ports":[],"environment":{"B":null},
                                          "cap_add":["CHOWN"],"labels":{"y":"2"}},"new":{"image":"x","dns":null}}})");
    overlay.tags["services.web.ports"] = MergeTag::Reset;
    overlay.tags["services.web.environment.B"] = MergeTag::Reset;
    overlay.tags["services.web.cap_add"] = MergeTag::Override;
    overlay.tags["services.web.labels"] = MergeTag::Override;
    overlay.tags["services.new.dns"] = MergeTag::Reset;
    merge_documents(base, std::move(overlay));
    const Json& web = base.value["services"]["web"];
    CHECK_FALSE(web.contains("ports"));
    CHECK(web["environment"] == Json::parse(R"({"A":"1"})"));
    CHECK(web["cap_add"] == Json::parse(R"(["CHOWN"])"));
    CHECK(web["labels"] == Json::parse(R"({"y":"2"})"));
    CHECK(base.value["services"]["new"] == Json::parse(R"({"image":"x"})"));
}

TEST_CASE("merge: !reset in the first file means absent") {
    Document d = doc("a.yaml", R"({"services":{"web":{"image":"x","ports":["1:1"],"dns":["a","b"]}}})");
    d.tags["services.web.ports"] = MergeTag::Reset;
    d.tags["services.web.dns[0]"] = MergeTag::Reset;
    drop_reset_values(d);
    CHECK(d.value == Json::parse(R"({"services":{"web":{"image":"x","dns":["b"]}}})"));
}

TEST_CASE("merge: marks of merged values point at the file that wrote them") {
    auto a = std::make_shared<const std::string>("a.yaml");
    auto b = std::make_shared<const std::string>("b.yaml");
    Document base = doc("a.yaml", R"({"services":{"web":{"image":"x","ports":["80:80"],"environment":["A=1"]}}})");
    base.marks.set("services.web.image", Mark{a, 3, 12});
    base.marks.set("services.web.ports[0]", Mark{a, 5, 9});
    base.marks.set("services.web.environment[0]", Mark{a, 7, 9});
    Document overlay = doc("b.yaml", R"({"services":{"web":{"image":"y","ports":["81:81"],"environment":{"B":"2"}}}})");
    overlay.marks.set("services.web.image", Mark{b, 3, 12});
    overlay.marks.set("services.web.ports[0]", Mark{b, 6, 9});
    overlay.marks.set("services.web.environment.B", Mark{b, 8, 10});
    merge_documents(base, std::move(overlay));
    CHECK(base.marks.find("services.web.image").str() == "b.yaml:3:12");
    CHECK(base.marks.find("services.web.ports[0]").str() == "a.yaml:5:9");
    CHECK(base.marks.find("services.web.ports[1]").str() == "b.yaml:6:9");
    CHECK(base.marks.find("services.web.environment.A").str() == "a.yaml:7:9");
    CHECK(base.marks.find("services.web.environment.B").str() == "b.yaml:8:10");
}

TEST_CASE("merge: top-level resources and x- extensions merge as mappings") {
    Json m = merged(R"({"networks":{"back":{"driver":"bridge","labels":["a=1"]}},"x-common":{"a":1},"volumes":{"data":{}}})",
                    R"({"networks":{"back":{"internal":true,"labels":{"b":"2"}}},"x-common":{"b":2},"volumes":{"logs":null}})");
    CHECK(m["networks"]["back"] == Json::parse(R"({"driver":"bridge","internal":true,"labels":{"a":"1","b":"2"}})"));
    CHECK(m["x-common"] == Json::parse(R"({"a":1,"b":2})"));
    CHECK(m["volumes"].contains("data"));
    CHECK(m["volumes"].contains("logs"));
}
