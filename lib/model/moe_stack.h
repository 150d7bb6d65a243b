#pragma once
// A stack of pre-LayerNorm residual MoE blocks: x ← x + MoE(LN(x)). It is the model
// of the first `paramoe train` and of layer benchmarks, until the GPT/BERT models land.
#include <memory>
#include <vector>

#include "comm/collectives.h"
#include "core/config.h"
#include "core/param.h"
#include "moe/moe_layer.h"

namespace paramoe {

class MoeStack {
 public:
  MoeStack(const MoeConfig& cfg, int layers, Collectives& coll, uint64_t seed);

  void forward(const float* x, int64_t tokens, float* y);
  void backward(const float* dy, float* dx);

  std::vector<Param*> params();
  std::vector<MoeLayer*> moe_layers();
  float aux_loss() const;  // Σ over layers, with coefficients
  float z_loss() const;
  int64_t alltoall_bytes() const;
  double alltoall_seconds() const;
  int64_t dropped_assignments() const;  // Σ over layers, global batch

 private:
  struct Saved {
    std::vector<float> x, ln, mean, rstd;
  };
  int64_t D_;
  int64_t tokens_ = 0;
  std::vector<Param> ln_gamma_, ln_beta_;
  std::vector<std::unique_ptr<MoeLayer>> moe_;
  std::vector<Saved> saved_;
};

}  // namespace paramoe
