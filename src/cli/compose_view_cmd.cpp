// This file registers the compose view verbs: ps, logs, exec, attach, top,
// port, images, events, cp, ls, stats, wait, pause and unpause, each built in
// its own compose_<verb>_cmd.cpp.
#include "src/cli/compose_view_cmd.h"

#include "src/cli/context.h"

namespace hako::cli {

void add_compose_view_commands(CLI::App& app, Context& ctx) {
    add_compose_ps_command(app, ctx);
    add_compose_logs_command(app, ctx);
    add_compose_top_command(app, ctx);
    add_compose_port_command(app, ctx);
    add_compose_images_command(app, ctx);
    add_compose_ls_command(app, ctx);
    add_compose_wait_command(app, ctx);
    add_compose_pause_commands(app, ctx);
    add_compose_stats_command(app, ctx);
    add_compose_events_command(app, ctx);
    add_compose_cp_command(app, ctx);
    add_compose_exec_command(app, ctx);
    add_compose_attach_command(app, ctx);
}

}  // namespace hako::cli
