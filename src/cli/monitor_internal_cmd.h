// This file declares the early entry of the hidden verbs a container's monitor
// runs (`__monitor-exit`, `__monitor-probe`): main() calls it before the CLI is
// built. hako-monitor execs the lean hako-exit for them (src/exitpath/); the full
// hako keeps them for monitors started by an older build or when hako-exit is missing.
#pragma once

#include "src/exitpath/monitor_verbs.h"

namespace hako::cli {

// hako-monitor's spelling of the verbs (src/exitpath/monitor_verbs.h); nullopt
// for any other argv, which goes to the CLI, where the same verbs are registered
// for other spellings (add_monitor_internal_commands).
using exitpath::run_monitor_verb;

}  // namespace hako::cli
