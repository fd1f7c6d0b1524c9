// Tests for engine/net/ports: docker's -p syntax, checks of port entries, host reservation.
#include <catch2/catch.hpp>

#include <fstream>

#include "engine/net/ports.h"

using namespace hako;
using namespace hako::net;
using nlohmann::json;

TEST_CASE("ports: -p forms become port entries") {
    auto simple = parse_publish_spec("8080:80");
    REQUIRE(simple.ok());
    REQUIRE(simple->size() == 1);
    CHECK((*simple)[0] == json{{"target", 80}, {"published", "8080"}, {"host_ip", ""}, {"protocol", "tcp"}});
    auto full = parse_publish_spec("127.0.0.1:5353:53/udp");
    REQUIRE(full.ok());
    CHECK((*full)[0] == json{{"target", 53}, {"published", "5353"}, {"host_ip", "127.0.0.1"}, {"protocol", "udp"}});
    auto random = parse_publish_spec("127.0.0.1::80");
    REQUIRE(random.ok());
    CHECK((*random)[0]["published"] == "");
    CHECK(parse_publish_spec("80")->at(0)["published"] == "");
    auto ranges = parse_publish_spec("9000-9001:80-81");
    REQUIRE(ranges.ok());
    REQUIRE(ranges->size() == 2);
    CHECK((*ranges)[1] == json{{"target", 81}, {"published", "9001"}, {"host_ip", ""}, {"protocol", "tcp"}});
    auto pick = parse_publish_spec("9000-9010:80");
    REQUIRE(pick.ok());
    CHECK((*pick)[0]["published"] == "9000-9010");
}

TEST_CASE("ports: bad -p specs are errors that quote the spec") {
    for (const char* bad : {"0:80", "70000:80", "80/sctp", "x:80", "9000-9002:80-81", "1.2.3:80:80", "9001-9000:80"}) {
        auto r = parse_publish_spec(bad);
        INFO(bad);
        REQUIRE_FALSE(r.ok());
        CHECK_THAT(r.error().message, Catch::Contains(bad));
    }
}

TEST_CASE("ports: entries are checked and name their place") {
    json ports = json::array({{{"target", 80}, {"published", "8080-8081"}}, {{"target", "53"}, {"protocol", "udp"}}});
    auto parsed = parse_ports(ports);
    REQUIRE(parsed.ok());
    CHECK((*parsed)[0].published_low == 8080);
    CHECK((*parsed)[0].published_high == 8081);
    CHECK((*parsed)[1].target == 53);
    CHECK((*parsed)[1].published_low == 0);
    auto out_of_range = parse_ports(json::array({{{"target", 80}}, {{"target", 70000}}}));
    REQUIRE_FALSE(out_of_range.ok());
    CHECK_THAT(out_of_range.error().message, Catch::Contains("ports[1]") && Catch::Contains("out of range"));
    CHECK_FALSE(parse_ports(json::array({{{"target", 80}, {"protocol", "sctp"}}})).ok());
    CHECK_FALSE(parse_ports(json::array({{{"target", 80}, {"host_ip", "nope"}}})).ok());
}

TEST_CASE("ports: a random port is the kernel's, a port in use is named") {
    auto first = reserve_ports({PortRequest{80, 0, 0, "127.0.0.1", "tcp"}});
    REQUIRE(first.ok());
    int port = first->ports[0].host_port;
    CHECK(port > 0);
    auto again = reserve_ports({PortRequest{80, port, port, "127.0.0.1", "tcp"}});
    REQUIRE_FALSE(again.ok());
    CHECK_THAT(again.error().message, Catch::Contains("127.0.0.1:" + std::to_string(port)) &&
                                          Catch::Contains("already allocated"));
    // A range moves on to the next free port.
    auto ranged = reserve_ports({PortRequest{80, port, port + 1, "127.0.0.1", "tcp"}});
    if (ranged.ok()) CHECK(ranged->ports[0].host_port == port + 1);
    // UDP is a separate space.
    CHECK(reserve_ports({PortRequest{53, port, port, "127.0.0.1", "udp"}}).ok());
}

TEST_CASE("ports: IPv6 host addresses are accepted, and need an IPv6 address on the container's side") {
    CHECK(parse_ports(json::array({{{"target", 80}, {"host_ip", "::1"}}})).ok());
    auto refused = reserve_ports({PortRequest{80, 0, 0, "::1", "tcp"}}, {true, false});
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message, Catch::Contains("ports[0]") && Catch::Contains("::1") &&
                                            Catch::Contains("IPv6"));
}

TEST_CASE("ports: every address with IPv6 binds 0.0.0.0 and [::] on the same port") {
    std::ifstream disabled("/proc/sys/net/ipv6/conf/all/disable_ipv6");
    int off = 1;
    if (!(disabled >> off) || off != 0) return;  // no IPv6 on this host
    auto both = reserve_ports({PortRequest{80, 0, 0, "", "tcp"}}, {true, true});
    REQUIRE(both.ok());
    REQUIRE(both->ports.size() == 1);
    CHECK(both->sockets.size() == 2);
    int port = both->ports[0].host_port;
    auto v6 = reserve_ports({PortRequest{80, port, port, "::", "tcp"}}, {true, true});
    REQUIRE_FALSE(v6.ok());
    CHECK_THAT(v6.error().message, Catch::Contains("[::]:" + std::to_string(port)));
}
