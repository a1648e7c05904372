// Every command file registers its commands here, once.
#pragma once

#include "cli/command.hpp"

namespace skiff::commands {

cli::Table build_table();

// One per file in src/commands.
void register_system(cli::Table& t);  // version, info, help, completion
void register_oci(cli::Table& t);
void register_images(cli::Table& t);
void register_unshare(cli::Table& t);
void register_registry(cli::Table& t);  // registry_cmds.cpp
void register_containers(cli::Table& t);
void register_container_info(cli::Table& t);
void register_container_ops(cli::Table& t);  // pause, unpause, stats
void register_storage(cli::Table& t);
void register_cp(cli::Table& t);  // system df, system prune, system reset
void register_volumes(cli::Table& t);
void register_networks(cli::Table& t);
void register_container_data(cli::Table& t);  // diff, export, commit
void register_monitor_resume(cli::Table& t);  // __monitor-resume (hidden)

}  // namespace skiff::commands
