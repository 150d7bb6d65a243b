#pragma once
// The training loop of `paramoe train`: the config's model (model.type: a GPT/BERT
// MoE transformer on token data, or the synthetic MoE stack) with AdamW, gradient
// clipping and warmup + cosine LR. Checkpoints (every N steps, at the end, and on
// SIGUSR1/SIGTERM, see preemption.h) hold everything a bit-exact restart needs; a
// resume loads one under any process grid.
#include <string>
#include <vector>

#include "train/run_context.h"

namespace paramoe {

struct TrainSummary {
  int first_step = 0;          // the step it started from (0, or the checkpoint's)
  int last_step = 0;           // the steps done when it returned
  std::vector<double> losses;  // per step run, agreed by every rank
  bool preempted = false;      // stopped by SIGUSR1 or SIGTERM
};

// Trains from step 0, or from `resume` ("latest", a checkpoint directory or a .h5
// file; empty: start fresh), up to train.steps, checkpoint.exit_after or a
// preemption signal. Collective over rc's world; errors are collective Errors.
TrainSummary train_run(const RunContext& rc, const std::string& resume = "");

}  // namespace paramoe
