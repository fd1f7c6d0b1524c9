// This file implements the cross-reference checks of a merged project: every
// service, network, volume, secret and config that a service names must exist.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/project/project.h"

namespace hako::project {

// One service that another service needs: through depends_on, links,
// volumes_from or `network_mode: service:X`.
struct ServiceReference {
    std::string service;     // the service named
    std::string path;        // where: "services.web.depends_on.db", "services.web.links[0]"
    std::string_view via;    // "depends_on", "links", "volumes_from", "network_mode"
    bool required = true;    // false only for depends_on entries with `required: false`
};

// The services `service` (found at `service_path`) refers to, short or long syntax.
std::vector<ServiceReference> service_references(const Json& service, const std::string& service_path);

// Reports, at the mark of the reference, every service that refers to an
// undefined service (services in `disabled` are left to the profile check),
// or uses a network, named volume, secret or config that the top level does
// not declare ("service \"web\" refers to undefined network \"back\"").
// The `default` network is always there.
void check_references(const Json& model, const SourceMap& marks, const std::vector<std::string>& disabled,
                      Diagnostics& diagnostics);

}  // namespace hako::project
