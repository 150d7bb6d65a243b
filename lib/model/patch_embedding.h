#pragma once
// Swin's patch embedding: each patch × patch square of an image (channels first,
// then rows, then columns, as a Conv2d's weight flattens) goes through one linear
// map to d_model, then a LayerNorm. Pixels p map to p / 127.5 − 1 in [−1, 1].
// Replicated over MP (every rank embeds the same images).
#include <memory>
#include <vector>

#include "data/image_batch.h"
#include "model/dense_backend.h"
#include "model/layer_norm.h"
#include "model/parallel_linear.h"

namespace paramoe {

class PatchEmbedding {
 public:
  PatchEmbedding(int64_t channels, int64_t patch, int64_t d_model, DenseBackend& be);
  // y: [images · (height / patch) · (width / patch), d_model], patches in raster order.
  void forward(const ImageBatch& batch, float* y);
  void backward(const float* dy);  // parameter grads accumulate
  std::vector<Param*> params() { return {&proj.w, &proj.b, &norm.gamma, &norm.beta}; }

  ParallelLinear proj;
  LayerNorm norm;

 private:
  DenseBackend* be_;
  int64_t channels_, patch_, n_ = 0;
  std::vector<float> host_;
  std::unique_ptr<BackendBuffer> patches_, a_, da_;
};

}  // namespace paramoe
