#pragma once
// The GPT-style and BERT-style MoE transformers: token and position embeddings,
// train.layers pre-LN blocks (an MoE FFN in every model.moe_every-th), a final
// LayerNorm and the tied, vocab-parallel LM head. GPT attends causally and predicts
// the next token; BERT attends both ways (padding masked) and predicts masked
// tokens. Activations are [batch·seq, d_model] rows of this data-parallel shard,
// replicated over MP.
#include <memory>
#include <vector>

#include "core/config.h"
#include "data/token_batch.h"
#include "model/layer_norm.h"
#include "model/lm_head_loss.h"
#include "model/token_embedding.h"
#include "model/transformer_block.h"

namespace paramoe {

class TransformerModel {
 public:
  // The dense parts communicate over `coll` (host memory); the MoE layers compute
  // on the backend `make` gives and move rows over `moe_coll` (null: `coll`).
  TransformerModel(const Config& cfg, Collectives& coll, uint64_t seed,
                   const StepBackendMaker& make = make_cpu_step_backend,
                   Collectives* moe_coll = nullptr);

  // Returns the summed cross-entropy over the batch's targeted positions.
  double forward(const TokenBatch& batch);
  // Gradients of ce_scale · Σ cross-entropy + moe_scale · Σ (aux + z losses)
  // accumulate into the parameters (ce_scale = 1 / global targets / micro-batches).
  void backward(float ce_scale, float moe_scale);

  std::vector<Param*> params();
  // As MoeStack: hand values to, and collect gradients from, the MoE layers' device.
  void load_params();
  void store_grads();
  std::vector<MoeLayer*> moe_layers();
  std::vector<TransformerBlock*> blocks();
  float aux_loss() const;  // Σ over MoE layers, with coefficients
  float z_loss() const;
  double moe_seconds() const;  // in MoE layers since reset_timers
  void reset_timers();
  const std::vector<float>& logits() const { return head_.logits(); }  // this rank's vocab slice

 private:
  void init(const ModelConfig& m, int layers, uint64_t seed);

  int64_t D_;
  TokenEmbedding embed_;
  std::vector<std::unique_ptr<TransformerBlock>> blocks_;
  LayerNorm ln_f_;
  LmHeadLoss head_;
  int64_t n_ = 0;
  std::vector<float> x_, xf_, g_, gf_;
  std::unique_ptr<WeightCache> cache_;  // data-centric, shared by the MoE layers
};

}  // namespace paramoe
