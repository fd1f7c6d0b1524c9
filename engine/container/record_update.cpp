// This file implements rewrite_record (record_update.h).
#include "engine/container/record_update.h"

#include "engine/sys/file.h"

namespace hako::container {

Result<void> rewrite_record(const ContainerStore& store, const ContainerRecord& record) {
    return sys::write_file_atomic(store.dir(record.id) / "container.json", record_to_json(record), 0600);
}

}  // namespace hako::container
