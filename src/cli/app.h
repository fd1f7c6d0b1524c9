// This file declares the command-line entry point: parse global flags, pick the
// verb, run it, and turn its Result into an exit status.
#pragma once

namespace hako::cli {
int run(int argc, char** argv);
}
