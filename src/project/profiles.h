// This file implements Compose profiles: which services a load keeps (those
// without profiles, those with an active profile, those named on the command
// line) and the check that no kept service depends on one switched off.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/project/project.h"

namespace hako::project {

struct ProfileSelection {
    std::vector<std::string> active;    // sorted, "*" expanded to every profile
    std::vector<std::string> all;       // every profile any service names, sorted
    std::vector<std::string> disabled;  // services switched off, sorted
};

// "a, b,,c" → {"a", "b", "c"} (COMPOSE_PROFILES, COMPOSE_ENV_FILES).
std::vector<std::string> split_comma_list(std::string_view text);

// Applies profiles to model["services"]: a service is on when it has no
// `profiles`, when one of its profiles is in `requested` ("*" turns on all),
// or when it is named in `named_services` (which turns its profiles on too, so
// their other services come along, as docker compose does). Services that stay
// off are removed from the model when `remove_disabled`. A service that stays
// on and depends on (depends_on, links, volumes_from, network_mode service:)
// a service that is off is an error naming both, unless its depends_on entry
// says `required: false`, which drops that entry with a warning. A named
// service that does not exist is an error. Without `remove_disabled` (list
// every service, as `config --profiles` does) nothing is removed or checked,
// and `disabled` still says what would be off. Errors go to `diagnostics`.
ProfileSelection apply_profiles(Json& model, const SourceMap& marks, const std::vector<std::string>& requested,
                                const std::vector<std::string>& named_services, bool remove_disabled,
                                Diagnostics& diagnostics);

}  // namespace hako::project
