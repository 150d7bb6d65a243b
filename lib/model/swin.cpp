#include "model/swin.h"

#include <cmath>

#include "comm/watchdog.h"
#include "core/error.h"
#include "model/resident_params.h"

namespace paramoe {

SwinModel::SwinModel(const Config& cfg, const std::vector<MoeConfig>& moe_configs,
                     Collectives& coll, uint64_t seed, const StepBackendMaker& make,
                     const DenseBackendMaker& make_dense)
    : model_(cfg.model),
      dense_(make_dense(coll)),
      embed_(cfg.model.channels, cfg.model.patch_size, cfg.moe.d_model, *dense_),
      norm_("norm", int64_t{cfg.moe.d_model} << (cfg.model.depths.size() - 1), *dense_),
      head_(int64_t{cfg.moe.d_model} << (cfg.model.depths.size() - 1), cfg.model.classes, *dense_),
      xf_(dense_->new_buffer()),
      gf_(dense_->new_buffer()) {
  const ModelConfig& m = cfg.model;
  PARAMOE_REQUIRE(static_cast<int>(moe_configs.size()) == cfg.moe_layer_count(),
                  "SwinModel: expected one MoE config per MoE layer");
  size_t next_moe = 0;
  int index = 0;
  for (size_t s = 0; s < m.depths.size(); ++s) {
    const int64_t D = int64_t{cfg.moe.d_model} << s, R = m.swin_resolution(s);
    const int64_t w = m.swin_window(s);
    for (int i = 0; i < m.depths[s]; ++i) {
      // Every other block shifts its windows by half a window, where the map is
      // larger than one window (Swin).
      const int64_t shift = (i % 2 == 1 && R > w) ? w / 2 : 0;
      const BlockShape shape{D,     int64_t{m.d_ffn} << s,  m.heads << s,
                             false, m.swin_moe_block(s, i), WindowGeometry{R, w, shift}};
      const MoeConfig& moe = shape.moe ? moe_configs[next_moe++] : cfg.moe;
      PARAMOE_REQUIRE(!shape.moe || moe.d_model == D,
                      "SwinModel: an MoE config of the wrong width");
      blocks_.push_back(
          std::make_unique<TransformerBlock>(index++, shape, moe, *dense_, seed, make));
    }
    stage_end_.push_back(blocks_.size());
    if (s + 1 < m.depths.size())
      merges_.push_back(
          std::make_unique<PatchMerging>("merge/" + std::to_string(s), D, R, *dense_));
    x_.push_back(dense_->new_buffer());
    g_.push_back(dense_->new_buffer());
  }
  // Swin's initialisation: every linear weight and bias table ~ init_std (here
  // uniform with that std, drawn per global element so any layout gets the same
  // model); biases zero, LayerNorms identity. The MoE layers keep their own.
  const auto bound = static_cast<float>(m.init_std * std::sqrt(3.0));
  param_init_uniform(embed_.proj.w, bound, seed);
  for (auto& b : blocks_) {
    param_init_uniform(b->attention().qkv().w, bound, seed);
    param_init_uniform(b->attention().proj().w, bound, seed);
    param_init_uniform(b->window_attention()->table, bound, seed);
    if (DenseMlp* mlp = b->mlp()) {
      param_init_uniform(mlp->fc1().w, bound, seed);
      param_init_uniform(mlp->fc2().w, bound, seed);
    }
  }
  for (auto& mg : merges_) param_init_uniform(mg->reduction.w, bound, seed);
  param_init_uniform(head_.fc.w, bound, seed);
  for (Param* p : collect(false)) dense_->attach(*p);
  cache_ = weight_cache_share(coll, moe_layers());
}

std::vector<Param*> SwinModel::collect(bool with_moe) {
  std::vector<Param*> out = embed_.params();
  size_t l = 0;
  for (size_t s = 0; s < stage_end_.size(); ++s) {
    for (; l < stage_end_[s]; ++l)
      for (Param* p : with_moe ? blocks_[l]->params() : blocks_[l]->dense_params())
        out.push_back(p);
    if (s < merges_.size())
      for (Param* p : merges_[s]->params()) out.push_back(p);
  }
  for (Param* p : norm_.params()) out.push_back(p);
  for (Param* p : head_.params()) out.push_back(p);
  return out;
}

std::vector<ResidentParam> SwinModel::resident_params() {
  return resident_params_of(params(), *dense_, moe_layers());
}

void SwinModel::values_changed() {
  for (MoeLayer* m : moe_layers()) m->values_changed();
}

void SwinModel::load_params() {
  dense_->load_params();
  for (MoeLayer* m : moe_layers()) m->load_params();
}

std::vector<MoeLayer*> SwinModel::moe_layers() {
  return blocks_moe_layers(blocks_);
}

double SwinModel::forward(const ImageBatch& batch) {
  images_ = batch.images;
  const size_t stages = stage_end_.size();
  const int64_t D0 = embed_.proj.out();
  auto tokens = [&](size_t s) {
    const int64_t r = model_.swin_resolution(s);
    return images_ * r * r;
  };
  float* x = x_[0]->fit(tokens(0) * D0);
  embed_.forward(batch, x);
  size_t l = 0;
  for (size_t s = 0; s < stages; ++s) {
    const int64_t r = model_.swin_resolution(s);
    for (; l < stage_end_[s]; ++l) {
      watchdog_at_block(static_cast<int>(l));
      blocks_[l]->forward(x, images_, r * r, nullptr);
    }
    if (s + 1 < stages) {
      float* next = x_[s + 1]->fit(tokens(s + 1) * (D0 << (s + 1)));
      merges_[s]->forward(x, images_, next);
      x = next;
    }
  }
  watchdog_at_block(-1);
  const int64_t n = tokens(stages - 1), D = D0 << (stages - 1);
  float* xf = xf_->fit(n * D);
  norm_.forward(x, n, xf);
  return head_.forward(xf, images_, n / images_, batch.labels.data());
}

void SwinModel::backward(float ce_scale, float moe_scale) {
  const size_t stages = stage_end_.size();
  const int64_t D0 = embed_.proj.out();
  auto tokens = [&](size_t s) {
    const int64_t r = model_.swin_resolution(s);
    return images_ * r * r;
  };
  const size_t last = stages - 1;
  float* gf = gf_->fit(tokens(last) * (D0 << last));
  head_.backward(ce_scale, gf);
  float* g = g_[last]->fit(tokens(last) * (D0 << last));
  norm_.backward(gf, g);
  for (MoeLayer* m : moe_layers()) m->set_loss_scale(moe_scale);
  for (size_t s = stages; s-- > 0;) {
    const size_t first = s == 0 ? 0 : stage_end_[s - 1];
    for (size_t l = stage_end_[s]; l-- > first;) {
      watchdog_at_block(static_cast<int>(l));
      blocks_[l]->backward(g);
    }
    if (s > 0) {
      float* prev = g_[s - 1]->fit(tokens(s - 1) * (D0 << (s - 1)));
      merges_[s - 1]->backward(g, prev);
      g = prev;
    }
  }
  watchdog_at_block(-1);
  embed_.backward(g);
}

float SwinModel::aux_loss() const {
  return blocks_aux_loss(blocks_);
}

float SwinModel::z_loss() const {
  return blocks_z_loss(blocks_);
}

double SwinModel::moe_seconds() const {
  return blocks_moe_seconds(blocks_);
}

void SwinModel::reset_timers() {
  blocks_reset_moe_seconds(blocks_);
}

}  // namespace paramoe
