// This file declares the registration of each compose view verb (one file per
// verb, compose_<verb>_cmd.cpp); compose_view_cmd.cpp calls them all.
#pragma once

namespace CLI {
class App;
}

namespace hako::cli {

struct Context;

void add_compose_logs_command(CLI::App& app, Context& ctx);     // compose_logs_cmd.cpp
void add_compose_ps_command(CLI::App& app, Context& ctx);       // compose_ps_cmd.cpp
void add_compose_exec_command(CLI::App& app, Context& ctx);     // compose_exec_cmd.cpp
void add_compose_attach_command(CLI::App& app, Context& ctx);   // compose_attach_cmd.cpp
void add_compose_top_command(CLI::App& app, Context& ctx);      // compose_top_cmd.cpp
void add_compose_port_command(CLI::App& app, Context& ctx);     // compose_port_cmd.cpp
void add_compose_images_command(CLI::App& app, Context& ctx);   // compose_images_cmd.cpp
void add_compose_events_command(CLI::App& app, Context& ctx);   // compose_events_cmd.cpp
void add_compose_cp_command(CLI::App& app, Context& ctx);       // compose_cp_cmd.cpp
void add_compose_ls_command(CLI::App& app, Context& ctx);       // compose_ls_cmd.cpp
void add_compose_stats_command(CLI::App& app, Context& ctx);    // compose_stats_cmd.cpp
void add_compose_wait_command(CLI::App& app, Context& ctx);     // compose_wait_cmd.cpp
void add_compose_pause_commands(CLI::App& app, Context& ctx);   // compose_pause_cmd.cpp: pause, unpause

}  // namespace hako::cli
