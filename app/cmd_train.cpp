// paramoe train CONFIG [--resume [WHAT]] [--calibrate-speed] [--colocate B.toml]:
// the training loop lives in lib/train (trainer.h), colocation in
// lib/train/colocation.h; this file is its command line.
#include <array>
#include <utility>

#include "app/command.h"
#include "core/error.h"
#include "train/colocation.h"
#include "train/preemption.h"
#include "train/trainer.h"

namespace paramoe {

namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;  // empty: start fresh; "latest", a directory or a checkpoint file
  bool calibrate_speed = false;
  std::string colocate;                  // a second model trained on the same ranks
  std::vector<std::string> overrides_b;  // its keys, after --set
};

// Two models trained at once on the same ranks, each as it would train alone. Each
// checkpoints into a checkpoint.dir of its own, the two taking turns on HDF5
// (ckpt/hdf5_turn.h); --resume continues each from the latest in its own.
void train_colocated(const TrainArgs& a) {
  if (!a.resume.empty() && a.resume != "latest")
    throw_collective("--colocate: --resume " + a.resume +
                     ": expected --resume alone (each model continues from the latest "
                     "checkpoint in its own checkpoint.dir)");
  ColocatedContexts both;
  colocated_contexts(both, a.config, a.colocate, a.overrides, a.overrides_b);
  const Config &ca = both.a.config, &cb = both.b.config;
  const std::pair<const char*, std::array<const std::string*, 2>> outputs[] = {
      {"train.metrics_csv", {&ca.train.metrics_csv, &cb.train.metrics_csv}},
      {"train.metrics_jsonl", {&ca.train.metrics_jsonl, &cb.train.metrics_jsonl}},
      {"train.traffic_csv", {&ca.train.traffic_csv, &cb.train.traffic_csv}},
      {"checkpoint.dir", {&ca.checkpoint.dir, &cb.checkpoint.dir}}};
  for (const auto& [key, files] : outputs)
    if (!files[0]->empty() && *files[0] == *files[1])
      throw_collective(std::string("--colocate: both models write ") + key + " = " + *files[0] +
                       "; expected one of each model's own (--set-b " + key + "=...)");
  colocated_run([&] { train_run(both.a, a.resume); }, [&] { train_run(both.b, a.resume); }, "A",
                "B");
}

}  // namespace

void add_train_command(CLI::App& app, Commands& out) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train",
                                     "train the config's model: GPT/BERT MoE on token data, "
                                     "Swin-MoE on image shards, or the synthetic MoE stack");
  add_config_options(cmd, args->config, args->overrides);
  CLI::Option* resume =
      cmd->add_option("--resume", args->resume,
                      "continue from a checkpoint: 'latest' (the default when no value is given; "
                      "starts fresh if checkpoint.dir has none yet), a checkpoint directory, or "
                      "a .h5 file. Any parallel layout may load it.")
          ->expected(0, 1);
  cmd->add_option("--colocate", args->colocate,
                  "train a second model (its config) at the same time on the same ranks, "
                  "each in a thread of its own (--set applies to both, --set-b to it alone)");
  cmd->add_option("--set-b", args->overrides_b, "override a key of the --colocate model only");
  cmd->add_flag("--calibrate-speed", args->calibrate_speed,
                "with parallel.split = \"speed\": time a GEMM on every rank at start-up "
                "and split the work by the measured speeds (else plan.cluster's speeds)");
  out.push_back({cmd, [args, resume] {
                   if (resume->count() > 0 && args->resume.empty()) args->resume = "latest";
                   preemption_install();
                   if (!args->colocate.empty()) {
                     if (args->calibrate_speed)
                       throw_collective(
                           "--colocate: expected no --calibrate-speed (two models' speeds "
                           "would be measured on cores they share)");
                     train_colocated(*args);
                     return 0;
                   }
                   const RunContext rc =
                       run_context_create(args->config, args->overrides, args->calibrate_speed);
                   train_run(rc, args->resume);
                   return 0;
                 }});
}

}  // namespace paramoe
