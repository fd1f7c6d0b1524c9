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

}  // namespace

TEST_CASE("nat: table names differ per root and fit nft's limits") {
    std::string a = nat_table_name("/tmp/root-a"), b = nat_table_name("/tmp/root-b");
    CHECK(a != b);
    CHECK(a.rfind("hako_", 0) == 0);
    CHECK(a.size() == 15);
    CHECK(nat_table_name("/tmp/root-a") == a);
}

TEST_CASE("nat: isolation, masquerade only for non-internal networks, DNAT per published port") {
    auto outbound = network("aaa", "10.201.1.0/24", false);
    auto internal = network("bbb", "10.201.2.0/24", true);
    Endpoint e;
    e.container_id = "c1";
    e.ipv4 = "10.201.1.2";
    e.ports = {{"127.0.0.1", 8080, 80, "tcp"}, {"", 5353, 53, "udp"}};
    std::string t = render_nat_table("hako_x", {outbound, internal}, {{"aaa", {e}}});
    CHECK_THAT(t, Catch::StartsWith("table inet hako_x {}\ndelete table inet hako_x\n"));
    CHECK_THAT(t, Catch::Contains("iifname \"hk-aaa\" oifname != \"hk-aaa\" oifname \"hk-*\" drop"));
    CHECK_THAT(t, Catch::Contains("ip saddr 10.201.1.0/24 oifname != \"hk-aaa\" masquerade"));
    CHECK_THAT(t, !Catch::Contains("ip saddr 10.201.2.0/24 oifname != \"hk-bbb\" masquerade"));
    CHECK_THAT(t, Catch::Contains("iifname \"hk-bbb\" oifname != \"hk-bbb\" drop"));
    CHECK_THAT(t, Catch::Contains("oifname \"hk-bbb\" iifname != \"hk-bbb\" drop"));
    CHECK_THAT(t, Catch::Contains("ip daddr 127.0.0.1 tcp dport 8080 dnat ip to 10.201.1.2:80"));
    CHECK_THAT(t, Catch::Contains("meta nfproto ipv4 udp dport 5353 dnat ip to 10.201.1.2:53"));
    CHECK_THAT(t, Catch::Contains("oifname \"hk-aaa\" ip saddr 127.0.0.0/8 masquerade"));
}
