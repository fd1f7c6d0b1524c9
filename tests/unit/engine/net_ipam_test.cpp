// Tests for engine/net/ipam: address and subnet parsing, overlaps, pools and allocation.
#include <catch2/catch.hpp>
#include <sys/socket.h>

#include "engine/net/ipam.h"

using namespace hako;
using namespace hako::net;

TEST_CASE("ipam: subnets parse, print and refuse host bits or bad prefixes") {
    auto s = parse_subnet("10.201.3.0/24");
    REQUIRE(s.ok());
    CHECK(s->str() == "10.201.3.0/24");
    CHECK(s->size() == 256);
    auto bits = parse_subnet("10.201.3.5/24");
    REQUIRE_FALSE(bits.ok());
    CHECK_THAT(bits.error().message, Catch::Contains("host bits") && Catch::Contains("10.201.3.0/24"));
    CHECK_FALSE(parse_subnet("10.201.3.0").ok());
    CHECK_FALSE(parse_subnet("10.201.3.0/33").ok());
    CHECK_FALSE(parse_subnet("10.201.300.0/24").ok());
    CHECK_FALSE(parse_subnet("10.201.3.0/x").ok());
    auto v6 = parse_subnet("fd00:1::/64");
    REQUIRE(v6.ok());
    CHECK(v6->base.family == AF_INET6);
    CHECK(v6->str() == "fd00:1::/64");
}

TEST_CASE("ipam: contains and overlaps") {
    auto a = *parse_subnet("10.201.0.0/16");
    auto b = *parse_subnet("10.201.5.0/24");
    auto c = *parse_subnet("10.202.0.0/24");
    CHECK(a.overlaps(b));
    CHECK(b.overlaps(a));
    CHECK_FALSE(a.overlaps(c));
    CHECK(b.contains(*parse_address("10.201.5.255")));
    CHECK_FALSE(b.contains(*parse_address("10.201.6.0")));
    CHECK_FALSE(b.contains(*parse_address("fd00::1")));
}

TEST_CASE("ipam: at() walks the subnet and stops at its end") {
    auto s = *parse_subnet("10.201.1.0/30");
    CHECK(s.at(1)->str() == "10.201.1.1");
    CHECK(s.at(3)->str() == "10.201.1.3");
    CHECK_FALSE(s.at(4).has_value());
    auto wide = *parse_subnet("10.201.0.0/16");
    CHECK(wide.at(256 + 7)->str() == "10.201.1.7");
    CHECK(offset_in(wide, *parse_address("10.201.1.7")) == 263);
}

TEST_CASE("ipam: the default pool skips what the host routes and what networks hold") {
    std::vector<Subnet> taken = {*parse_subnet("192.0.2.0/24"), *parse_subnet("172.17.0.0/16"),
                                 *parse_subnet("172.18.0.0/16")};
    auto chosen = choose_subnet(default_pools(), taken);
    REQUIRE(chosen.ok());
    CHECK(chosen->str() == "172.19.0.0/16");
    std::vector<Pool> pools = {{"10.201.128.0/23", 24}};
    auto small = choose_subnet(pools, {*parse_subnet("10.201.128.0/25")});
    REQUIRE(small.ok());
    CHECK(small->str() == "10.201.129.0/24");
    auto full = choose_subnet(pools, {*parse_subnet("10.201.128.0/23")});
    CHECK_FALSE(full.ok());
}

TEST_CASE("ipam: allocation takes the lowest free host address, inside ip_range when given") {
    auto s = *parse_subnet("10.201.2.0/24");
    std::set<Address> taken = {*parse_address("10.201.2.1")};
    CHECK(allocate_address(s, std::nullopt, taken)->str() == "10.201.2.2");
    taken.insert(*parse_address("10.201.2.2"));
    CHECK(allocate_address(s, std::nullopt, taken)->str() == "10.201.2.3");
    auto range = *parse_subnet("10.201.2.128/25");
    CHECK(allocate_address(s, range, taken)->str() == "10.201.2.128");
    // The broadcast address is never given out.
    auto tiny = *parse_subnet("10.201.2.0/30");
    std::set<Address> busy = {*parse_address("10.201.2.1"), *parse_address("10.201.2.2")};
    auto none = allocate_address(tiny, std::nullopt, busy);
    REQUIRE_FALSE(none.ok());
    CHECK_THAT(none.error().message, Catch::Contains("no available IP addresses"));
}
