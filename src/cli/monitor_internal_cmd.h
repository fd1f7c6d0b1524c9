// This file declares the early entry of the hidden verbs a container's monitor
// runs hako for (`__monitor-exit`, `__monitor-probe`): main() calls it before
// the CLI is built, since every container exit and every probe pays for that.
#pragma once

#include <optional>

namespace hako::cli {

// Runs the hidden verb when argv is spelt as hako-monitor spells it
// ("hako --root ROOT __monitor-exit -- ID …", "hako --root ROOT __monitor-probe
// ID SINCE_NS") and returns its exit status; nullopt for any other argv (which
// goes to the CLI, where the same verbs are registered for other spellings).
std::optional<int> run_monitor_verb(int argc, char** argv);

}  // namespace hako::cli
