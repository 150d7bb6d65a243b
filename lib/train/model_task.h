#pragma once
// What the transformer tasks share, whatever their model and data: the model and
// its dataset built from the run context, the micro-batch size in samples
// (sequences or images: train.tokens_per_step / model.seq_len / micro_batches), the
// parts of TrainTask that only forward to the model, and each data-parallel rank's
// shard of a micro-batch (split by speed where parallel.split says so).
// Model: TransformerModel or SwinModel; Data: TokenDataset or ImageDataset.
#include <string>

#include "core/error.h"
#include "core/row_split.h"
#include "train/train_task.h"

namespace paramoe {

template <class Model, class Data>
class ModelTask : public TrainTask {
 public:
  std::vector<MoeLayer*> moe_layers() override { return model_.moe_layers(); }
  std::vector<ResidentParam> resident_params() override { return model_.resident_params(); }
  void values_changed() override { model_.values_changed(); }
  bool has_validation() const override { return true; }
  double take_moe_seconds() override {
    const double s = model_.moe_seconds();
    model_.reset_timers();
    return s;
  }

 protected:
  // samples: what a micro-batch holds ("sequences", "images"), for the message.
  ModelTask(const RunContext& rc, const std::string& samples)
      : rc_(rc),
        data_(rc.config.model, rc.config.data, static_cast<uint64_t>(rc.config.train.seed)),
        model_(rc.config, rc.moe_layers, *rc.layers.coll,
               static_cast<uint64_t>(rc.config.train.seed), rc.layers.make, rc.layers.make_dense) {
    const Config& c = rc.config;
    micro_ = c.train.tokens_per_step / c.model.seq_len / c.train.micro_batches;
    const int dp = rc.grid->layout().dp();
    if (micro_ < dp)
      throw_collective(c.origin + ": [train] tokens_per_step: a micro-batch has " +
                       std::to_string(micro_) + " " + samples +
                       " (tokens_per_step / model.seq_len / micro_batches), expected at least "
                       "one per data-parallel rank (dp = " +
                       std::to_string(dp) + ")");
  }

  // This data-parallel rank's samples of the micro-batch that starts at sample `first`.
  auto shard(int64_t first, bool validation) const {
    int64_t s0 = 0, n = 0;
    split_rows_by(micro_, rc_.grid->layout().dp(), rc_.split.dp, rc_.grid->index().dp, s0, n);
    return validation ? data_.val(first + s0, n) : data_.train(first + s0, n);
  }

  const RunContext& rc_;
  Data data_;
  Model model_;
  int64_t micro_ = 0;  // global samples per micro-batch
};

}  // namespace paramoe
