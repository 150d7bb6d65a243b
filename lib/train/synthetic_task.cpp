// model.type = "stack": MoE blocks regress a fixed random teacher (data/synthetic_teacher.h).
#include "core/row_split.h"
#include "core/timer.h"
#include "data/synthetic_teacher.h"
#include "model/moe_stack.h"
#include "train/train_task.h"

namespace paramoe {

namespace {

class SyntheticTask : public TrainTask {
 public:
  explicit SyntheticTask(const RunContext& rc)
      : rc_(rc),
        model_(rc.moe_layers, *rc.layers.coll, static_cast<uint64_t>(rc.config.train.seed),
               rc.layers.make, rc.layers.make_dense),
        teacher_(rc.config.moe.d_model, static_cast<uint64_t>(rc.config.train.seed) ^ 0x5eedull) {
    // This rank's data-parallel shard of the global batch (MP ranks share it).
    split_rows_by(rc.config.train.tokens_per_step, rc.grid->layout().dp(), rc.split.dp,
                  rc.grid->index().dp, row0_, rows_);
  }
  std::vector<MoeLayer*> moe_layers() override { return model_.moe_layers(); }
  std::vector<ResidentParam> resident_params() override { return model_.resident_params(); }
  void values_changed() override { model_.values_changed(); }

  StepResult run_step(int64_t tokens_seen) override {
    const int64_t D = rc_.config.moe.d_model, T = rc_.config.train.tokens_per_step;
    teacher_.batch(tokens_seen, row0_, rows_, x_, target_);
    y_.resize(rows_ * D);
    dy_.resize(rows_ * D);
    const double t0 = now_seconds();
    model_.forward(x_.data(), rows_, y_.data());
    double sq = 0.0;
    const float scale = 2.0f / static_cast<float>(T * D);
    for (int64_t i = 0; i < rows_ * D; ++i) {
      const float d = y_[i] - target_[i];
      sq += static_cast<double>(d) * d;
      dy_[i] = scale * d;
    }
    model_.backward(dy_.data(), nullptr);
    moe_seconds_ += now_seconds() - t0;  // the stack is all MoE blocks
    // MP ranks hold identical shards, so the loss sums over dp only.
    rc_.coll->allreduce_sum(Group::Dp, &sq, 1);
    return StepResult{sq / (static_cast<double>(T) * D), model_.aux_loss(), model_.z_loss()};
  }

  double take_moe_seconds() override {
    const double s = moe_seconds_;
    moe_seconds_ = 0;
    return s;
  }
  std::string describe() const override {
    const Config& c = rc_.config;
    return std::to_string(c.train.layers) + " MoE blocks on a synthetic teacher, " +
           std::to_string(c.train.tokens_per_step) + " tokens/step";
  }

 private:
  const RunContext& rc_;
  MoeStack model_;
  SyntheticTeacher teacher_;
  int64_t row0_ = 0, rows_ = 0;
  std::vector<float> x_, target_, y_, dy_;
  double moe_seconds_ = 0;
};

}  // namespace

std::unique_ptr<TrainTask> make_synthetic_task(const RunContext& rc) {
  return std::make_unique<SyntheticTask>(rc);
}

}  // namespace paramoe
