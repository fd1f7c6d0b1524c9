// This file declares how device edits (CDI containerEdits, NVIDIA discovery,
// `devices:` entries) land in an OCI spec: nodes, device cgroup rules, mounts, env, groups, hooks.
#pragma once

#include <string>

#include "engine/device/cdi.h"
#include "engine/runtime/spec.h"
#include "engine/sys/error.h"

namespace hako::device {

// Fills a node's type/major/minor (and mode) from its host node when the edit leaves them out.
Result<cdi::DeviceNode> complete_node(const cdi::DeviceNode& node);

// Applies `edits` to `spec`: every device node is created and allowed in the device
// cgroup with its permissions (and nothing else); mounts are added read-only binds
// unless options say otherwise; env entries replace the same key; gids are added;
// hooks join the spec's OCI hooks of their hookName (the runtime runs them).
// `where` names the request in errors ("device /dev/x", "CDI nvidia.com/gpu=0").
Result<void> apply_edits(const cdi::ContainerEdits& edits, runtime::Spec& spec);

// A device cgroup rule as docker writes it: "c 1:3 rwm", "b *:* m", "a".
Result<runtime::DeviceRule> parse_cgroup_rule(const std::string& text);

}  // namespace hako::device
