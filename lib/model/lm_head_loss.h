#pragma once
// The tied LM head and a vocab-parallel cross-entropy (Megatron): each MP rank
// computes the logits of its vocabulary slice, x·wte_sliceᵀ, and the softmax's
// maximum, normaliser and target logit are reduced over MP, so no rank ever holds
// the full [tokens, vocab] logits. The head's input gradient is all-reduced over
// MP; the table's gradient adds to the embedding's. Rows and logits live in the
// backend's memory; targets are host memory.
#include <memory>
#include <vector>

#include "core/param.h"
#include "model/dense_backend.h"

namespace paramoe {

class LmHeadLoss {
 public:
  LmHeadLoss(Param& wte, DenseBackend& be);
  // x [n, d_model] (replicated over MP); targets [n], −1 where there is no loss.
  // Returns Σ over the targeted positions of −log softmax(logits)[target].
  double forward(const float* x, int64_t n, const int32_t* targets);
  // dx = d(scale · Σ position losses)/dx, overwritten; wte's grad accumulates.
  void backward(float scale, float* dx);
  // This rank's vocabulary slice of the last logits, [n, slice], copied to the host.
  std::vector<float> logits();
  // Decoding: the logits of x [n, d_model] alone (no targets, no loss), as logits().
  std::vector<float> logits_of(const float* x, int64_t n);

 private:
  Param& wte_;
  DenseBackend* be_;
  int64_t n_ = 0;
  // parts_: the softmax normalisers [n], then the target logits [n].
  std::unique_ptr<BackendBuffer> x_, logits_, row_max_, parts_, dlogits_;
  std::vector<int32_t> targets_;
  std::vector<float> host_;
};

}  // namespace paramoe
