// Tests engine/sys/huge_heap.c: sbrk on a region of 2 MiB pages (this test binary
// links it, as hako does).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

namespace {

// The VmFlags of the mapping that holds `address` ("" if none).
std::string vm_flags_at(const void* address) {
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    const auto at = reinterpret_cast<uintptr_t>(address);
    while (std::getline(smaps, line)) {
        unsigned long from = 0, to = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &from, &to) == 2 && line.find(':') > line.find(' ')) {
            inside = at >= from && at < to;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) return line;
    }
    return "";
}

}  // namespace

TEST_CASE("huge heap: sbrk grows and shrinks one contiguous region") {
    char* base = static_cast<char*>(sbrk(0));
    REQUIRE(base != reinterpret_cast<char*>(-1));
    char* grown = static_cast<char*>(sbrk(3 << 20));
    REQUIRE(grown == base);
    CHECK(static_cast<char*>(sbrk(0)) == base + (3 << 20));
    std::memset(base, 0x5a, 3 << 20);  // all of it is memory
    CHECK(base[(3 << 20) - 1] == 0x5a);
    CHECK(static_cast<char*>(sbrk(-(2 << 20))) == base + (3 << 20));
    CHECK(static_cast<char*>(sbrk(0)) == base + (1 << 20));
    CHECK(base[(1 << 20) - 1] == 0x5a);  // what stays keeps its contents
    CHECK(static_cast<char*>(sbrk(-(1 << 20))) == base + (1 << 20));
    CHECK(sbrk(0) == base);
}

TEST_CASE("huge heap: the region asks for transparent huge pages") {
    char* base = static_cast<char*>(sbrk(0));
    REQUIRE(static_cast<char*>(sbrk(4096)) == base);
    std::string flags = vm_flags_at(base);
    INFO(flags);
    // "hg": MADV_HUGEPAGE (the region, not the program break's [heap]).
    CHECK(flags.find(" hg") != std::string::npos);
    sbrk(-4096);
}

TEST_CASE("huge heap: a shrink below the region's start is refused") {
    char* base = static_cast<char*>(sbrk(0));
    errno = 0;
    CHECK(sbrk(-(static_cast<intptr_t>(2) << 40)) == reinterpret_cast<void*>(-1));
    CHECK(errno != 0);
    CHECK(sbrk(0) == base);
}
