// Tests for engine/net/hosts_files: the container's /etc/hosts and /etc/resolv.conf.
#include <catch2/catch.hpp>

#include "engine/net/hosts_files.h"

using namespace hako;
using namespace hako::net;

TEST_CASE("hosts files: /etc/hosts has localhost, extra hosts and the container's own names") {
    auto extra = parse_extra_hosts({"db:10.201.9.9", "gw:host-gateway", "v6=[fd00::1]"}, "10.201.9.1");
    REQUIRE(extra.ok());
    std::string hosts = render_hosts(*extra, {"10.201.9.2"}, "web", "example.org");
    CHECK_THAT(hosts, Catch::StartsWith("127.0.0.1\tlocalhost\n"));
    CHECK_THAT(hosts, Catch::Contains("10.201.9.9\tdb\n"));
    CHECK_THAT(hosts, Catch::Contains("10.201.9.1\tgw\n"));
    CHECK_THAT(hosts, Catch::Contains("fd00::1\tv6\n"));
    CHECK_THAT(hosts, Catch::EndsWith("10.201.9.2\tweb.example.org web\n"));
}

TEST_CASE("hosts files: a bad extra host is an error that quotes it") {
    for (const char* bad : {"nocolon", "name:", ":1.2.3.4", "name:not-an-ip"}) {
        auto r = parse_extra_hosts({bad}, "10.0.0.1");
        INFO(bad);
        REQUIRE_FALSE(r.ok());
        CHECK_THAT(r.error().message, Catch::Contains(bad));
    }
    CHECK_FALSE(parse_extra_hosts({"gw:host-gateway"}, "").ok());
}

TEST_CASE("hosts files: resolv.conf for a bridge and from the host") {
    CHECK(render_resolv_conf({"10.201.9.1"}, {"a.example", "b.example"}, {"ndots:2"}) ==
          "nameserver 10.201.9.1\nsearch a.example b.example\noptions ndots:2\n");
    std::string host = "# generated\nnameserver 192.0.2.1\nsearch corp.example\noptions edns0\n";
    CHECK(host_resolv_conf(host, {}, {}, {}) == host);
    std::string replaced = host_resolv_conf(host, {"9.9.9.9"}, {"x.example"}, {});
    CHECK(replaced == "nameserver 9.9.9.9\n# generated\noptions edns0\nsearch x.example\n");
}
