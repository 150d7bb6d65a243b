#include "model/transformer_block.h"

#include "core/timer.h"

namespace paramoe {

namespace {
std::string block_name(int index) {
  std::string s = "blocks/";
  s += std::to_string(index);
  return s;
}
}  // namespace

TransformerBlock::TransformerBlock(int index, const BlockShape& shape, const MoeConfig& moe_cfg,
                                   DenseBackend& be, uint64_t seed, const StepBackendMaker& make)
    : be_(&be),
      D_(shape.d_model),
      ln1_(block_name(index) + "/ln1", shape.d_model, be),
      ln2_(block_name(index) + "/ln2", shape.d_model, be),
      attn_(block_name(index) + "/attn", shape.d_model, shape.heads, shape.causal, be),
      a_(be.new_buffer()),
      t_(be.new_buffer()),
      da_(be.new_buffer()) {
  if (shape.window.window > 0)
    window_ = std::make_unique<WindowAttention>(block_name(index) + "/attn", attn_, shape.heads,
                                                shape.window, be);
  if (shape.moe)
    moe_ = std::make_unique<MoeLayer>(moe_cfg, be.coll(), block_name(index) + "/moe/", seed, make);
  else
    mlp_ = std::make_unique<DenseMlp>(block_name(index) + "/mlp", shape.d_model, shape.d_ffn, be);
}

std::vector<Param*> TransformerBlock::dense_params() {
  std::vector<Param*> out = ln1_.params();
  for (Param* p : attn_.params()) out.push_back(p);
  if (window_) out.push_back(&window_->table);
  for (Param* p : ln2_.params()) out.push_back(p);
  if (mlp_)
    for (Param* p : mlp_->params()) out.push_back(p);
  return out;
}

std::vector<Param*> TransformerBlock::params() {
  std::vector<Param*> out = dense_params();
  if (moe_)
    for (Param* p : moe_->params().all()) out.push_back(p);
  return out;
}

void TransformerBlock::forward(float* x, int64_t batch, int64_t seq, const uint8_t* key_valid) {
  n_ = batch * seq;
  float* a = a_->fit(n_ * D_);
  float* t = t_->fit(n_ * D_);
  ln1_.forward(x, n_, a);
  if (window_)
    window_->forward(a, batch, t);
  else
    attn_.forward(a, batch, seq, key_valid, t);
  ffn_forward(x);
}

void TransformerBlock::start_decoding(int64_t batch, int64_t capacity) {
  attn_.start_decoding(batch, capacity);
}

void TransformerBlock::decode(float* x, int64_t batch, int64_t fresh) {
  n_ = batch * fresh;
  float* a = a_->fit(n_ * D_);
  float* t = t_->fit(n_ * D_);
  ln1_.forward(x, n_, a);
  attn_.decode(a, fresh, t);
  ffn_forward(x);
}

void TransformerBlock::ffn_forward(float* x) {
  float* a = a_->data();
  float* t = t_->data();
  be_->accumulate(t, n_ * D_, x);
  ln2_.forward(x, n_, a);
  if (moe_) {
    const double t0 = now_seconds();
    moe_->forward(a, n_, t);
    moe_seconds_ += now_seconds() - t0;
  } else {
    mlp_->forward(a, n_, t);
  }
  be_->accumulate(t, n_ * D_, x);
}

void TransformerBlock::backward(float* g) {
  float* da = da_->fit(n_ * D_);
  float* t = t_->data();
  if (moe_) {
    const double t0 = now_seconds();
    moe_->backward(g, da);
    moe_seconds_ += now_seconds() - t0;
  } else {
    mlp_->backward(g, da);
  }
  ln2_.backward(da, t);
  be_->accumulate(t, n_ * D_, g);
  if (window_)
    window_->backward(g, da);
  else
    attn_.backward(g, da);
  ln1_.backward(da, t);
  be_->accumulate(t, n_ * D_, g);
}

std::vector<MoeLayer*> blocks_moe_layers(const Blocks& blocks) {
  std::vector<MoeLayer*> out;
  for (const auto& b : blocks)
    if (b->moe()) out.push_back(b->moe());
  return out;
}

float blocks_aux_loss(const Blocks& blocks) {
  float s = 0;
  for (MoeLayer* m : blocks_moe_layers(blocks)) s += m->aux_loss();
  return s;
}

float blocks_z_loss(const Blocks& blocks) {
  float s = 0;
  for (MoeLayer* m : blocks_moe_layers(blocks)) s += m->z_loss();
  return s;
}

double blocks_moe_seconds(const Blocks& blocks) {
  double s = 0;
  for (const auto& b : blocks) s += b->moe_seconds();
  return s;
}

void blocks_reset_moe_seconds(Blocks& blocks) {
  for (auto& b : blocks) b->reset_moe_seconds();
}

}  // namespace paramoe
