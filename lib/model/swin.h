#pragma once
// The Swin-MoE image classifier (model.type = "swin"; config.h's ModelConfig):
// patch embedding, stages of pre-LN blocks with (shifted) window attention and a
// dense or MoE MLP, patch merging between stages, a final LayerNorm and a pooled
// linear head with cross-entropy. Activations are [images · tokens, width] rows of
// this data-parallel shard, replicated over MP, in the dense backend's memory.
#include <memory>
#include <vector>

#include "core/config.h"
#include "data/image_batch.h"
#include "model/classifier_head.h"
#include "model/dense_backend.h"
#include "model/layer_norm.h"
#include "model/patch_embedding.h"
#include "model/patch_merging.h"
#include "model/transformer_block.h"

namespace paramoe {

class SwinModel {
 public:
  // moe_configs: each MoE layer's config as it runs, in block order (the widths of
  // cfg.moe_layer_sites()).
  SwinModel(const Config& cfg, const std::vector<MoeConfig>& moe_configs, Collectives& coll,
            uint64_t seed, const StepBackendMaker& make = make_cpu_step_backend,
            const DenseBackendMaker& make_dense = make_cpu_dense_backend);

  // Returns the summed cross-entropy over the batch's images.
  double forward(const ImageBatch& batch);
  // Gradients of ce_scale · Σ cross-entropy + moe_scale · Σ (aux + z losses)
  // accumulate into the parameters.
  void backward(float ce_scale, float moe_scale);
  int64_t correct() { return head_.correct(); }  // of the last forward's images
  std::vector<float> logits() { return head_.logits(); }

  std::vector<Param*> params() { return collect(true); }
  std::vector<ResidentParam> resident_params();
  void values_changed();
  void load_params();
  std::vector<MoeLayer*> moe_layers();
  float aux_loss() const;
  float z_loss() const;
  double moe_seconds() const;
  void reset_timers();

 private:
  // Every parameter in block order; with_moe false: those the dense backend holds.
  std::vector<Param*> collect(bool with_moe);

  ModelConfig model_;
  std::unique_ptr<DenseBackend> dense_;
  PatchEmbedding embed_;
  std::vector<std::unique_ptr<TransformerBlock>> blocks_;
  std::vector<size_t> stage_end_;  // blocks_ index one past each stage's last block
  std::vector<std::unique_ptr<PatchMerging>> merges_;
  LayerNorm norm_;
  ClassifierHead head_;
  int64_t images_ = 0;
  std::vector<std::unique_ptr<BackendBuffer>> x_, g_;  // per stage
  std::unique_ptr<BackendBuffer> xf_, gf_;
  std::unique_ptr<WeightCache> cache_;
};

}  // namespace paramoe
