// The table of paramoe's subcommands, and running the chosen one.
#include <cstdio>

#include "app/command.h"
#include "core/error.h"
#include "core/log.h"

namespace paramoe {

namespace {

// In the order `paramoe --help` lists them; "plan" before its subcommands.
constexpr void (*kCommandTable[])(CLI::App&, Commands&) = {
    add_train_command,          add_generate_command,      add_bench_layer_command,
    add_bench_grid_command,     add_bench_ckpt_command,    add_bench_a2a_command,
    add_bench_infer_command,    add_data_command,          add_ckpt_command,
    add_calibrate_command,      add_plan_command,          add_plan_a2a_command,
    add_plan_placement_command, add_plan_colocate_command, add_plan_testbed_command};

}  // namespace

CLI::App* command_group(CLI::App& parent, const std::string& name, const std::string& help) {
  for (CLI::App* found : parent.get_subcommands([&](CLI::App* a) { return a->get_name() == name; }))
    return found;
  CLI::App* group = parent.add_subcommand(name, help);
  group->require_subcommand(1);
  return group;
}

void add_config_options(CLI::App* cmd, std::string& config, std::vector<std::string>& overrides) {
  cmd->add_option("config", config, "TOML config file (see inputs/)")->required();
  cmd->add_option("--set", overrides,
                  "override a config key, e.g. --set moe.top_k=1 --set parallel.ep=2");
}

void add_bench_options(CLI::App* cmd, int& repeats, std::string& csv) {
  cmd->add_option("--repeats", repeats, "timed repeats (the median is reported)");
  cmd->add_option("--csv", csv, "append the result rows to this CSV file");
}

int commands_run(int argc, char** argv) {
  const int rank = world_rank();
  CLI::App app{
      "paramoe: distributed Mixture-of-Experts training (Parm schedules, "
      "HEXA-MoE operators, Aurora all-to-all). Launch under mpirun or srun."};
  app.require_subcommand(1);
  Commands commands;
  for (const auto add : kCommandTable) add(app, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parses the same arguments; rank 0 speaks for all.
    return rank == 0 ? app.exit(e) : e.get_exit_code();
  }
  try {
    // The chosen command: parsed, with no subcommand of its own chosen below it
    // ("plan" alone, or "plan a2a").
    for (const Command& c : commands)
      if (c.cli->parsed() && c.cli->get_subcommands().empty()) return c.run();
    return 0;
  } catch (const Error& e) {
    if (e.collective()) {
      if (rank == 0) std::fprintf(stderr, "paramoe: error: %s\n", e.what());
      return 1;
    }
    log_error_any_rank(e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  } catch (const std::exception& e) {
    log_error_any_rank(e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 1;
}

}  // namespace paramoe
