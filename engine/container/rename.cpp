// This file implements rename_container (rename.h).
#include "engine/container/rename.h"

#include "engine/container/options.h"
#include "engine/container/record_update.h"

namespace hako::container {

Result<void> rename_container(const ContainerStore& store, const std::string& ref, const std::string& new_name) {
    std::string name = !new_name.empty() && new_name[0] == '/' ? new_name.substr(1) : new_name;
    if (ref.empty() || name.empty()) return Error("Neither old nor new names may be empty");
    if (!valid_name(name))
        return Error("Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    auto lock = TRY(store.root().lock());
    ContainerRecord record = TRY(store.find(ref));
    if (record.name == name) return Error("Renaming a container with the same name as its current name");
    for (const auto& other : TRY(store.list())) {
        if (other.name == name)
            return Error("Conflict. The container name \"/" + name + "\" is already in use by container \"" + other.id +
                         "\". You have to remove (or rename) that container to be able to reuse that name.");
    }
    record.name = name;
    return rewrite_record(store, record);
}

}  // namespace hako::container
