// Tests for engine/sys/shared_library: errors that name the library or the symbol,
// and entry points that work once resolved.
#include <catch2/catch.hpp>

#include <cstring>

#include "engine/sys/shared_library.h"

using namespace hako;

TEST_CASE("shared library: a missing library's error carries its description") {
    auto lib = sys::SharedLibrary::open("libhako-absent.so.7", "libhako-absent (Debian package hako-absent7)");
    REQUIRE_FALSE(lib.ok());
    CHECK_THAT(lib.error().message,
               Catch::StartsWith("cannot load libhako-absent (Debian package hako-absent7): ") &&
                   Catch::Contains("libhako-absent.so.7"));
}

TEST_CASE("shared library: resolved symbols are callable; the first missing one is named") {
    auto lib = sys::SharedLibrary::open("libc.so.6", "libc");
    REQUIRE(lib.ok());
    size_t (*length)(const char*) = nullptr;
    lib->resolve("strlen", length);
    REQUIRE(lib->check().ok());
    REQUIRE(length != nullptr);
    CHECK(length("hako") == 4);

    void (*absent)() = nullptr;
    void (*after)() = nullptr;
    lib->resolve("hako_no_such_symbol", absent).resolve("abort", after);
    CHECK(absent == nullptr);
    CHECK(after == nullptr);  // nothing is resolved after a miss
    REQUIRE_FALSE(lib->check().ok());
    CHECK(lib->check().error().message == "libc.so.6 lacks hako_no_such_symbol");
}
