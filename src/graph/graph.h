// This file declares the project graph: services, networks and volumes as
// vertices of a Boost.Graph, with edges from depends_on, links, shared
// namespaces, volumes_from and network/volume use; and what the orchestrator
// reads from it: start order, stop order and the levels that can run in parallel.
#pragma once

#include <boost/graph/adjacency_list.hpp>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/sys/error.h"
#include "src/project/project.h"

namespace hako::graph {

enum class VertexKind { Service, Network, Volume };

struct Vertex {
    VertexKind kind = VertexKind::Service;
    std::string name;
};

// Why one vertex needs another. Every edge points from the user to what it
// uses: service → the service it depends on, service → network, service → volume.
enum class EdgeKind {
    DependsOn,    // depends_on (condition, required, restart)
    Link,         // links
    NetworkMode,  // network_mode: service:X
    VolumesFrom,  // volumes_from: X
    Ipc,          // ipc: service:X
    Pid,          // pid: service:X
    Network,      // the service joins a network
    Volume,       // the service mounts a named volume
};

struct Edge {
    EdgeKind kind = EdgeKind::DependsOn;
    std::string condition;  // depends_on only: service_started, service_healthy, …
    bool required = true;   // depends_on only
    bool restart = false;   // depends_on only
    std::string path;       // model path of the entry, e.g. "services.web.depends_on.db"
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Vertex, Edge>;
using VertexId = Graph::vertex_descriptor;

const char* to_string(VertexKind kind);
const char* to_string(EdgeKind kind);

class ProjectGraph {
public:
    const Graph& graph() const { return *graph_; }
    std::optional<VertexId> find(VertexKind kind, const std::string& name) const;

    // Services in the order they can be started: each after everything it
    // depends on; the concatenation of levels().
    std::vector<std::string> start_order() const;
    // start_order() reversed: dependents stop before what they depend on.
    std::vector<std::string> stop_order() const;
    // levels()[0] depends on no service; levels()[n] only on services in
    // earlier levels. Each level is sorted by name; its services may start in
    // parallel.
    const std::vector<std::vector<std::string>>& levels() const { return levels_; }

    // The services `service` needs started first (direct, sorted, unique).
    std::vector<std::string> dependencies(const std::string& service) const;
    // The services that need `service` (direct, sorted, unique).
    std::vector<std::string> dependents(const std::string& service) const;
    // The depends_on / link / namespace edges leaving `service`, for the
    // orchestrator's wait conditions.
    std::vector<Edge> service_edges(const std::string& service) const;

private:
    friend class GraphBuilder;
    // Held by pointer: boost::adjacency_list has no move constructor, so each
    // move of a ProjectGraph (out of the builder, into a Result) copied it.
    std::unique_ptr<Graph> graph_ = std::make_unique<Graph>();
    std::map<std::pair<VertexKind, std::string>, VertexId> index_;
    std::vector<std::vector<std::string>> levels_;
};

// Builds the graph of a loaded project. A dependency on a service that does not
// exist (and is required) or a cycle among services is an error naming the
// place it was written: "compose.yaml:9:9: services.c.depends_on.a: dependency
// cycle: a -> b -> c -> a".
Result<ProjectGraph> build_graph(const project::Project& project);

// Writes the graph as Graphviz DOT (boost::write_graphviz): services as boxes,
// networks as ellipses, volumes as cylinders; dependency edges labelled by
// their condition or kind, network and volume use dashed.
void write_dot(std::ostream& out, const ProjectGraph& graph);
std::string to_dot(const ProjectGraph& graph);

}  // namespace hako::graph
