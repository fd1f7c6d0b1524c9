// This file implements the create and remove hooks (hooks.h) by asking each module in turn.
#include "engine/container/hooks.h"

namespace hako::container {

Result<void> check_create(const ContainerStore& store, ContainerRecord& record) {
    TRY(net::check_create(store, record));
    TRY(volume::check_create(store, record));
    TRY(device::check_create(store, record));
    return ok();
}

Result<void> on_remove(const RunContext& context, bool remove_volumes) {
    TRY(net::on_remove(context));
    TRY(volume::on_remove(context, remove_volumes));
    return ok();
}

}  // namespace hako::container
