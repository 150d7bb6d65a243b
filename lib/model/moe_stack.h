#pragma once
// A stack of pre-LayerNorm residual MoE blocks: x ← x + MoE(LN(x)), the synthetic
// model of `paramoe train` (model.type = "stack") for layer studies.
#include <memory>
#include <vector>

#include "comm/collectives.h"
#include "core/config.h"
#include "core/param.h"
#include "model/dense_backend.h"
#include "model/layer_norm.h"
#include "moe/moe_layer.h"

namespace paramoe {

class MoeStack {
 public:
  // The MoE layers compute on the backend `make` gives (moe_layer.h), the
  // LayerNorms and residuals on the one `make_dense` gives, both in the memory
  // `coll` moves; only the inputs and outputs cross to the host.
  // One MoE block per entry of `layers` (each layer's config as it runs).
  MoeStack(const std::vector<MoeConfig>& layers, Collectives& coll, uint64_t seed,
           const StepBackendMaker& make = make_cpu_step_backend,
           const DenseBackendMaker& make_dense = make_cpu_dense_backend);

  // x, y, dy and dx (nullable) are host memory.
  void forward(const float* x, int64_t tokens, float* y);
  void backward(const float* dy, float* dx);

  std::vector<Param*> params();
  // params() with their live copies (the LayerNorms' in the dense backend, the MoE
  // layers' in theirs), which the optimizer updates in place; after it did,
  // values_changed drops the copies derived from them.
  std::vector<ResidentParam> resident_params();
  void values_changed();
  std::vector<MoeLayer*> moe_layers();
  float aux_loss() const;  // Σ over layers, with coefficients
  float z_loss() const;
  int64_t alltoall_bytes() const;
  double alltoall_seconds() const;
  int64_t dropped_assignments() const;  // Σ over layers, global batch

 private:
  std::unique_ptr<DenseBackend> dense_;
  int64_t D_;
  int64_t tokens_ = 0;
  std::vector<LayerNorm> ln_;
  std::unique_ptr<BackendBuffer> x_, ln_out_, moe_out_;  // the residual stream and a block's
  std::vector<std::unique_ptr<MoeLayer>> moe_;
  std::unique_ptr<WeightCache> cache_;  // data-centric, shared by the layers
};

}  // namespace paramoe
