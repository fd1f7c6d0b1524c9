// This file implements build_graph: it reads the normalized project model into
// a Boost.Graph, finds dependency cycles with a depth-first search, and derives
// start order, stop order and parallel levels from a topological sort.
#include "src/graph/graph.h"

#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/topological_sort.hpp>
#include <algorithm>
#include <set>
#include <string_view>

namespace hako::graph {

using project::Json;
using project::path_index;
using project::path_join;

const char* to_string(VertexKind kind) {
    switch (kind) {
        case VertexKind::Service: return "service";
        case VertexKind::Network: return "network";
        case VertexKind::Volume: return "volume";
    }
    return "?";
}

const char* to_string(EdgeKind kind) {
    switch (kind) {
        case EdgeKind::DependsOn: return "depends_on";
        case EdgeKind::Link: return "links";
        case EdgeKind::NetworkMode: return "network_mode";
        case EdgeKind::VolumesFrom: return "volumes_from";
        case EdgeKind::Ipc: return "ipc";
        case EdgeKind::Pid: return "pid";
        case EdgeKind::Network: return "network";
        case EdgeKind::Volume: return "volume";
    }
    return "?";
}

namespace {

// Keeps only the edges between two services: the ones that order startup.
struct ServiceEdges {
    const Graph* graph = nullptr;
    bool operator()(Graph::edge_descriptor e) const {
        return (*graph)[boost::target(e, *graph)].kind == VertexKind::Service;
    }
};
using ServiceGraph = boost::filtered_graph<Graph, ServiceEdges>;

// Aborts the depth-first search at the first back edge, which closes a cycle.
struct FoundCycle {
    Graph::edge_descriptor edge;
};

struct CycleVisitor : boost::default_dfs_visitor {
    std::vector<VertexId>* parent;
    explicit CycleVisitor(std::vector<VertexId>* p) : parent(p) {}
    template <typename E, typename G>
    void tree_edge(E e, const G& g) const {
        (*parent)[boost::target(e, g)] = boost::source(e, g);
    }
    template <typename E, typename G>
    void back_edge(E e, const G&) const {
        throw FoundCycle{e};
    }
};

// "service:X" → "X"; anything else → nullopt.
std::optional<std::string> service_reference(const Json& value) {
    if (!value.is_string()) return std::nullopt;
    const std::string& text = value.get_ref<const std::string&>();
    constexpr std::string_view prefix = "service:";
    if (text.rfind(prefix, 0) != 0) return std::nullopt;
    return text.substr(prefix.size());
}

// A short volume "name:/path[:mode]" names a volume when its source is not a path.
std::optional<std::string> short_volume_source(const std::string& spec) {
    size_t colon = spec.find(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    std::string source = spec.substr(0, colon);
    if (source[0] == '/' || source[0] == '.' || source[0] == '~' || source[0] == '$') return std::nullopt;
    return source;
}

}  // namespace

// Reads one project into a ProjectGraph, collecting every unresolved
// reference before it fails (collect, then stop).
class GraphBuilder {
public:
    explicit GraphBuilder(const project::Project& project) : project_(project) {}

    Result<ProjectGraph> build() {
        const Json& model = project_.model;
        const Json empty = Json::object();
        const Json& services = model.contains("services") && model["services"].is_object() ? model["services"] : empty;
        // Services first, sorted, so vertex order (and every traversal) is stable.
        for (auto it = services.begin(); it != services.end(); ++it) vertex(VertexKind::Service, it.key());
        for (const char* key : {"networks", "volumes"}) {
            if (!model.contains(key) || !model[key].is_object()) continue;
            VertexKind kind = std::string_view(key) == "networks" ? VertexKind::Network : VertexKind::Volume;
            for (auto it = model[key].begin(); it != model[key].end(); ++it) vertex(kind, it.key());
        }
        for (auto it = services.begin(); it != services.end(); ++it) add_service(it.key(), it.value());
        if (diagnostics_.has_errors()) return diagnostics_.to_error();
        TRY(check_cycles());
        compute_levels();
        return std::move(result_);
    }

private:
    VertexId vertex(VertexKind kind, const std::string& name) {
        auto key = std::make_pair(kind, name);
        auto it = result_.index_.find(key);
        if (it != result_.index_.end()) return it->second;
        VertexId id = boost::add_vertex(Vertex{kind, name}, *result_.graph_);
        result_.index_.emplace(std::move(key), id);
        return id;
    }

    bool is_service(const std::string& name) const {
        return result_.index_.count({VertexKind::Service, name}) != 0;
    }
    bool is_disabled(const std::string& name) const {
        const auto& off = project_.disabled_services;
        return std::find(off.begin(), off.end(), name) != off.end();
    }

    // Adds service → service edge after checking that the target exists.
    void depend(const std::string& from, const std::string& to, Edge edge) {
        if (!is_service(to)) {
            if (!edge.required) return;  // depends_on {required: false} may name an absent service
            std::string why = is_disabled(to) ? "service \"" + to + "\" is not enabled by the active profiles"
                                              : "service \"" + to + "\" is not defined";
            diagnostics_.error_at(project_.marks, edge.path, std::string(to_string(edge.kind)) + ": " + why);
            return;
        }
        boost::add_edge(vertex(VertexKind::Service, from), vertex(VertexKind::Service, to), std::move(edge),
                        *result_.graph_);
    }

    void use(const std::string& service, VertexKind kind, const std::string& name, EdgeKind edge_kind,
             std::string path) {
        Edge edge;
        edge.kind = edge_kind;
        edge.path = std::move(path);
        boost::add_edge(vertex(VertexKind::Service, service), vertex(kind, name), std::move(edge), *result_.graph_);
    }

    void add_service(const std::string& name, const Json& service) {
        if (!service.is_object()) return;
        const std::string base = path_join("services", name);
        add_depends_on(name, service, base);
        add_links(name, service, base);
        for (auto [key, kind] : {std::pair{"network_mode", EdgeKind::NetworkMode}, std::pair{"ipc", EdgeKind::Ipc},
                                 std::pair{"pid", EdgeKind::Pid}}) {
            if (!service.contains(key)) continue;
            if (auto target = service_reference(service[key])) {
                Edge edge;
                edge.kind = kind;
                edge.path = path_join(base, key);
                depend(name, *target, std::move(edge));
            }
        }
        add_volumes_from(name, service, base);
        add_networks(name, service, base);
        add_volumes(name, service, base);
    }

    void add_depends_on(const std::string& name, const Json& service, const std::string& base) {
        if (!service.contains("depends_on")) return;
        const Json& deps = service["depends_on"];
        const std::string path = path_join(base, "depends_on");
        if (deps.is_object()) {
            for (auto it = deps.begin(); it != deps.end(); ++it) {
                Edge edge;
                edge.kind = EdgeKind::DependsOn;
                edge.condition = "service_started";
                edge.path = path_join(path, it.key());
                const Json& spec = it.value();
                if (spec.is_object()) {
                    if (spec.contains("condition") && spec["condition"].is_string())
                        edge.condition = spec["condition"].get<std::string>();
                    if (spec.contains("required") && spec["required"].is_boolean())
                        edge.required = spec["required"].get<bool>();
                    if (spec.contains("restart") && spec["restart"].is_boolean())
                        edge.restart = spec["restart"].get<bool>();
                }
                depend(name, it.key(), std::move(edge));
            }
        } else if (deps.is_array()) {  // short syntax, should the model not be normalized
            for (size_t i = 0; i < deps.size(); ++i) {
                if (!deps[i].is_string()) continue;
                Edge edge;
                edge.kind = EdgeKind::DependsOn;
                edge.condition = "service_started";
                edge.path = path_index(path, i);
                depend(name, deps[i].get<std::string>(), std::move(edge));
            }
        }
    }

    void add_links(const std::string& name, const Json& service, const std::string& base) {
        if (!service.contains("links") || !service["links"].is_array()) return;
        const Json& links = service["links"];
        for (size_t i = 0; i < links.size(); ++i) {
            if (!links[i].is_string()) continue;
            std::string target = links[i].get<std::string>();
            target = target.substr(0, target.find(':'));  // "db:database" links db as database
            Edge edge;
            edge.kind = EdgeKind::Link;
            edge.path = path_index(path_join(base, "links"), i);
            depend(name, target, std::move(edge));
        }
    }

    void add_volumes_from(const std::string& name, const Json& service, const std::string& base) {
        if (!service.contains("volumes_from") || !service["volumes_from"].is_array()) return;
        const Json& sources = service["volumes_from"];
        for (size_t i = 0; i < sources.size(); ++i) {
            if (!sources[i].is_string()) continue;
            std::string source = sources[i].get<std::string>();
            if (source.rfind("container:", 0) == 0) continue;  // a container outside the project
            source = source.substr(0, source.find(':'));       // "db:ro"
            Edge edge;
            edge.kind = EdgeKind::VolumesFrom;
            edge.path = path_index(path_join(base, "volumes_from"), i);
            depend(name, source, std::move(edge));
        }
    }

    void add_networks(const std::string& name, const Json& service, const std::string& base) {
        const std::string path = path_join(base, "networks");
        if (service.contains("networks")) {
            const Json& networks = service["networks"];
            if (networks.is_object()) {
                for (auto it = networks.begin(); it != networks.end(); ++it)
                    use(name, VertexKind::Network, it.key(), EdgeKind::Network, path_join(path, it.key()));
            } else if (networks.is_array()) {
                for (size_t i = 0; i < networks.size(); ++i)
                    if (networks[i].is_string())
                        use(name, VertexKind::Network, networks[i].get<std::string>(), EdgeKind::Network,
                            path_index(path, i));
            }
        } else if (!service.contains("network_mode")) {
            // Compose puts a service without networks (and no network_mode) on "default".
            use(name, VertexKind::Network, "default", EdgeKind::Network, path);
        }
    }

    void add_volumes(const std::string& name, const Json& service, const std::string& base) {
        if (!service.contains("volumes") || !service["volumes"].is_array()) return;
        const Json& volumes = service["volumes"];
        for (size_t i = 0; i < volumes.size(); ++i) {
            const Json& mount = volumes[i];
            std::optional<std::string> source;
            if (mount.is_object()) {
                bool is_volume = !mount.contains("type") || mount["type"] == "volume";
                if (is_volume && mount.contains("source") && mount["source"].is_string() &&
                    !mount["source"].get_ref<const std::string&>().empty())
                    source = mount["source"].get<std::string>();
            } else if (mount.is_string()) {
                source = short_volume_source(mount.get<std::string>());
            }
            if (source) use(name, VertexKind::Volume, *source, EdgeKind::Volume, path_index(path_join(base, "volumes"), i));
        }
    }

    Result<void> check_cycles() {
        const Graph& g = *result_.graph_;
        ServiceGraph services(g, ServiceEdges{&g});
        std::vector<VertexId> parent(boost::num_vertices(g));
        for (VertexId v = 0; v < parent.size(); ++v) parent[v] = v;
        std::vector<boost::default_color_type> colors(boost::num_vertices(g));
        try {
            boost::depth_first_search(
                services, boost::visitor(CycleVisitor(&parent))
                              .color_map(boost::make_iterator_property_map(colors.begin(),
                                                                           boost::get(boost::vertex_index, g))));
        } catch (const FoundCycle& found) {
            VertexId from = boost::source(found.edge, g);
            VertexId to = boost::target(found.edge, g);
            std::vector<VertexId> chain{from};
            while (chain.back() != to && parent[chain.back()] != chain.back()) chain.push_back(parent[chain.back()]);
            std::reverse(chain.begin(), chain.end());
            std::string text;
            for (VertexId v : chain) text += g[v].name + " -> ";
            text += g[to].name;
            const Edge& edge = g[found.edge];
            project::Diagnostics diagnostics;
            diagnostics.error_at(project_.marks, edge.path, "dependency cycle: " + text);
            return diagnostics.to_error();
        }
        return ok();
    }

    void compute_levels() {
        const Graph& g = *result_.graph_;
        ServiceGraph services(g, ServiceEdges{&g});
        std::vector<VertexId> order;  // dependencies before their dependents
        boost::topological_sort(services, std::back_inserter(order));
        std::vector<int> level(boost::num_vertices(g), 0);
        int deepest = -1;
        for (VertexId v : order) {
            if (g[v].kind != VertexKind::Service) continue;
            for (auto [e, end] = boost::out_edges(v, services); e != end; ++e)
                level[v] = std::max(level[v], level[boost::target(*e, g)] + 1);
            deepest = std::max(deepest, level[v]);
        }
        result_.levels_.assign(static_cast<size_t>(deepest + 1), {});
        for (VertexId v : order)
            if (g[v].kind == VertexKind::Service) result_.levels_[static_cast<size_t>(level[v])].push_back(g[v].name);
        for (auto& names : result_.levels_) std::sort(names.begin(), names.end());
    }

    const project::Project& project_;
    project::Diagnostics diagnostics_;
    ProjectGraph result_;
};

std::optional<VertexId> ProjectGraph::find(VertexKind kind, const std::string& name) const {
    auto it = index_.find({kind, name});
    if (it == index_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> ProjectGraph::start_order() const {
    std::vector<std::string> order;
    for (const auto& level : levels_) order.insert(order.end(), level.begin(), level.end());
    return order;
}

std::vector<std::string> ProjectGraph::stop_order() const {
    std::vector<std::string> order = start_order();
    std::reverse(order.begin(), order.end());
    return order;
}

std::vector<std::string> ProjectGraph::dependencies(const std::string& service) const {
    std::set<std::string> names;
    if (auto v = find(VertexKind::Service, service)) {
        for (auto [e, end] = boost::out_edges(*v, *graph_); e != end; ++e) {
            const Vertex& target = (*graph_)[boost::target(*e, *graph_)];
            if (target.kind == VertexKind::Service) names.insert(target.name);
        }
    }
    return {names.begin(), names.end()};
}

std::vector<std::string> ProjectGraph::dependents(const std::string& service) const {
    std::set<std::string> names;
    if (auto v = find(VertexKind::Service, service)) {
        for (auto [e, end] = boost::in_edges(*v, *graph_); e != end; ++e)
            names.insert((*graph_)[boost::source(*e, *graph_)].name);
    }
    return {names.begin(), names.end()};
}

std::vector<Edge> ProjectGraph::service_edges(const std::string& service) const {
    std::vector<Edge> edges;
    if (auto v = find(VertexKind::Service, service)) {
        for (auto [e, end] = boost::out_edges(*v, *graph_); e != end; ++e)
            if ((*graph_)[boost::target(*e, *graph_)].kind == VertexKind::Service) edges.push_back((*graph_)[*e]);
    }
    return edges;
}

Result<ProjectGraph> build_graph(const project::Project& project) { return GraphBuilder(project).build(); }

}  // namespace hako::graph
