// This file implements Project's accessors.
#include "src/project/project.h"

namespace hako::project {

std::vector<std::string> Project::service_names() const {
    std::vector<std::string> names;
    if (model.contains("services")) {
        for (auto it = model["services"].begin(); it != model["services"].end(); ++it) names.push_back(it.key());
    }
    return names;  // nlohmann::json objects iterate in sorted key order
}

}  // namespace hako::project
