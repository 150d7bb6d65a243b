// paramoe train CONFIG [--resume [WHAT]] [--calibrate-speed]: the training loop
// lives in lib/train (trainer.h); this file is its command line.
#include "app/command.h"
#include "train/preemption.h"
#include "train/trainer.h"

namespace paramoe {

namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;  // empty: start fresh; "latest", a directory or a checkpoint file
  bool calibrate_speed = false;
};

}  // namespace

void add_train_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train", "train the config's model: GPT/BERT MoE on token data, or the synthetic MoE stack");
  add_config_options(cmd, args->config, args->overrides);
  CLI::Option* resume =
      cmd->add_option("--resume", args->resume,
                      "continue from a checkpoint: 'latest' (the default when no value is given; "
                      "starts fresh if checkpoint.dir has none yet), a checkpoint directory, or "
                      "a .h5 file. Any parallel layout may load it.")
          ->expected(0, 1);
  cmd->add_flag("--calibrate-speed", args->calibrate_speed,
                "with parallel.split = \"speed\": time a GEMM on every rank at start-up "
                "and split the work by the measured speeds (else plan.cluster's speeds)");
  out.push_back({cmd, [args, resume] {
                   if (resume->count() > 0 && args->resume.empty()) args->resume = "latest";
                   preemption_install();
                   const RunContext rc =
                       run_context_create(args->config, args->overrides, args->calibrate_speed);
                   train_run(rc, args->resume);
                   return 0;
                 }});
}

}  // namespace paramoe
