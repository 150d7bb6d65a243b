#pragma once
// The GPT-style and BERT-style MoE transformers: token and position embeddings,
// train.layers pre-LN blocks (an MoE FFN in every model.moe_every-th), a final
// LayerNorm and the tied, vocab-parallel LM head. GPT attends causally and predicts
// the next token; BERT attends both ways (padding masked) and predicts masked
// tokens. Activations are [batch·seq, d_model] rows of this data-parallel shard,
// replicated over MP, in the dense backend's memory (dense_backend.h).
#include <memory>
#include <vector>

#include "core/config.h"
#include "data/token_batch.h"
#include "model/dense_backend.h"
#include "model/layer_norm.h"
#include "model/lm_head_loss.h"
#include "model/token_embedding.h"
#include "model/transformer_block.h"

namespace paramoe {

class TransformerModel {
 public:
  // The dense parts compute on the backend `make_dense` gives, the MoE layers on
  // the one `make` gives; both keep their activations in the memory that `coll`
  // moves (the host's for the CPU backends, the GPU's for the CUDA ones).
  // `moe_configs`: the config of each MoE layer as it runs, in block order
  // (cfg.moe_layer_count() of them).
  TransformerModel(const Config& cfg, const std::vector<MoeConfig>& moe_configs, Collectives& coll,
                   uint64_t seed, const StepBackendMaker& make = make_cpu_step_backend,
                   const DenseBackendMaker& make_dense = make_cpu_dense_backend);

  // Returns the summed cross-entropy over the batch's targeted positions.
  double forward(const TokenBatch& batch);
  // Gradients of ce_scale · Σ cross-entropy + moe_scale · Σ (aux + z losses)
  // accumulate into the parameters (ce_scale = 1 / global targets / micro-batches).
  void backward(float ce_scale, float moe_scale);

  std::vector<Param*> params();
  // As MoeStack: params() with their live copies, for the optimizer, and what drops
  // the copies derived from them after it updated them. load_params gives the host
  // params() values to the backends after they were set there (a no-op on the CPU).
  std::vector<ResidentParam> resident_params();
  void values_changed();
  void load_params();
  std::vector<MoeLayer*> moe_layers();
  std::vector<TransformerBlock*> blocks();
  float aux_loss() const;  // Σ over MoE layers, with coefficients
  float z_loss() const;
  double moe_seconds() const;  // in MoE layers since reset_timers
  void reset_timers();
  std::vector<float> logits() { return head_.logits(); }  // this rank's vocab slice, on the host

  // Decoding (GPT; paramoe generate). start_decoding empties the attention layers'
  // KV caches and sizes them for `batch` sequences of up to `capacity` positions
  // (≤ model.seq_len). decode runs ids [batch, fresh], the next `fresh` positions of
  // every sequence, through the model (the MoE layers' forward only) and returns
  // the logits of each sequence's last position for this rank's vocabulary slice,
  // [batch, slice] on the host (MP rank r holds split_rows(vocab, mp, r)). Collective.
  void start_decoding(int64_t batch, int64_t capacity);
  std::vector<float> decode(const int32_t* ids, int64_t fresh);
  int64_t decoded() const { return decoded_; }  // positions decoded since start_decoding

 private:
  void init(const ModelConfig& m, int layers, uint64_t seed);
  std::vector<Param*> dense_params();

  std::unique_ptr<DenseBackend> dense_;
  int64_t D_;
  TokenEmbedding embed_;
  std::vector<std::unique_ptr<TransformerBlock>> blocks_;
  LayerNorm ln_f_;
  LmHeadLoss head_;
  int64_t n_ = 0;
  int64_t decode_batch_ = 0, decoded_ = 0;
  std::unique_ptr<BackendBuffer> x_, xf_, g_, gf_, last_;
  std::unique_ptr<WeightCache> cache_;  // data-centric, shared by the MoE layers
};

}  // namespace paramoe
