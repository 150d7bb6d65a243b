// model.type = "swin": the Swin-MoE classifier on image shards, with gradient
// accumulation over train.micro_batches, and validation loss and accuracy.
#include "data/image_dataset.h"
#include "model/swin.h"
#include "train/model_task.h"

namespace paramoe {

namespace {

class ImageClassificationTask : public ModelTask<SwinModel, ImageDataset> {
 public:
  explicit ImageClassificationTask(const RunContext& rc) : ModelTask(rc, "images") {}

  StepResult run_step(int64_t tokens_seen) override {
    const int M = rc_.config.train.micro_batches;
    const int64_t first = tokens_seen / rc_.config.model.seq_len;  // images consumed
    const double images = static_cast<double>(micro_) * M;         // the step's, globally
    StepResult r;
    double ce = 0.0;  // this rank's share of the step's mean cross-entropy
    for (int m = 0; m < M; ++m) {
      const ImageBatch b = shard(first + m * micro_, false);
      ce += model_.forward(b) / images;
      model_.backward(static_cast<float>(1.0 / images), 1.0f / static_cast<float>(M));
      r.aux += model_.aux_loss() / static_cast<float>(M);
      r.z += model_.z_loss() / static_cast<float>(M);
    }
    rc_.coll->allreduce_sum(Group::Dp, &ce, 1);  // MP ranks hold the same images
    r.loss = ce;
    return r;
  }

  Validation validate() override {
    double sums[3] = {0.0, 0.0, 0.0};  // cross-entropy, correct, images
    for (int v = 0; v < rc_.config.train.val_batches; ++v) {
      const ImageBatch b = shard(static_cast<int64_t>(v) * micro_, true);
      sums[0] += model_.forward(b);
      sums[1] += static_cast<double>(model_.correct());
      sums[2] += static_cast<double>(b.images);
    }
    rc_.coll->allreduce_sum(Group::Dp, sums, 3);
    model_.reset_timers();
    return {sums[0] / sums[2], sums[1] / sums[2]};
  }
  std::string describe() const override {
    const Config& c = rc_.config;
    const ModelConfig& m = c.model;
    std::string depths;
    for (int d : m.depths) {
      if (!depths.empty()) depths += ',';
      depths += std::to_string(d);
    }
    return "swin-moe: stages [" + depths + "] from width " + std::to_string(c.moe.d_model) + ", " +
           std::to_string(m.heads) + " heads, window " + std::to_string(m.window) + ", patch " +
           std::to_string(m.patch_size) + ", MoE from stage " + std::to_string(m.moe_from_stage) +
           " every " + std::to_string(m.moe_every) + ", " + std::to_string(m.classes) +
           " classes, " + std::to_string(micro_ * c.train.micro_batches) + " images/step in " +
           std::to_string(c.train.micro_batches) + " micro-batch(es); " + data_.describe();
  }
};

}  // namespace

std::unique_ptr<TrainTask> make_image_classification_task(const RunContext& rc) {
  return std::make_unique<ImageClassificationTask>(rc);
}

}  // namespace paramoe
