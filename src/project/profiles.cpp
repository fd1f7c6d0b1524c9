// This file implements Compose profiles (see profiles.h): one pass to learn
// every service's profiles, one to decide which are on, one to check that no
// service that is on needs one that is off.
#include "src/project/profiles.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "src/project/references.h"

namespace hako::project {

std::vector<std::string> split_comma_list(std::string_view text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = text.substr(start, end - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        start = end + 1;
    }
    return out;
}

static std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

ProfileSelection apply_profiles(Json& model, const SourceMap& marks, const std::vector<std::string>& requested,
                                const std::vector<std::string>& named_services, bool remove_disabled,
                                Diagnostics& diagnostics) {
    ProfileSelection selection;
    auto services_it = model.find("services");
    if (services_it == model.end() || !services_it->is_object()) {
        for (const auto& name : named_services) diagnostics.error({}, "", "no such service: \"" + name + "\"");
        return selection;
    }
    Json& services = *services_it;

    // Every service's profiles.
    std::unordered_map<std::string, std::vector<std::string>> profiles_of;
    std::set<std::string> all;
    for (auto it = services.begin(); it != services.end(); ++it) {
        auto p = it->is_object() ? it->find("profiles") : it->end();
        if (!it->is_object() || p == it->end() || !p->is_array()) continue;
        auto& list = profiles_of[it.key()];
        for (const auto& profile : *p) {
            if (!profile.is_string()) continue;
            list.push_back(profile.get<std::string>());
            all.insert(list.back());
        }
    }

    // The active profiles: requested, plus those of every service named.
    std::set<std::string> active;
    bool everything = false;
    for (const auto& profile : requested) {
        if (profile == "*") {
            everything = true;
        } else {
            active.insert(profile);
        }
    }
    for (const auto& name : named_services) {
        if (!services.contains(name)) {
            diagnostics.error({}, "", "no such service: \"" + name + "\"");
            continue;
        }
        auto p = profiles_of.find(name);
        if (p != profiles_of.end()) active.insert(p->second.begin(), p->second.end());
    }
    if (everything) active.insert(all.begin(), all.end());

    auto is_on = [&](const std::string& name) {
        auto p = profiles_of.find(name);
        if (p == profiles_of.end() || p->second.empty()) return true;
        return std::any_of(p->second.begin(), p->second.end(), [&](const auto& x) { return active.count(x) > 0; });
    };
    for (auto it = services.begin(); it != services.end(); ++it) {
        if (!is_on(it.key())) selection.disabled.push_back(it.key());
    }

    // Services that stay on must not need one that is off.
    std::set<std::string> off(selection.disabled.begin(), selection.disabled.end());
    if (remove_disabled && !off.empty()) {
        for (auto it = services.begin(); it != services.end(); ++it) {
            if (off.count(it.key())) continue;
            std::string path = path_join("services", it.key());
            for (const auto& ref : service_references(*it, path)) {
                if (!off.count(ref.service)) continue;
                if (!ref.required) {
                    diagnostics.warning(marks.find(ref.path), ref.path,
                                        "service \"" + it.key() + "\" depends on \"" + ref.service +
                                            "\", which is disabled by profiles; ignored (required: false)");
                    (*it)["depends_on"].erase(ref.service);
                    continue;
                }
                diagnostics.error_at(marks, ref.path,
                                     "service \"" + it.key() + "\" depends on service \"" + ref.service +
                                         "\", which is disabled; enable it with one of its profiles: " +
                                         join(profiles_of[ref.service]));
            }
        }
    }

    if (remove_disabled) {
        for (const auto& name : selection.disabled) services.erase(name);
    }
    selection.active.assign(active.begin(), active.end());
    selection.all.assign(all.begin(), all.end());
    return selection;
}

}  // namespace hako::project
