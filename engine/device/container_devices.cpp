// This file implements the device hooks of a container (container/hooks.h):
// nothing is requested yet; CDI and GPU requests come with engine/device.
#include "engine/container/hooks.h"

namespace hako::device {

Result<void> check_create(const container::ContainerStore&, container::ContainerRecord&) { return ok(); }

Result<void> apply(const container::RunContext&, runtime::Spec&) { return ok(); }

}  // namespace hako::device
