#pragma once
// What `paramoe train` trains, behind one interface so that the loop (optimizer,
// clipping, checkpoints, preemption, logging) is shared: the synthetic MoE stack
// (model.type = "stack"), a GPT/BERT language model on token data, or the Swin-MoE
// classifier on image shards.
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/param.h"
#include "moe/moe_layer.h"
#include "train/run_context.h"

namespace paramoe {

struct StepResult {
  double loss = 0;       // the task's loss over the global batch (MSE or cross-entropy)
  float aux = 0, z = 0;  // the MoE layers' losses (mean over micro-batches), with coefficients
};

struct Validation {
  double loss = std::numeric_limits<double>::quiet_NaN();
  double accuracy = std::numeric_limits<double>::quiet_NaN();  // classifiers only
};

class TrainTask {
 public:
  virtual ~TrainTask() = default;
  virtual std::vector<MoeLayer*> moe_layers() = 0;
  // The parameters with their live copies, on the device the model computes on;
  // the optimizer updates them there, then calls values_changed.
  virtual std::vector<ResidentParam> resident_params() = 0;
  virtual void values_changed() = 0;
  // Forward and backward over the global batch that starts at data position
  // `tokens_seen` (this rank's shard of it): gradients accumulate. The loss is
  // agreed by every rank. Collective.
  virtual StepResult run_step(int64_t tokens_seen) = 0;
  // Mean validation loss over train.val_batches batches (and, for a classifier,
  // the share of images whose top class is their label); NaN where the task has
  // no validation data. Collective.
  virtual Validation validate() { return {}; }
  virtual bool has_validation() const { return false; }
  // Seconds spent in MoE layers since the last call (this rank).
  virtual double take_moe_seconds() = 0;
  virtual std::string describe() const = 0;
};

std::unique_ptr<TrainTask> make_synthetic_task(const RunContext& rc);
std::unique_ptr<TrainTask> make_language_model_task(const RunContext& rc);
std::unique_ptr<TrainTask> make_image_classification_task(const RunContext& rc);
// The task model.type asks for.
std::unique_ptr<TrainTask> make_train_task(const RunContext& rc);

}  // namespace paramoe
