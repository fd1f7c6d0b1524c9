// The Catch2 main for hako's unit tests (tests/unit mirrors src/ and engine/).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
