// This file implements a small YAML → Json reader for the normalize, canonical
// and config_hash tests: yaml-cpp plus YAML 1.2 core-schema typing of plain
// scalars and the mark of every node, so these tests do not depend on the
// loader's decoder.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <regex>
#include <string>

#include "src/project/diagnostics.h"
#include "src/project/project.h"

namespace hako::project::testing {

inline Json typed_scalar(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    if (node.Tag() != "?") return text;  // quoted or block scalars stay strings
    static const std::regex null_re("^(|~|null|Null|NULL)$");
    static const std::regex bool_true("^(true|True|TRUE)$");
    static const std::regex bool_false("^(false|False|FALSE)$");
    static const std::regex int_re("^[-+]?[0-9]+$");
    static const std::regex float_re("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$");
    if (std::regex_match(text, null_re)) return nullptr;
    if (std::regex_match(text, bool_true)) return true;
    if (std::regex_match(text, bool_false)) return false;
    if (std::regex_match(text, int_re)) {
        if (text[0] == '-') return std::stoll(text);
        return std::stoull(text[0] == '+' ? text.substr(1) : text);
    }
    if (std::regex_match(text, float_re)) return std::stod(text);
    if (text == ".inf" || text == "+.inf") return std::numeric_limits<double>::infinity();
    if (text == "-.inf") return -std::numeric_limits<double>::infinity();
    return text;
}

inline Json yaml_node_to_json(const YAML::Node& node, const std::string& path, SourceMap* marks,
                              const std::shared_ptr<const std::string>& file) {
    if (marks) marks->set(path, Mark{file, node.Mark().line + 1, node.Mark().column + 1});
    switch (node.Type()) {
    case YAML::NodeType::Map: {
        Json out = Json::object();
        for (auto it = node.begin(); it != node.end(); ++it) {
            const std::string key = it->first.Scalar();
            const std::string child = path_join(path, key);
            out[key] = yaml_node_to_json(it->second, child, marks, file);
            if (marks) marks->set(child, Mark{file, it->first.Mark().line + 1, it->first.Mark().column + 1});
        }
        return out;
    }
    case YAML::NodeType::Sequence: {
        Json out = Json::array();
        for (size_t i = 0; i < node.size(); ++i)
            out.push_back(yaml_node_to_json(node[i], path_index(path, i), marks, file));
        return out;
    }
    case YAML::NodeType::Scalar:
        return typed_scalar(node);
    default:
        return nullptr;
    }
}

// Parses `text`; marks (when given) are filled as the loader fills them.
inline Json parse_yaml(const std::string& text, SourceMap* marks = nullptr,
                       const std::string& file = "compose.yaml") {
    auto name = std::make_shared<const std::string>(file);
    return yaml_node_to_json(YAML::Load(text), "", marks, name);
}

// A project as the loader hands it to normalize: model, marks, folder, env.
inline Project make_project(const std::string& yaml, const std::string& working_dir = "/work/proj") {
    Project project;
    project.name = "demo";
    project.working_dir = working_dir;
    project.environment = Environment({{"HOME", "/home/user"}, {"FROM_ENV", "env-value"}});
    project.model = parse_yaml(yaml, &project.marks);
    return project;
}

}  // namespace hako::project::testing
