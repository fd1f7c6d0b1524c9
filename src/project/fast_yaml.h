// This file declares a fast event source for the YAML that compose files are
// mostly made of (block mappings and sequences, one-line scalars and flow
// collections, block scalars, anchors, aliases, local tags). It feeds the same
// yaml-cpp EventHandler with the same events and marks yaml-cpp would, and
// declines (returns false) at the first thing outside that subset or anything
// wrong, so that yaml-cpp parses the file instead and reports the error.
#pragma once

#include <string_view>

namespace YAML {
class EventHandler;
}

namespace hako::project {

// True when the whole text was parsed and its events delivered. False: the text
// uses something this parser leaves to yaml-cpp; the handler may have received
// part of the events and must be discarded. Exceptions the handler throws pass through.
bool fast_yaml_parse(std::string_view text, YAML::EventHandler& handler);

}  // namespace hako::project
