#pragma once
// The global gradient norm of a sharded model, with every parameter element counted
// once: a tensor split over mp, ep or esp contributes each slice once, and one that
// is replicated (over dp, edp, or mp for LayerNorms and row-parallel biases) is not
// counted once per replica. Each parameter's replica count, (Σ_ranks local
// elements) / global elements, is measured once at construction, so the rule holds
// for any layout and any uneven split. Used for clipping and for the non-finite check.
// Reads and scales the live gradients where they are (mem); only one double per
// parameter comes back to the host.
#include <vector>

#include "comm/collectives.h"
#include "optim/optimizer_memory.h"

namespace paramoe {

class GradNorm {
 public:
  // Collective over the world; params in the same order on every rank.
  GradNorm(const std::vector<ResidentParam>& params, Collectives& coll, OptimizerMemory& mem);
  // √(Σ g²) of the full (unsharded, synchronised) gradient; collective. NaN or Inf
  // when any gradient element is.
  double global_norm() const;
  // Scales every gradient by max_norm / (norm + 1e-6) when norm > max_norm
  // (torch.nn.utils.clip_grad_norm_); max_norm 0 leaves them. Returns the norm
  // before clipping.
  double clip(double max_norm) const;

 private:
  std::vector<ResidentParam> params_;
  Collectives& coll_;
  OptimizerMemory& mem_;
  std::vector<double> inv_replicas_;
  std::vector<const float*> grads_;
  std::vector<int64_t> sizes_;
};

}  // namespace paramoe
