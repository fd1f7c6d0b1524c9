// Tests for engine/net/nat: the nft table hako writes for a state root.
#include <catch2/catch.hpp>

#include "engine/net/nat.h"

using namespace hako;
using namespace hako::net;

namespace {

NetworkRecord network(const std::string& id, const std::string& subnet, bool internal) {
    NetworkRecord n;
    n.id = id;
    n.name = "n" + id;
    n.driver = "bridge";
    n.bridge = "hk-" + id;
    n.internal = internal;
    n.subnets = {{subnet, "", ""}};
    return n;
}

// An endpoint's elements as nft commands: which map each port goes to, readably.
std::string render_port_elements(const std::string& table, const Endpoint& endpoint, PortChange change) {
    std::string s;
    for (const auto& e : port_elements(endpoint))
        s += (change == PortChange::Add ? "add element inet " : "delete element inet ") + table + " " + e.map +
             " { " + element_text(e, change == PortChange::Add) + " }\n";
    return s;
}

}  // namespace

TEST_CASE("nat: table names differ per root and fit nft's limits") {
    std::string a = nat_table_name("/tmp/root-a"), b = nat_table_name("/tmp/root-b");
    CHECK(a != b);
    CHECK(a.rfind("hako_", 0) == 0);
    CHECK(a.size() == 15);
    CHECK(nat_table_name("/tmp/root-a") == a);
}

TEST_CASE("nat: every bridge network's bridge is in the sets, the internal ones apart; other drivers are not") {
    auto outbound = network("aaa", "10.201.1.0/24", false);
    auto internal = network("bbb", "10.201.2.0/24", true);
    NetworkRecord host;
    host.id = "ccc";
    host.driver = "host";
    auto e = nat_elements({outbound, internal, host});
    CHECK(e.bridges == std::vector<std::string>{"hk-aaa", "hk-bbb"});
    CHECK(e.internal == std::vector<std::string>{"hk-bbb"});
    CHECK(nat_elements({}).bridges.empty());
}

TEST_CASE("nat: IPv6 ports go to the container's IPv6 address; an IPv4-only container gets no IPv6 element") {
    Endpoint dual;
    dual.ipv4 = "10.213.1.2";
    dual.ipv6 = "fd00:213:1::2";
    dual.ports = {{"", 8080, 80, "tcp"}, {"::", 8081, 81, "tcp"}, {"fd00::2", 8082, 82, "udp"}, {"0.0.0.0", 8083, 83, "tcp"}};
    std::string add = render_port_elements("hako_x", dual, PortChange::Add);
    CHECK(add ==
          "add element inet hako_x ports4_any { tcp . 8080 : 10.213.1.2 . 80 }\n"
          "add element inet hako_x ports6_any { tcp . 8080 : fd00:213:1::2 . 80 }\n"
          "add element inet hako_x ports6_any { tcp . 8081 : fd00:213:1::2 . 81 }\n"
          "add element inet hako_x ports6_address { fd00::2 . udp . 8082 : fd00:213:1::2 . 82 }\n"
          "add element inet hako_x ports4_any { tcp . 8083 : 10.213.1.2 . 83 }\n");
    CHECK(render_port_elements("hako_x", dual, PortChange::Delete).find("delete element inet hako_x ports6_any { tcp . 8081 }\n") !=
          std::string::npos);
    Endpoint v4only = dual;
    v4only.ipv6 = "";
    CHECK(render_port_elements("hako_x", v4only, PortChange::Add).find("ports6") == std::string::npos);
    CHECK(render_port_elements("hako_x", Endpoint{}, PortChange::Add).empty());
}

TEST_CASE("nat: element keys and data are nft's binary concatenations, each part padded to 4 bytes") {
    Endpoint e;
    e.ipv4 = "10.213.0.2";
    e.ipv6 = "fd00:213::2";
    e.ports = {{"127.0.0.1", 9999, 80, "tcp"}, {"", 53, 5353, "udp"}};
    auto elements = port_elements(e);
    REQUIRE(elements.size() == 3);
    CHECK(elements[0].map == "ports4_address");
    CHECK(element_key(elements[0]) == std::vector<uint8_t>{127, 0, 0, 1, 6, 0, 0, 0, 0x27, 0x0f, 0, 0});
    CHECK(element_data(elements[0]) == std::vector<uint8_t>{10, 213, 0, 2, 0, 80, 0, 0});
    CHECK(elements[1].map == "ports4_any");
    CHECK(element_key(elements[1]) == std::vector<uint8_t>{17, 0, 0, 0, 0, 53, 0, 0});
    CHECK(elements[2].map == "ports6_any");
    auto data6 = element_data(elements[2]);
    REQUIRE(data6.size() == 20);
    CHECK(data6[0] == 0xfd);
    CHECK(data6[15] == 2);
    CHECK(data6[16] == 0x14);
    CHECK(data6[17] == 0xe9);
}
