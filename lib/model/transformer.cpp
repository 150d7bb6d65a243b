#include "model/transformer.h"

#include <cmath>

#include "comm/watchdog.h"
#include "core/error.h"
#include "model/resident_params.h"

namespace paramoe {

TransformerModel::TransformerModel(const Config& cfg, const std::vector<MoeConfig>& moe_configs,
                                   Collectives& coll, uint64_t seed, const StepBackendMaker& make,
                                   const DenseBackendMaker& make_dense)
    : dense_(make_dense(coll)),
      D_(cfg.moe.d_model),
      embed_(cfg.model.vocab_size, cfg.model.seq_len, cfg.moe.d_model, *dense_),
      ln_f_("ln_f", cfg.moe.d_model, *dense_),
      head_(embed_.wte, *dense_),
      x_(dense_->new_buffer()),
      xf_(dense_->new_buffer()),
      g_(dense_->new_buffer()),
      gf_(dense_->new_buffer()),
      last_(dense_->new_buffer()) {
  const ModelConfig& m = cfg.model;
  PARAMOE_REQUIRE(static_cast<int>(moe_configs.size()) == cfg.moe_layer_count(),
                  "TransformerModel: expected one MoE config per MoE layer");
  size_t next_moe = 0;
  for (int l = 0; l < cfg.train.layers; ++l) {
    const BlockShape shape{cfg.moe.d_model, m.d_ffn, m.heads, m.type == "gpt",
                           (l + 1) % m.moe_every == 0};
    const MoeConfig& moe = shape.moe ? moe_configs[next_moe++] : cfg.moe;
    blocks_.push_back(std::make_unique<TransformerBlock>(l, shape, moe, *dense_, seed, make));
  }
  init(m, cfg.train.layers, seed);
  // The parameters have their final addresses now (the backend keys its copies by them).
  for (Param* p : dense_params()) dense_->attach(*p);
  cache_ = weight_cache_share(coll, moe_layers());
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

std::vector<Param*> TransformerModel::dense_params() {
  std::vector<Param*> out = embed_.params();
  for (auto& b : blocks_)
    for (Param* p : b->dense_params()) out.push_back(p);
  for (Param* p : ln_f_.params()) out.push_back(p);
  return out;
}

std::vector<ResidentParam> TransformerModel::resident_params() {
  return resident_params_of(params(), *dense_, moe_layers());
}

void TransformerModel::values_changed() {
  for (MoeLayer* m : moe_layers()) m->values_changed();
}

void TransformerModel::load_params() {
  dense_->load_params();
  for (MoeLayer* m : moe_layers()) m->load_params();
}

std::vector<MoeLayer*> TransformerModel::moe_layers() {
  return blocks_moe_layers(blocks_);
}

std::vector<TransformerBlock*> TransformerModel::blocks() {
  std::vector<TransformerBlock*> out;
  for (auto& b : blocks_) out.push_back(b.get());
  return out;
}

double TransformerModel::forward(const TokenBatch& batch) {
  n_ = batch.tokens();
  float* x = x_->fit(n_ * D_);
  float* xf = xf_->fit(n_ * D_);
  embed_.forward(batch.input.data(), batch.sequences, batch.seq_len, x);
  const uint8_t* valid = batch.key_valid.empty() ? nullptr : batch.key_valid.data();
  for (size_t l = 0; l < blocks_.size(); ++l) {
    watchdog_at_block(static_cast<int>(l));
    blocks_[l]->forward(x, batch.sequences, batch.seq_len, valid);
  }
  watchdog_at_block(-1);
  ln_f_.forward(x, n_, xf);
  return head_.forward(xf, n_, batch.target.data());
}

void TransformerModel::backward(float ce_scale, float moe_scale) {
  float* gf = gf_->fit(n_ * D_);
  float* g = g_->fit(n_ * D_);
  head_.backward(ce_scale, gf);
  ln_f_.backward(gf, g);
  for (MoeLayer* m : moe_layers()) m->set_loss_scale(moe_scale);
  for (size_t l = blocks_.size(); l-- > 0;) {
    watchdog_at_block(static_cast<int>(l));
    blocks_[l]->backward(g);
  }
  watchdog_at_block(-1);
  embed_.backward(g);
}

void TransformerModel::start_decoding(int64_t batch, int64_t capacity) {
  for (auto& b : blocks_) b->start_decoding(batch, capacity);
  decode_batch_ = batch;
  decoded_ = 0;
}

std::vector<float> TransformerModel::decode(const int32_t* ids, int64_t fresh) {
  const int64_t B = decode_batch_, n = B * fresh;
  float* x = x_->fit(n * D_);
  embed_.forward(ids, B, fresh, x, decoded_);
  for (auto& b : blocks_) b->decode(x, B, fresh);
  decoded_ += fresh;
  // Only each sequence's last position is read out: its final LayerNorm and head.
  float* last = last_->fit(B * D_);
  for (int64_t b = 0; b < B; ++b) dense_->copy(x + ((b + 1) * fresh - 1) * D_, D_, last + b * D_);
  float* xf = xf_->fit(B * D_);
  ln_f_.forward(last, B, xf);
  return head_.logits_of(xf, B);
}

float TransformerModel::aux_loss() const {
  return blocks_aux_loss(blocks_);
}

float TransformerModel::z_loss() const {
  return blocks_z_loss(blocks_);
}

double TransformerModel::moe_seconds() const {
  return blocks_moe_seconds(blocks_);
}

void TransformerModel::reset_timers() {
  blocks_reset_moe_seconds(blocks_);
}

}  // namespace paramoe
