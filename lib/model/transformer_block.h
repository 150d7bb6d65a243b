#pragma once
// One pre-LayerNorm transformer block: h = x + Attn(LN1(x)); y = h + FFN(LN2(h)),
// where FFN is the dense MLP or, in MoE blocks, a distributed MoE layer, and Attn
// is self-attention over each sequence or (Swin) window attention over each image. The
// residual stream lives in the dense backend's memory, which is the MoE layer's
// too (dense_backend.h).
#include <memory>
#include <vector>

#include "model/dense_mlp.h"
#include "model/layer_norm.h"
#include "model/self_attention.h"
#include "model/window_attention.h"
#include "moe/moe_layer.h"

namespace paramoe {

struct BlockShape {
  int64_t d_model, d_ffn;
  int heads;
  bool causal, moe;
  WindowGeometry window{0, 0, 0};  // swin: window attention over this map; window 0: none
};

class TransformerBlock {
 public:
  TransformerBlock(int index, const BlockShape& shape, const MoeConfig& moe_cfg, DenseBackend& be,
                   uint64_t seed, const StepBackendMaker& make);
  // x [batch·seq, d_model] is updated in place (the residual stream). Swin: batch
  // images of seq = resolution² tokens each.
  void forward(float* x, int64_t batch, int64_t seq, const uint8_t* key_valid);
  // g: the residual stream's gradient, updated in place.
  void backward(float* g);
  // Decoding over the attention's KV cache (self_attention.h): x [batch·fresh,
  // d_model], the next `fresh` positions of each sequence, updated in place.
  void start_decoding(int64_t batch, int64_t capacity);
  void decode(float* x, int64_t batch, int64_t fresh);
  std::vector<Param*> params();
  std::vector<Param*> dense_params();  // those the dense backend computes with
  MoeLayer* moe() { return moe_.get(); }
  SelfAttention& attention() { return attn_; }
  WindowAttention* window_attention() { return window_.get(); }
  DenseMlp* mlp() { return mlp_.get(); }
  double moe_seconds() const { return moe_seconds_; }  // since the last reset
  void reset_moe_seconds() { moe_seconds_ = 0; }

 private:
  // The rest of the block after attention wrote t_: x += t_, then x += FFN(LN2(x)).
  void ffn_forward(float* x);

  DenseBackend* be_;
  int64_t D_, n_ = 0;
  LayerNorm ln1_, ln2_;
  SelfAttention attn_;
  std::unique_ptr<WindowAttention> window_;
  std::unique_ptr<DenseMlp> mlp_;
  std::unique_ptr<MoeLayer> moe_;
  std::unique_ptr<BackendBuffer> a_, t_, da_;
  double moe_seconds_ = 0;
};

// What a model of blocks reports about its MoE layers, in block order: the layers,
// their aux and z losses (with coefficients), the seconds spent in them since the
// last reset. Shared by the GPT/BERT and Swin models.
using Blocks = std::vector<std::unique_ptr<TransformerBlock>>;
std::vector<MoeLayer*> blocks_moe_layers(const Blocks& blocks);
float blocks_aux_loss(const Blocks& blocks);
float blocks_z_loss(const Blocks& blocks);
double blocks_moe_seconds(const Blocks& blocks);
void blocks_reset_moe_seconds(Blocks& blocks);

}  // namespace paramoe
