#include "model/transformer_block.h"

#include "core/timer.h"
#include "kernels/cpu/elementwise.h"

namespace paramoe {

namespace {
std::string block_name(int index) {
  std::string s = "blocks/";
  s += std::to_string(index);
  return s;
}
}  // namespace

TransformerBlock::TransformerBlock(int index, const BlockShape& shape, const MoeConfig& moe_cfg,
                                   Collectives& coll, Collectives& moe_coll, uint64_t seed,
                                   const StepBackendMaker& make)
    : D_(shape.d_model),
      ln1_(block_name(index) + "/ln1", shape.d_model),
      ln2_(block_name(index) + "/ln2", shape.d_model),
      attn_(block_name(index) + "/attn", shape.d_model, shape.heads, shape.causal, coll) {
  if (shape.moe)
    moe_ = std::make_unique<MoeLayer>(moe_cfg, moe_coll, block_name(index) + "/moe/", seed, make);
  else
    mlp_ = std::make_unique<DenseMlp>(block_name(index) + "/mlp", shape.d_model, shape.d_ffn, coll);
}

std::vector<Param*> TransformerBlock::params() {
  std::vector<Param*> out = ln1_.params();
  for (Param* p : attn_.params()) out.push_back(p);
  for (Param* p : ln2_.params()) out.push_back(p);
  for (Param* p : moe_ ? moe_->params().all() : mlp_->params()) out.push_back(p);
  return out;
}

void TransformerBlock::forward(float* x, int64_t batch, int64_t seq, const uint8_t* key_valid) {
  n_ = batch * seq;
  a_.resize(n_ * D_);
  t_.resize(n_ * D_);
  ln1_.forward(x, n_, a_.data());
  attn_.forward(a_.data(), batch, seq, key_valid, t_.data());
  cpu::accumulate(t_.data(), n_ * D_, x);
  ln2_.forward(x, n_, a_.data());
  if (moe_) {
    const double t0 = now_seconds();
    moe_->forward_host(a_.data(), n_, t_.data());
    moe_seconds_ += now_seconds() - t0;
  } else {
    mlp_->forward(a_.data(), n_, t_.data());
  }
  cpu::accumulate(t_.data(), n_ * D_, x);
}

void TransformerBlock::backward(float* g) {
  da_.resize(n_ * D_);
  if (moe_) {
    const double t0 = now_seconds();
    moe_->backward_host(g, da_.data());
    moe_seconds_ += now_seconds() - t0;
  } else {
    mlp_->backward(g, da_.data());
  }
  ln2_.backward(da_.data(), t_.data());
  cpu::accumulate(t_.data(), n_ * D_, g);
  attn_.backward(g, da_.data());
  ln1_.backward(da_.data(), t_.data());
  cpu::accumulate(t_.data(), n_ * D_, g);
}

}  // namespace paramoe
