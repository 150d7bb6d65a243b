#pragma once
// paramoe's subcommands. Each cmd_*.cpp adds its own to the command line (options
// and help) and says what runs it; commands.cpp lists them in one table and runs
// the one the user chose.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace paramoe {

struct Command {
  CLI::App* cli;             // the subcommand on the command line
  std::function<int()> run;  // runs it with the options parsed into it; returns the exit code
};
using Commands = std::vector<Command>;

// The parent's subcommand `name` (e.g. "bench"), made with `help` the first time
// it is asked for, so that several files can add commands under it.
CLI::App* command_group(CLI::App& parent, const std::string& name, const std::string& help);
// The CONFIG argument and --set overrides of every command that reads a config.
void add_config_options(CLI::App* cmd, std::string& config, std::vector<std::string>& overrides);
// Every benchmark's --repeats (timed repeats; the median is reported, the variants
// taking turns) and --csv (a file the result rows are appended to).
void add_bench_options(CLI::App* cmd, int& repeats, std::string& csv);

void add_train_command(CLI::App& app, Commands& out);
void add_generate_command(CLI::App& app, Commands& out);
void add_bench_layer_command(CLI::App& app, Commands& out);
void add_bench_grid_command(CLI::App& app, Commands& out);
void add_bench_ckpt_command(CLI::App& app, Commands& out);
void add_bench_a2a_command(CLI::App& app, Commands& out);
void add_bench_infer_command(CLI::App& app, Commands& out);
void add_data_command(CLI::App& app, Commands& out);
void add_ckpt_command(CLI::App& app, Commands& out);
void add_calibrate_command(CLI::App& app, Commands& out);
void add_plan_command(CLI::App& app, Commands& out);
void add_plan_a2a_command(CLI::App& app, Commands& out);
void add_plan_placement_command(CLI::App& app, Commands& out);
void add_plan_colocate_command(CLI::App& app, Commands& out);
void add_plan_testbed_command(CLI::App& app, Commands& out);

// Parses the command line the same way on every rank and runs the chosen command.
// Errors: a collective one (every rank saw it) is printed once, by rank 0, and
// every rank returns 1; any other is printed by the rank that hit it, which ends
// the job with MPI_Abort, so that no rank waits forever for it.
int commands_run(int argc, char** argv);

}  // namespace paramoe
