// Tests sys::now_rfc3339, the one clock of every record (images, containers, the runtime's
// state): docker's RFC 3339 UTC timestamp with nanoseconds, computed without gmtime_r.
#include <catch2/catch.hpp>

#include <ctime>
#include <string>

#include "engine/sys/clock.h"

namespace {
std::string utc_seconds(time_t t) {
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}
}  // namespace

TEST_CASE("now_rfc3339 is the UTC time with nanoseconds, as gmtime_r gives it", "[sys][clock]") {
    time_t before = ::time(nullptr);
    std::string now = hako::sys::now_rfc3339();
    time_t after = ::time(nullptr);
    REQUIRE(now.size() == 30);
    CHECK(now[19] == '.');
    CHECK(now.back() == 'Z');
    for (size_t i = 20; i < 29; ++i) CHECK((now[i] >= '0' && now[i] <= '9'));
    std::string seconds = now.substr(0, 19);
    CHECK((seconds == utc_seconds(before) || seconds == utc_seconds(after)));
    std::string again = hako::sys::now_rfc3339();  // a second call: seconds never go back
    time_t last = ::time(nullptr);
    REQUIRE(again.size() == 30);
    CHECK((again.substr(0, 19) == utc_seconds(after) || again.substr(0, 19) == utc_seconds(last)));
}
