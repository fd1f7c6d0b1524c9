// This file implements write_dot: the project graph as Graphviz DOT through
// boost::write_graphviz, with a node shape per vertex kind and edge labels that
// say why a service needs another.
#include <boost/graph/graphviz.hpp>
#include <boost/property_map/function_property_map.hpp>
#include <ostream>
#include <sstream>

#include "src/graph/graph.h"

namespace hako::graph {

namespace {

// DOT string literal: everything quoted, so names never clash with DOT keywords.
std::string quote(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

const char* shape(VertexKind kind) {
    switch (kind) {
        case VertexKind::Service: return "box";
        case VertexKind::Network: return "ellipse";
        case VertexKind::Volume: return "cylinder";
    }
    return "box";
}

struct VertexWriter {
    const Graph* graph;
    void operator()(std::ostream& out, VertexId v) const {
        const Vertex& vertex = (*graph)[v];
        out << "[label=" << quote(vertex.name) << ", shape=" << shape(vertex.kind) << "]";
    }
};

struct EdgeWriter {
    const Graph* graph;
    void operator()(std::ostream& out, Graph::edge_descriptor e) const {
        const Edge& edge = (*graph)[e];
        switch (edge.kind) {
            case EdgeKind::Network:
            case EdgeKind::Volume: out << "[style=dashed]"; return;
            case EdgeKind::DependsOn:
                out << "[label=" << quote(edge.condition) << (edge.required ? "" : ", style=dotted") << "]";
                return;
            default: out << "[label=" << quote(to_string(edge.kind)) << "]"; return;
        }
    }
};

struct GraphWriter {
    void operator()(std::ostream& out) const { out << "rankdir=LR;\n"; }
};

}  // namespace

void write_dot(std::ostream& out, const ProjectGraph& project_graph) {
    const Graph& g = project_graph.graph();
    // Node ids name the kind too: a network and a service may share a name.
    auto ids = boost::make_function_property_map<VertexId, std::string>(
        [&g](VertexId v) { return std::string(to_string(g[v].kind)) + ":" + g[v].name; });
    boost::write_graphviz(out, g, VertexWriter{&g}, EdgeWriter{&g}, GraphWriter{}, ids);
}

std::string to_dot(const ProjectGraph& graph) {
    std::ostringstream out;
    write_dot(out, graph);
    return out.str();
}

}  // namespace hako::graph
