// model.type = "swin": the Swin-MoE classifier on image shards, with gradient
// accumulation over train.micro_batches, and validation loss and accuracy.
#include "core/error.h"
#include "core/row_split.h"
#include "data/image_dataset.h"
#include "model/swin.h"
#include "train/train_task.h"

namespace paramoe {

namespace {

class ImageClassificationTask : public TrainTask {
 public:
  explicit ImageClassificationTask(const RunContext& rc)
      : rc_(rc),
        data_(rc.config.model, rc.config.data, static_cast<uint64_t>(rc.config.train.seed)),
        model_(rc.config, rc.moe_layers, *rc.layers.coll,
               static_cast<uint64_t>(rc.config.train.seed), rc.layers.make, rc.layers.make_dense) {
    const Config& c = rc.config;
    micro_images_ = c.train.tokens_per_step / c.model.seq_len / c.train.micro_batches;
    const int dp = rc.grid->layout().dp();
    if (micro_images_ < dp)
      throw_collective(c.origin + ": [train] tokens_per_step: a micro-batch has " +
                       std::to_string(micro_images_) +
                       " images (tokens_per_step / patches per image / micro_batches), expected "
                       "at least one per data-parallel rank (dp = " +
                       std::to_string(dp) + ")");
  }
  std::vector<MoeLayer*> moe_layers() override { return model_.moe_layers(); }
  std::vector<ResidentParam> resident_params() override { return model_.resident_params(); }
  void values_changed() override { model_.values_changed(); }

  StepResult run_step(int64_t tokens_seen) override {
    const int M = rc_.config.train.micro_batches;
    const int64_t first = tokens_seen / rc_.config.model.seq_len;  // images consumed
    const double images = static_cast<double>(micro_images_) * M;  // the step's, globally
    StepResult r;
    double ce = 0.0;  // this rank's share of the step's mean cross-entropy
    for (int m = 0; m < M; ++m) {
      const ImageBatch b = shard(first + m * micro_images_, false);
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
      const ImageBatch b = shard(static_cast<int64_t>(v) * micro_images_, true);
      sums[0] += model_.forward(b);
      sums[1] += static_cast<double>(model_.correct());
      sums[2] += static_cast<double>(b.images);
    }
    rc_.coll->allreduce_sum(Group::Dp, sums, 3);
    model_.reset_timers();
    return {sums[0] / sums[2], sums[1] / sums[2]};
  }
  bool has_validation() const override { return true; }

  double take_moe_seconds() override {
    const double s = model_.moe_seconds();
    model_.reset_timers();
    return s;
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
           " classes, " + std::to_string(micro_images_ * c.train.micro_batches) +
           " images/step in " + std::to_string(c.train.micro_batches) + " micro-batch(es); " +
           data_.describe();
  }

 private:
  // This data-parallel rank's images of the micro-batch that starts at image `first`.
  ImageBatch shard(int64_t first, bool validation) const {
    int64_t s0 = 0, n = 0;
    split_rows_by(micro_images_, rc_.grid->layout().dp(), rc_.split.dp, rc_.grid->index().dp, s0,
                  n);
    return validation ? data_.val(first + s0, n) : data_.train(first + s0, n);
  }

  const RunContext& rc_;
  ImageDataset data_;
  SwinModel model_;
  int64_t micro_images_ = 0;  // global images per micro-batch
};

}  // namespace

std::unique_ptr<TrainTask> make_image_classification_task(const RunContext& rc) {
  return std::make_unique<ImageClassificationTask>(rc);
}

}  // namespace paramoe
