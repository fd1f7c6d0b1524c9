// Tests engine/runtime/capabilities.cpp: capability names, numbers and masks.
#include <catch2/catch.hpp>

#include "engine/runtime/capabilities.h"

using namespace hako::runtime;

TEST_CASE("capabilities: names are accepted with or without CAP_, in any case") {
    CHECK(capability_number("CAP_CHOWN") == 0);
    CHECK(capability_number("net_admin") == 12);
    CHECK(capability_number("SYS_ADMIN") == 21);
    CHECK(capability_number("CAP_CHECKPOINT_RESTORE") == 40);
    CHECK_FALSE(capability_number("CAP_FLY").has_value());
    CHECK(capability_name(27) == "CAP_MKNOD");
}

TEST_CASE("capabilities: a mask has one bit per name and refuses unknown names") {
    auto mask = capability_mask({"CAP_CHOWN", "CAP_KILL", "NET_RAW"});
    REQUIRE(mask.ok());
    CHECK(*mask == ((1ull << 0) | (1ull << 5) | (1ull << 13)));
    auto bad = capability_mask({"CAP_CHOWN", "CAP_FLY"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "unknown capability \"CAP_FLY\"");
}

TEST_CASE("capabilities: the full list covers CAP_CHOWN to CAP_CHECKPOINT_RESTORE") {
    auto all = all_capability_names();
    REQUIRE(all.size() == 41);
    CHECK(all.front() == "CAP_CHOWN");
    CHECK(all.back() == "CAP_CHECKPOINT_RESTORE");
}
