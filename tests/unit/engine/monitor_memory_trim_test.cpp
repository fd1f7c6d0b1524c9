// Tests of engine/monitor/memory_trim.cpp: which pages a monitor lets go.
#include <catch2/catch.hpp>

#include "engine/monitor/memory_trim.h"

using namespace hako::monitor;

TEST_CASE("memory trim: only mappings of files are candidates", "[monitor]") {
    std::string maps =
        "55d0c0000000-55d0c0100000 r--p 00000000 fe:00 123    /usr/bin/hako\n"
        "55d0c0100000-55d0c0900000 r-xp 00100000 fe:00 123    /usr/bin/hako\n"
        "55d0c1000000-55d0c1100000 rw-p 00000000 00:00 0      [heap]\n"
        "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
        "7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0      [vdso]\n";
    auto mappings = file_mappings(maps);
    REQUIRE(mappings.size() == 2);
    CHECK(mappings[0].start == 0x55d0c0000000UL);
    CHECK(mappings[1].end == 0x55d0c0900000UL);
    CHECK(file_mappings("garbage\n\n12-\n12-10 r-xp 0 0 0 /x\n").empty());
}

TEST_CASE("memory trim: a written (private) page is never let go", "[monitor]") {
    uint64_t present = 1ULL << 63, file = 1ULL << 61;
    CHECK(is_resident_file_page(present | file | 1234));
    CHECK_FALSE(is_resident_file_page(present | 1234));  // anonymous: a relocation, a global
    CHECK_FALSE(is_resident_file_page(file));            // not resident
}

TEST_CASE("memory trim: the process runs on after letting its file pages go", "[monitor]") {
    static int written = 41;  // a private page of this binary's data
    ++written;
    CHECK(release_setup_memory() > 0);
    CHECK(written == 42);
    CHECK(file_mappings("").empty());  // code faulted back in from the page cache
}
