// Placeholder; the graph module replaces it.
#include "src/graph/graph.h"
