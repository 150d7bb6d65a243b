#pragma once
// A LayerNorm with its parameters, replicated over every model-parallel rank
// (it sees the full hidden dimension), and the activations its backward needs.
// Inputs and outputs live in the backend's memory.
#include <memory>
#include <string>
#include <vector>

#include "core/param.h"
#include "model/dense_backend.h"

namespace paramoe {

class LayerNorm {
 public:
  LayerNorm(const std::string& name, int64_t dim, DenseBackend& be);
  void forward(const float* x, int64_t rows, float* y);
  void backward(const float* dy, float* dx);  // dx overwritten; parameter grads accumulate
  std::vector<Param*> params() { return {&gamma, &beta}; }

  Param gamma, beta;

 private:
  DenseBackend* be_;
  int64_t dim_, rows_ = 0;
  std::unique_ptr<BackendBuffer> x_, mean_, rstd_;
};

}  // namespace paramoe
