// This file declares the project graph: services, networks and volumes as
// vertices of a Boost.Graph, with edges from depends_on, links, shared
// namespaces, volumes_from and network/volume use.
#pragma once

#include <string>
#include <vector>

#include "src/project/project.h"

namespace hako::graph {

enum class VertexKind { Service, Network, Volume };

struct Vertex {
    VertexKind kind;
    std::string name;
};

}  // namespace hako::graph
