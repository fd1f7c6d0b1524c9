// Placeholder dispatcher, replaced by the CLI module.
#include "src/cli/app.h"

#include <cstdio>

namespace hako::cli {
int run(int, char**) {
    std::puts("hako");
    return 0;
}
}  // namespace hako::cli
