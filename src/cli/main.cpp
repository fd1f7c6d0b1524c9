// hako's entry point: hands argv to the command-line dispatcher.
#include "src/cli/app.h"

int main(int argc, char** argv) { return hako::cli::run(argc, argv); }
