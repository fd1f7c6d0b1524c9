// Tests the IPv6 forwarding record (engine/net/ipv6_forwarding.h): what is written is
// what is read back, old or partial records read with defaults, damage is an error.
#include <catch2/catch.hpp>

#include "engine/net/ipv6_forwarding.h"

using namespace hako::net;

TEST_CASE("ipv6 forwarding record: every field survives a write and a read", "[net]") {
    Ipv6ForwardingRecord record;
    record.holders = {"hako_0123456789", "hako_abcdefabcd"};
    record.was_forwarding = true;
    record.accept_ra_raised = {"default", "eth0"};
    record.forwarding_before = {"eth1"};
    auto read = ipv6_forwarding_from_json(ipv6_forwarding_to_json(record));
    REQUIRE(read.ok());
    CHECK(read->holders == record.holders);
    CHECK(read->was_forwarding);
    CHECK(read->accept_ra_raised == record.accept_ra_raised);
    CHECK(read->forwarding_before == record.forwarding_before);
}

TEST_CASE("ipv6 forwarding record: missing fields read as nothing changed", "[net]") {
    auto read = ipv6_forwarding_from_json(R"({"holders": ["hako_x"]})");
    REQUIRE(read.ok());
    CHECK(read->holders == std::vector<std::string>{"hako_x"});
    CHECK_FALSE(read->was_forwarding);
    CHECK(read->accept_ra_raised.empty());
}

TEST_CASE("ipv6 forwarding record: a damaged file is an error that says which record", "[net]") {
    auto read = ipv6_forwarding_from_json("{\"holders\": [");
    REQUIRE_FALSE(read.ok());
    CHECK(read.error().message.find("IPv6 forwarding record") != std::string::npos);
    CHECK_FALSE(ipv6_forwarding_from_json(R"({"holders": "not a list"})").ok());
}
