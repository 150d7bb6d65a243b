// model.type = "gpt" | "bert": a TransformerModel on a TokenDataset, with gradient
// accumulation over train.micro_batches and validation.
#include "data/token_dataset.h"
#include "model/transformer.h"
#include "train/model_task.h"

namespace paramoe {

namespace {

class LanguageModelTask : public ModelTask<TransformerModel, TokenDataset> {
 public:
  explicit LanguageModelTask(const RunContext& rc) : ModelTask(rc, "sequences") {}

  StepResult run_step(int64_t tokens_seen) override {
    const int M = rc_.config.train.micro_batches;
    const int64_t first = tokens_seen / rc_.config.model.seq_len;  // sequences consumed
    StepResult r;
    double ce = 0.0;  // this rank's share of the step's mean cross-entropy
    for (int m = 0; m < M; ++m) {
      const TokenBatch b = shard(first + m * micro_, false);
      const double targets = global_targets(b);
      const double sum = model_.forward(b);
      model_.backward(static_cast<float>(1.0 / (targets * M)), 1.0f / static_cast<float>(M));
      ce += sum / (targets * M);
      r.aux += model_.aux_loss() / static_cast<float>(M);
      r.z += model_.z_loss() / static_cast<float>(M);
    }
    rc_.coll->allreduce_sum(Group::Dp, &ce, 1);  // MP ranks hold the same sequences
    r.loss = ce;
    return r;
  }

  Validation validate() override {
    double sums[2] = {0.0, 0.0};  // cross-entropy, targets
    for (int v = 0; v < rc_.config.train.val_batches; ++v) {
      const TokenBatch b = shard(static_cast<int64_t>(v) * micro_, true);
      sums[0] += model_.forward(b);
      sums[1] += static_cast<double>(b.targets());
    }
    rc_.coll->allreduce_sum(Group::Dp, sums, 2);
    model_.reset_timers();
    return {sums[0] / sums[1]};
  }
  std::string describe() const override {
    const Config& c = rc_.config;
    return c.model.type + "-moe: " + std::to_string(c.train.layers) + " blocks (MoE every " +
           std::to_string(c.model.moe_every) + "), d_model " + std::to_string(c.moe.d_model) +
           ", " + std::to_string(c.model.heads) + " heads, vocab " +
           std::to_string(c.model.vocab_size) + ", seq " + std::to_string(c.model.seq_len) + ", " +
           std::to_string(micro_ * c.train.micro_batches) + " sequences/step in " +
           std::to_string(c.train.micro_batches) + " micro-batch(es); " + data_.describe();
  }

 private:
  // The micro-batch's targeted positions over all data-parallel ranks: the loss is
  // their mean, so each rank's gradient is scaled by the global count.
  double global_targets(const TokenBatch& b) const {
    double t = static_cast<double>(b.targets());
    rc_.coll->allreduce_sum(Group::Dp, &t, 1);
    return t;
  }
};

}  // namespace

std::unique_ptr<TrainTask> make_language_model_task(const RunContext& rc) {
  return std::make_unique<LanguageModelTask>(rc);
}

}  // namespace paramoe
