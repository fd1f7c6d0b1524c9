// This file declares the canonical printers behind `hako config`: a model as
// YAML or JSON with sorted keys and 2-space indentation, so two runs diff
// cleanly and the printed YAML loads back to the same model.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace hako::project {

using Json = nlohmann::json;

// Block-style YAML: sorted keys, sequences indented under their key, strings
// quoted only when a plain scalar would read back as something else (a
// number, a bool, null, "", leading indicators, ": ", " #", …), multi-line
// strings as literal blocks, empty maps and lists as {} and []. Ends with "\n".
std::string to_yaml(const Json& value);

// JSON with sorted keys; pretty: 2-space indentation and a final "\n",
// otherwise one line. Invalid UTF-8 is replaced, never thrown.
std::string to_json(const Json& value, bool pretty = true);

// True when `text` must be quoted to read back as the same string from YAML
// (exposed for tests).
bool yaml_needs_quotes(const std::string& text);

}  // namespace hako::project
