#pragma once
// Swin's patch merging between stages: each 2 × 2 square of tokens of a
// resolution² map, in the order (0,0), (1,0), (0,1), (1,1) (row, column offsets, as
// Swin concatenates them), becomes one token of 4·d_model, which a LayerNorm and a
// bias-free linear map take to 2·d_model. The map halves each side. Replicated
// over MP.
#include <memory>
#include <vector>

#include "model/dense_backend.h"
#include "model/layer_norm.h"
#include "model/parallel_linear.h"

namespace paramoe {

class PatchMerging {
 public:
  PatchMerging(const std::string& prefix, int64_t d_model, int64_t resolution, DenseBackend& be);
  // x [images · resolution², d_model] → y [images · (resolution / 2)², 2 · d_model].
  void forward(const float* x, int64_t images, float* y);
  void backward(const float* dy, float* dx);  // dx overwritten
  std::vector<Param*> params() { return {&norm.gamma, &norm.beta, &reduction.w}; }

  LayerNorm norm;
  ParallelLinear reduction;

 private:
  DenseBackend* be_;
  int64_t D_, R_, images_ = -1;
  std::vector<int32_t> gather_, scatter_;  // merged-order row ← map row, and back
  std::unique_ptr<BackendBuffer> cat_, normed_, dnormed_, dcat_;
};

}  // namespace paramoe
