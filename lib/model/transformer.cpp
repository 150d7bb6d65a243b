#include "model/transformer.h"

#include <cmath>

namespace paramoe {

TransformerModel::TransformerModel(const Config& cfg, Collectives& coll, uint64_t seed,
                                   const StepBackendMaker& make, Collectives* moe_coll)
    : D_(cfg.moe.d_model),
      embed_(cfg.model.vocab_size, cfg.model.seq_len, cfg.moe.d_model, coll),
      ln_f_("ln_f", cfg.moe.d_model),
      head_(embed_.wte, coll) {
  const ModelConfig& m = cfg.model;
  for (int l = 0; l < cfg.train.layers; ++l) {
    const BlockShape shape{cfg.moe.d_model, m.d_ffn, m.heads, m.type == "gpt",
                           (l + 1) % m.moe_every == 0};
    blocks_.push_back(std::make_unique<TransformerBlock>(l, shape, cfg.moe, coll,
                                                         moe_coll ? *moe_coll : coll, seed, make));
  }
  init(m, cfg.train.layers, seed);
  cache_ = weight_cache_share(cfg.moe, moe_coll ? *moe_coll : coll, moe_layers());
}

void TransformerModel::init(const ModelConfig& m, int layers, uint64_t seed) {
  // GPT-2's scheme: weights ~ std init_std (here uniform with that std, drawn per
  // global element so any layout gets the same model), the projections into the
  // residual stream scaled by 1/√(2·layers); biases zero, LayerNorms identity. The
  // MoE layers keep their own initialisation (moe_params.h).
  const auto bound = static_cast<float>(m.init_std * std::sqrt(3.0));
  const auto out_bound = bound / std::sqrt(2.0f * static_cast<float>(layers));
  param_init_uniform(embed_.wte, bound, seed);
  param_init_uniform(embed_.wpe, bound, seed);
  for (auto& b : blocks_) {
    param_init_uniform(b->attention().qkv().w, bound, seed);
    param_init_uniform(b->attention().proj().w, out_bound, seed);
    if (DenseMlp* mlp = b->mlp()) {
      param_init_uniform(mlp->fc1().w, bound, seed);
      param_init_uniform(mlp->fc2().w, out_bound, seed);
    }
  }
}

std::vector<Param*> TransformerModel::params() {
  std::vector<Param*> out = embed_.params();
  for (auto& b : blocks_)
    for (Param* p : b->params()) out.push_back(p);
  for (Param* p : ln_f_.params()) out.push_back(p);
  return out;
}

void TransformerModel::load_params() {
  for (MoeLayer* m : moe_layers()) m->load_params();
}

void TransformerModel::store_grads() {
  for (MoeLayer* m : moe_layers()) m->store_grads();
}

std::vector<MoeLayer*> TransformerModel::moe_layers() {
  std::vector<MoeLayer*> out;
  for (auto& b : blocks_)
    if (b->moe()) out.push_back(b->moe());
  return out;
}

std::vector<TransformerBlock*> TransformerModel::blocks() {
  std::vector<TransformerBlock*> out;
  for (auto& b : blocks_) out.push_back(b.get());
  return out;
}

double TransformerModel::forward(const TokenBatch& batch) {
  n_ = batch.tokens();
  x_.resize(n_ * D_);
  xf_.resize(n_ * D_);
  embed_.forward(batch.input.data(), batch.sequences, batch.seq_len, x_.data());
  const uint8_t* valid = batch.key_valid.empty() ? nullptr : batch.key_valid.data();
  for (auto& b : blocks_) b->forward(x_.data(), batch.sequences, batch.seq_len, valid);
  ln_f_.forward(x_.data(), n_, xf_.data());
  return head_.forward(xf_.data(), n_, batch.target.data());
}

void TransformerModel::backward(float ce_scale, float moe_scale) {
  gf_.resize(n_ * D_);
  g_.resize(n_ * D_);
  head_.backward(ce_scale, gf_.data());
  ln_f_.backward(gf_.data(), g_.data());
  for (MoeLayer* m : moe_layers()) m->set_loss_scale(moe_scale);
  for (size_t l = blocks_.size(); l-- > 0;) blocks_[l]->backward(g_.data());
  embed_.backward(g_.data());
}

float TransformerModel::aux_loss() const {
  float s = 0;
  for (const auto& b : blocks_)
    if (b->moe()) s += b->moe()->aux_loss();
  return s;
}

float TransformerModel::z_loss() const {
  float s = 0;
  for (const auto& b : blocks_)
    if (b->moe()) s += b->moe()->z_loss();
  return s;
}

double TransformerModel::moe_seconds() const {
  double s = 0;
  for (const auto& b : blocks_) s += b->moe_seconds();
  return s;
}

void TransformerModel::reset_timers() {
  for (auto& b : blocks_) b->reset_moe_seconds();
}

}  // namespace paramoe
