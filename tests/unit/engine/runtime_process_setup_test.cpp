// Tests engine/runtime/process_setup.cpp: what a container process reads of itself.
#include <catch2/catch.hpp>
#include <signal.h>

#include "engine/runtime/process_setup.h"

using namespace hako::runtime;

TEST_CASE("process status: SigIgn, SigCgt and CapBnd are read as hex masks") {
    const char* text =
        "Name:\tcat\nSigQ:\t0/63429\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
        "SigBlk:\t0000000000010000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000180004a02\n"
        "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
        "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";
    auto status = parse_process_status(text);
    CHECK(status.signals_ignored == 0x1000);  // SIGPIPE (13)
    CHECK(status.signals_caught == 0x180004a02ull);
    CHECK(status.capability_bounding == 0x1ffffffffffull);
    auto empty = parse_process_status("Name:\tx\n");
    CHECK(empty.signals_ignored == 0);
    CHECK(empty.capability_bounding == 0);
}

TEST_CASE("process status: this process's own status names a signal it ignores") {
    struct sigaction old {};
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    REQUIRE(sigaction(SIGUSR2, &ignore, &old) == 0);
    auto status = read_process_status();
    sigaction(SIGUSR2, &old, nullptr);
    REQUIRE(status.ok());
    CHECK((status->signals_ignored & (1ull << (SIGUSR2 - 1))) != 0);
    CHECK(status->capability_bounding != 0);
}
